"""Navigation through Debian's Neovim (0.7) headless, on a corpus module: definition,
references, rename and :IrlensCfg, with the plugin from editors/nvim and the real server.

What Neovim shows is compared with answers worked out here without the server: the
occurrences of a name found by a regular expression over the module text (checked against
the module index too), the blocks as the labels of the function's text, and the renamed
buffer run through the real llvm-as and opt.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

from lsp_server.llvm.toolchain import Toolchain
from lsp_server.syntax.index import build_index, key_at, occurrences, resolve
from tests.support.data import CORPUS
from tests.support.neovim_session import run_scenario

MODULE = CORPUS / "ir" / "dev-brotli-0010.ll"
FUNCTION = "BrotliDecoderHuffmanTreeGroupInit"
LOCAL = "%14"  # an alloca with several loads and a store
TYPE = "%struct.HuffmanTreeGroup"  # a named type used by the type table and by GEPs


def text_lines() -> list[str]:
    return MODULE.read_text().splitlines()


def function_lines() -> range:
    """The 0-based lines of @FUNCTION's definition, from `define` to its closing brace."""
    lines = text_lines()
    start = next(
        i for i, line in enumerate(lines) if line.startswith("define") and f"@{FUNCTION}(" in line
    )
    end = next(i for i in range(start, len(lines)) if lines[i].startswith("}"))
    return range(start, end + 1)


def spots(name: str, where: range | None = None) -> list[tuple[int, int]]:
    """(line, column) of every whole-word occurrence of ``name``, by regex over the text."""
    pattern = re.compile(r"(?<![-\w$.%\"])" + re.escape(name) + r"(?![-\w$.])")
    lines = text_lines()
    out: list[tuple[int, int]] = []
    for number in where if where is not None else range(len(lines)):
        code = lines[number].split(";", 1)[0]  # no names in these modules' comments count
        out.extend((number, m.start()) for m in pattern.finditer(code))
    return out


def index_spots(line: int, col: int) -> list[tuple[int, int]]:
    """The same, as the module index (the server's own code) finds them."""
    index = build_index(MODULE.read_text())
    found = key_at(index, line, col)
    assert found is not None
    entity = resolve(index, *found)
    return [(o.span.start.line, o.span.start.col) for o in occurrences(index, entity)]


def definition_of(name: str, where: range) -> tuple[int, int]:
    lines = text_lines()
    for number in where:
        match = re.match(r"\s*(" + re.escape(name) + r") = ", lines[number])
        if match is not None:
            return number, match.start(1)
    raise AssertionError(f"{name} is not defined in the range")


REFERENCES_LUA = """
local function locations(result)
  local out = {}
  for _, loc in ipairs(result or {}) do
    local range = loc.range or loc.targetSelectionRange
    table.insert(out, { range.start.line, range.start.character })
  end
  table.sort(out, function(a, b) return a[1] < b[1] or (a[1] == b[1] and a[2] < b[2]) end)
  return out
end
local function references(row, col, declaration)
  vim.api.nvim_win_set_cursor(0, { row + 1, col })
  local params = vim.lsp.util.make_position_params()
  params.context = { includeDeclaration = declaration }
  local responses = vim.lsp.buf_request_sync(0, 'textDocument/references', params, 60000) or {}
  for _, response in pairs(responses) do
    if response.err then error(response.err.message) end
    return locations(response.result)
  end
  return {}
end
"""


def test_definition_and_references_of_a_local_and_a_type(tmp_path: Path) -> None:
    module = tmp_path / MODULE.name
    shutil.copy(MODULE, module)
    body_lines = function_lines()
    local_spots = spots(LOCAL, body_lines)
    type_spots = spots(TYPE)
    def_row, def_col = definition_of(LOCAL, body_lines)
    use_row, use_col = local_spots[-1]  # the last use, far below the definition
    assert use_row != def_row and len(local_spots) >= 4 and len(type_spots) >= 4
    type_row, type_col = type_spots[-1]
    body = (
        REFERENCES_LUA
        + f"""
  report.ready = client_ready()
  vim.api.nvim_win_set_cursor(0, {{ {use_row + 1}, {use_col + 1} }})
  vim.lsp.buf.definition()
  report.jumped = vim.wait(60000, function()
    return vim.api.nvim_win_get_cursor(0)[1] ~= {use_row + 1}
  end, 20)
  report.definition = vim.api.nvim_win_get_cursor(0)
  report.local_with = references({use_row}, {use_col + 1}, true)
  report.local_without = references({use_row}, {use_col + 1}, false)
  report.type_with = references({type_row}, {type_col + 1}, true)
  -- The user's path: the quickfix list vim.lsp.buf.references() fills.
  vim.fn.setqflist({{}})
  vim.api.nvim_win_set_cursor(0, {{ {use_row + 1}, {use_col + 1} }})
  vim.lsp.buf.references()
  report.quickfix = vim.wait(60000, function() return #vim.fn.getqflist() > 0 end, 20)
  report.qflist = vim.tbl_map(function(item) return {{ item.lnum - 1, item.col - 1 }} end,
    vim.fn.getqflist())
"""
    )
    report = run_scenario(tmp_path, module, body)
    assert report["ready"], report["messages"]
    assert report["jumped"], f"definition did not move the cursor; messages: {report['messages']}"
    # Neovim's cursor: 1-based row, 0-based byte column.
    assert report["definition"] == [def_row + 1, def_col]

    expected = [list(s) for s in local_spots]
    assert [list(s) for s in index_spots(use_row, use_col + 1)] == expected
    assert report["local_with"] == expected
    assert report["local_without"] == [s for s in expected if s != [def_row, def_col]]
    assert sorted(report["qflist"]) == expected

    expected_type = [list(s) for s in type_spots]
    assert [list(s) for s in index_spots(type_row, type_col + 1)] == expected_type
    assert report["type_with"] == expected_type


def llvm_as_accepts(toolchain: Toolchain, text: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [toolchain.path("llvm-as"), "-o", "/dev/null", "-"],
        input=text,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def stripped(toolchain: Toolchain, text: str) -> str:
    """The module as `opt -passes=strip -S` prints it: every local name gone, so a rename
    that kept the meaning prints the same as the original."""
    proc = subprocess.run(
        [toolchain.path("opt"), "-passes=strip", "-S", "-"],
        input=text,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return "\n".join(line for line in proc.stdout.splitlines() if not line.startswith("; ModuleID"))


def test_rename_of_a_numbered_local_keeps_the_module_valid(
    tmp_path: Path, toolchain: Toolchain
) -> None:
    module = tmp_path / MODULE.name
    shutil.copy(MODULE, module)
    body_lines = function_lines()
    # The first instruction's %6: naming it shifts every number after it in the function.
    target = "%6"
    row, col = definition_of(target, body_lines)
    before = len(spots(target, body_lines))
    body = f"""
  report.ready = client_ready()
  vim.api.nvim_win_set_cursor(0, {{ {row + 1}, {col + 1} }})
  local tick = vim.api.nvim_buf_get_changedtick(0)
  vim.lsp.buf.rename('%state')
  report.renamed = vim.wait(60000, function()
    return vim.api.nvim_buf_get_changedtick(0) ~= tick
  end, 20)
  report.lines = vim.api.nvim_buf_get_lines(0, 0, -1, false)
"""
    report = run_scenario(tmp_path, module, body)
    assert report["ready"], report["messages"]
    assert report["renamed"], f"the buffer did not change; messages: {report['messages']}"
    original = MODULE.read_text()
    renamed = "\n".join(report["lines"]) + "\n"
    assert renamed != original
    assert re.search(r"^  %state = alloca ptr", renamed, re.M), "the definition took the name"
    assert len(re.findall(r"%state(?![-\w$.])", renamed)) == before
    checked = llvm_as_accepts(toolchain, renamed)
    assert checked.returncode == 0, checked.stderr
    assert stripped(toolchain, renamed) == stripped(toolchain, original)


def test_cfg_command_lists_the_blocks_of_the_function_at_the_cursor(tmp_path: Path) -> None:
    module = tmp_path / MODULE.name
    shutil.copy(MODULE, module)
    body_lines = function_lines()
    lines = text_lines()
    # The blocks as the text spells them: the unnamed entry takes the number after the
    # arguments (%0..%4 here), then every label in order.
    args = re.findall(r"%(\d+)[,)]", lines[body_lines.start])
    labels = [
        "%" + m.group(1)
        for number in body_lines
        if (m := re.match(r"([-\w$.]+):", lines[number])) is not None
    ]
    blocks = [f"%{len(args)}", *labels]
    # The branch that ends the entry block names its successors.
    first_label = next(n for n in body_lines if re.match(r"[-\w$.]+:", lines[n]))
    entry_br = lines[first_label - 2].strip()
    entry_succs = ["%" + t for t in re.findall(r"label %([-\w$.]+)", entry_br)]
    assert entry_br.startswith("br ") and len(entry_succs) == 2
    inside = body_lines.start + 3
    body = f"""
  report.ready = client_ready()
  -- Outside any function: a message, no split.
  vim.api.nvim_win_set_cursor(0, {{ 1, 0 }})
  local before = #_G.irlens_messages
  vim.cmd('IrlensCfg')
  report.refused = vim.wait(60000, function() return #_G.irlens_messages > before end, 20)
  report.windows_after_refusal = #vim.api.nvim_list_wins()
  vim.api.nvim_win_set_cursor(0, {{ {inside + 1}, 0 }})
  local windows = #vim.api.nvim_list_wins()
  vim.cmd('IrlensCfg')
  report.opened = vim.wait(60000, function() return #vim.api.nvim_list_wins() > windows end, 20)
  report.name = vim.api.nvim_buf_get_name(0)
  report.lines = vim.api.nvim_buf_get_lines(0, 0, -1, false)
  report.modifiable = vim.bo.modifiable
  -- <Enter> on the last block's line jumps to that block in the IR.
  local last = nil
  for number, line in ipairs(report.lines) do
    if require('irlens.cfg').block_line(line) then last = number end
  end
  vim.api.nvim_win_set_cursor(0, {{ last, 0 }})
  vim.api.nvim_feedkeys(vim.api.nvim_replace_termcodes('<CR>', true, false, true), 'x', false)
  report.jump_buffer = vim.api.nvim_buf_get_name(0)
  report.jump_row = vim.api.nvim_win_get_cursor(0)[1]
  -- Named, from outside any function (quoted with @ as IR spells it).
  vim.api.nvim_win_set_cursor(0, {{ 1, 0 }})
  windows = #vim.api.nvim_list_wins()
  vim.cmd('IrlensCfg @{FUNCTION}')
  report.named = vim.wait(60000, function() return #vim.api.nvim_list_wins() > windows end, 20)
  report.named_first = vim.api.nvim_buf_get_lines(0, 0, 1, false)[1]
"""
    report = run_scenario(tmp_path, module, body)
    assert report["ready"], report["messages"]
    assert report["refused"]
    [refusal] = [m["message"] for m in report["messages"] if "no function" in m["message"]]
    assert "no function defined there" in refusal and f"@{FUNCTION}" in refusal
    assert report["windows_after_refusal"] == 1
    assert report["opened"], f"no split opened; messages: {report['messages']}"
    assert report["name"].endswith(f"irlens://cfg/@{FUNCTION}")
    assert report["modifiable"] is False
    shown = report["lines"]
    assert shown[0].startswith(f"CFG of @{FUNCTION}: {len(blocks)} blocks,"), shown[0]
    shown_blocks = [line.split(" ", 1)[0] for line in shown[1:] if not line.startswith(" ")]
    assert shown_blocks == blocks
    succs = shown[shown.index(next(x for x in shown if x.startswith(blocks[0] + " "))) + 2]
    assert succs.startswith("  succs: ")
    assert [s.split(" ")[0] for s in succs[len("  succs: ") :].split(", ")] == entry_succs
    # The last block's label line, 1-based.
    assert report["jump_buffer"] == str(module)
    assert lines[report["jump_row"] - 1].startswith(blocks[-1][1:] + ":")
    assert report["named"], report["messages"]
    assert report["named_first"] == shown[0]
