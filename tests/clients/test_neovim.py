"""The Neovim client end to end: Debian's Neovim (0.7) headless, the plugin from editors/nvim,
the real server and the real LLVM tools, in LLVM-only mode."""

from __future__ import annotations

import shutil
from pathlib import Path

from tests.support.data import CORPUS, EXAMPLES
from tests.support.neovim_session import run_scenario

BROKEN_IR = """\
define i32 @f(i32 %x) {
entry:
  %y = add i32 %x, 1
  ret i32 %z
}
"""

WAIT_FOR_DIAGNOSTICS = """
  report.ready = client_ready()
  -- llvm-as's first error and the built-in checks may arrive in separate publishes.
  local function has(source)
    for _, d in ipairs(vim.diagnostic.get(0)) do
      if (d.source or ''):find(source, 1, true) then return true end
    end
    return false
  end
  report.got = vim.wait(60000, function() return has('llvm-as') and has('(checks)') end, 20)
  report.diagnostics = {}
  for _, d in ipairs(vim.diagnostic.get(0)) do
    table.insert(report.diagnostics, { lnum = d.lnum, col = d.col, message = d.message,
      severity = d.severity, source = d.source })
  end
"""


def test_broken_ll_gets_the_llvm_as_diagnostic(tmp_path: Path) -> None:
    broken = tmp_path / "broken.ll"
    broken.write_text(BROKEN_IR)
    report = run_scenario(tmp_path, broken, WAIT_FOR_DIAGNOSTICS)
    assert report["filetype"] == "llvm", "the plugin maps *.ll to llvm (Neovim 0.7 says lifelines)"
    assert report["ready"], "the irlens client started and initialized"
    assert report["got"], f"no diagnostic arrived; messages: {report['messages']}"
    # One from llvm-as, one from the built-in checks, both on the undefined %z.
    by_source = {d["source"]: d for d in report["diagnostics"]}
    assert len(by_source) == len(report["diagnostics"]) == 2, report["diagnostics"]
    [llvm_as] = [d for source, d in by_source.items() if "llvm-as" in source]
    [check] = [d for source, d in by_source.items() if "(checks)" in source]
    for diagnostic in (llvm_as, check):
        assert diagnostic["lnum"] == 3, "on the line of the undefined %z (0-based 3)"
        assert "%z" in diagnostic["message"], diagnostic
        assert diagnostic["severity"] == 1


def test_hover_on_a_pass_in_a_run_line_shows_its_preview(tmp_path: Path) -> None:
    example = tmp_path / "example.ll"
    shutil.copy(EXAMPLES / "example.ll", example)
    lines = example.read_text().splitlines()
    row = next(i for i, line in enumerate(lines) if line.startswith("; RUN:"))
    col = lines[row].index("instcombine") + 2
    body = f"""
  report.ready = client_ready()
  report.hover_provider = require('irlens').client(0).server_capabilities.hoverProvider or false
  if not report.hover_provider then return end
  vim.api.nvim_win_set_cursor(0, {{ {row + 1}, {col} }})
  local params = vim.lsp.util.make_position_params()
  local responses = vim.lsp.buf_request_sync(0, 'textDocument/hover', params, 60000) or {{}}
  report.hovers = {{}}
  for _, response in pairs(responses) do
    local contents = response.result and response.result.contents
    local text = contents and (contents.value or contents) or vim.NIL
    if type(text) == 'table' then
      text = table.concat(vim.tbl_map(function(c) return c.value or c end, text), '\\n')
    end
    table.insert(report.hovers, {{ text = text, error = response.err and response.err.message }})
  end
"""
    report = run_scenario(tmp_path, example, body)
    assert report["ready"]
    assert report["hover_provider"], "the server offers hover"
    [hover] = report["hovers"]
    assert hover.get("error") is None
    text = hover.get("text")
    assert isinstance(text, str), f"no hover for the pass; messages: {report['messages']}"
    assert "instcombine" in text
    assert "@crc32" in text or "crc32" in text, "the preview names a function of the file"


def test_lift_in_llvm_only_mode_says_it_needs_a_model(tmp_path: Path) -> None:
    source = next(iter(sorted((CORPUS / "asm" / "x86_64").glob("*.s"))))
    asm = tmp_path / "input.s"
    shutil.copy(source, asm)
    body = """
  report.ready = client_ready()
  local before = #_G.irlens_messages
  vim.cmd('IrlensLift')
  report.answered = vim.wait(60000, function()
    for i = before + 2, #_G.irlens_messages do
      return true
    end
    return require('irlens').last_lift ~= nil
  end, 20)
"""
    report = run_scenario(tmp_path, asm, body)
    assert report["filetype"] == "asm"
    assert report["ready"]
    assert report["answered"], f"no answer to :IrlensLift; messages: {report['messages']}"
    texts = [m["message"] for m in report["messages"]]
    start = next(i for i, text in enumerate(texts) if text.startswith("irlens: lifting input.s"))
    answer = " ".join(texts[start + 1 :]).lower()
    assert "model" in answer, f"the answer should say lifting needs a model: {texts}"


def test_preview_command_lists_the_pipeline_steps_in_a_split(tmp_path: Path) -> None:
    example = tmp_path / "example.ll"
    shutil.copy(EXAMPLES / "example.ll", example)
    lines = example.read_text().splitlines()
    inside = next(i for i, line in enumerate(lines) if "@crc32(" in line) + 3
    body = f"""
  report.ready = client_ready()
  vim.api.nvim_win_set_cursor(0, {{ {inside}, 0 }})
  local windows = #vim.api.nvim_list_wins()
  vim.cmd('IrlensPreview')
  report.opened = vim.wait(60000, function() return #vim.api.nvim_list_wins() > windows end, 20)
  report.lines = vim.api.nvim_buf_get_lines(0, 0, -1, false)
  local changed = nil
  for number, line in ipairs(report.lines) do
    if line:match('^%s*%d+%. %[%*%]') then changed = number break end
  end
  report.changed_line = changed
  if changed then
    vim.api.nvim_win_set_cursor(0, {{ changed, 0 }})
    vim.api.nvim_feedkeys(vim.api.nvim_replace_termcodes('<CR>', true, false, true), 'x', false)
    report.after = vim.api.nvim_buf_get_lines(0, 0, -1, false)
    report.after_filetype = vim.bo.filetype
  end
"""
    report = run_scenario(tmp_path, example, body)
    assert report["ready"]
    assert report["opened"], f"no split opened; messages: {report['messages']}"
    header = report["lines"][0]
    # The file's RUN line pipeline, on the function at the cursor.
    assert header == (
        "irlens pipeline steps: function(sroa,early-cse,instcombine,simplifycfg) on @crc32"
    )
    assert report["changed_line"] is not None, "SROA changes @crc32"
    assert report["after_filetype"] == "llvm", report["after"][:3]
    assert report["after"][0].startswith("define dso_local i32 @crc32(")


def test_suggest_command_shows_verified_pass_lists_in_a_split(tmp_path: Path) -> None:
    example = tmp_path / "example.ll"
    shutil.copy(EXAMPLES / "example.ll", example)
    lines = example.read_text().splitlines()
    inside = next(i for i, line in enumerate(lines) if "@crc32(" in line) + 3
    body = f"""
  report.ready = client_ready()
  vim.api.nvim_win_set_cursor(0, {{ {inside}, 0 }})
  local windows = #vim.api.nvim_list_wins()
  vim.cmd('IrlensSuggest')
  report.opened = vim.wait(90000, function() return #vim.api.nvim_list_wins() > windows end, 50)
  report.lines = vim.api.nvim_buf_get_lines(0, 0, -1, false)
"""
    # A small search budget, passed as a setting, keeps the test short.
    report = run_scenario(tmp_path, example, body, settings={"suggest": {"budgetSeconds": 1}})
    assert report["ready"]
    assert report["opened"], f"no split opened; messages: {report['messages']}"
    shown = report["lines"]
    assert shown[0].startswith(("Optimize @crc32 for size:", "-Oz is best")), shown
    oz_rows = [line for line in shown if line.endswith("default<Oz>  (-Oz)")]
    assert len(oz_rows) == 1, shown
