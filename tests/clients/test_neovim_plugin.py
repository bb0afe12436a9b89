"""The Neovim plugin's pure parts, run inside real headless Neovim without a server:
filetype detection, the function and pipeline at the cursor, and the steps view."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

from neovim_session import PLUGIN, lua_string, nvim_path

from testdata import EXAMPLES


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
  and vim.fn.exists(':IrlensPreview') == 2
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
