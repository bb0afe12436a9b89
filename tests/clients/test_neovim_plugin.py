"""The Neovim plugin's pure parts, run inside real headless Neovim without a server:
filetype detection, the function and pipeline at the cursor, and the steps view."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

from tests.support.data import EXAMPLES, ROOT
from tests.support.neovim_session import PLUGIN, lua_string, nvim_path


def run_lua(tmp_path: Path, body: str, *files: Path) -> Any:
    """Run ``body`` (which sets ``result``) with the plugin loaded; return ``result``."""
    out = tmp_path / "out.json"
    script = tmp_path / "script.lua"
    init = tmp_path / "init.lua"
    init.write_text(f"vim.opt.runtimepath:prepend({lua_string(str(PLUGIN))})\n")
    script.write_text(
        f"local irlens = require('irlens')\nlocal result\n{body}\n"
        f"local file = io.open({lua_string(str(out))}, 'w')\n"
        "file:write(vim.fn.json_encode({ result = result }))\nfile:close()\nvim.cmd('qa!')\n"
    )
    subprocess.run(
        [
            nvim_path(),
            "--headless",
            "--clean",
            "-u",
            str(init),
            *map(str, files),
            "-c",
            f"luafile {script}",
        ],
        cwd=tmp_path,
        capture_output=True,
        timeout=60,
        check=True,
    )
    return json.loads(out.read_text())["result"]


def test_filetypes_of_ll_s_and_S(tmp_path: Path) -> None:
    files = [tmp_path / name for name in ("a.ll", "b.s", "c.S")]
    for path in files:
        path.write_text("\n")
    body = """
result = {}
for _, name in ipairs({ 'a.ll', 'b.s', 'c.S' }) do
  vim.cmd('edit ' .. name)
  result[name] = vim.bo.filetype
end
result.commands = vim.fn.exists(':IrlensLift') == 2 and vim.fn.exists(':IrlensSuggest') == 2
  and vim.fn.exists(':IrlensPreview') == 2 and vim.fn.exists(':IrlensCfg') == 2
"""
    result = run_lua(tmp_path, body)
    assert result == {"a.ll": "llvm", "b.s": "asm", "c.S": "asm", "commands": True}


def test_function_and_pipeline_at_the_cursor(tmp_path: Path) -> None:
    example = EXAMPLES / "example.ll"
    lines = example.read_text().splitlines()
    inside = next(i for i, line in enumerate(lines) if "@crc32(" in line) + 4
    body = f"""
result = {{
  inside = irlens.function_at(0, {inside + 1}),
  top = irlens.function_at(0, 3) or vim.NIL,
  run = irlens.pipeline_in(vim.fn.getline(3)),
  p = irlens.pipeline_in("; RUN: opt -p instcombine -S %s"),
  dq = irlens.pipeline_in('; RUN: opt -passes="default<O2>" %s'),
}}
"""
    result = run_lua(tmp_path, body, example)
    assert result == {
        "inside": "crc32",
        "top": None,
        "run": "function(sroa,early-cse,instcombine,simplifycfg)",
        "p": "instcombine",
        "dq": "default<O2>",
    }


def test_steps_view_shows_the_ir_after_passes_that_changed_nothing(tmp_path: Path) -> None:
    # The shape of irlens/pipelineSteps: ir is null for a pass that changed nothing.
    steps = {
        "pipeline": "function(sroa,early-cse)",
        "function": "f",
        "initial": "define void @f() {\n  ret void\n}",
        "steps": [
            {"index": 0, "pass": "SROAPass", "on": "f", "changed": True, "ir": "after sroa"},
            {"index": 1, "pass": "EarlyCSEPass", "on": "f", "changed": False, "ir": None},
        ],
        "error": None,
        "truncated": False,
    }
    body = f"""
local decoded = vim.fn.json_decode({lua_string(json.dumps(steps))})
local lines, by_line = irlens.steps_lines(decoded)
result = {{ lines = lines, irs = {{}} }}
for line, step in pairs(by_line) do
  result.irs[tostring(line)] = step.ir
end
"""
    result = run_lua(tmp_path, body)
    assert result["lines"][0] == "irlens pipeline steps: function(sroa,early-cse) on @f"
    assert result["lines"][3:] == [" 1. [*] SROAPass on f", " 2. [ ] EarlyCSEPass on f"]
    assert result["irs"] == {"4": "after sroa", "5": "after sroa"}


def test_lsp_config_for_neovim_011_is_a_valid_config_table(tmp_path: Path) -> None:
    # Neovim 0.11's vim.lsp.config reads lsp/irlens.lua as a plain table; check its fields
    # (the Neovim here is older, so it loads the file, it does not start it).
    config = PLUGIN / "lsp" / "irlens.lua"
    body = f"""
local cfg = dofile({lua_string(str(config))})
result = {{ cmd = cfg.cmd, filetypes = cfg.filetypes, root_markers = cfg.root_markers,
  init_options_is_table = type(cfg.init_options) == 'table' }}
"""
    result = run_lua(tmp_path, body)
    assert result == {
        "cmd": ["irlens", "serve"],
        "filetypes": ["llvm", "asm"],
        "root_markers": [".git", "pyproject.toml", "compile_commands.json"],
        "init_options_is_table": True,
    }


def test_suggestions_view_reads_the_documented_result(tmp_path: Path) -> None:
    fixture = ROOT / "vscode-ext" / "test" / "panel" / "panel-state.json"
    result = json.loads(fixture.read_text())["suggest"]
    body = f"""
result = irlens.suggestion_lines(vim.fn.json_decode({lua_string(json.dumps(result))}))
"""
    lines = run_lua(tmp_path, body)
    assert lines[0] == result["headline"].replace("`", "")
    offer = result["offer"]
    assert any(
        line.endswith(f"{offer['pipeline']}  (offer, verified)")
        and f"{offer['size']} bytes" in line
        for line in lines
    ), lines
    assert any("model sample 0, repaired" in line for line in lines), lines
    assert any(line.endswith("default<Oz>  (-Oz)") for line in lines), lines


def test_cfg_view_reads_the_documented_result(tmp_path: Path) -> None:
    # The shapes docs/lsp-extensions.md gives for irlens/cfg: a CFG, and no function there.
    view = {
        "function": "f",
        "blocks": [],
        "edges": [],
        "text": "CFG of @f: 2 blocks\n%0 (line 2)\n  succs: %3\n%3 (line 5)  (loop depth 1, header)\n",
    }
    none = {"error": "no function defined there", "functions": ["f", "g"]}
    body = f"""
local cfg = require('irlens.cfg')
local view = vim.fn.json_decode({lua_string(json.dumps(view))})
local none = vim.fn.json_decode({lua_string(json.dumps(none))})
local lines = cfg.lines(view)
result = {{
  lines = lines,
  targets = vim.tbl_map(function(line) return cfg.block_line(line) or -1 end, lines),
  view_problem = cfg.problem(view) or vim.NIL,
  none_problem = cfg.problem(none),
  not_ir = cfg.problem({{ error = 'not IR' }}),
}}
"""
    result = run_lua(tmp_path, body)
    assert result["lines"] == view["text"].splitlines()
    assert result["targets"] == [-1, 2, -1, 5]
    assert result["view_problem"] is None
    assert result["none_problem"].startswith("no function defined there; ")
    assert "@f, @g" in result["none_problem"]
    assert result["not_ir"] == "not IR"
