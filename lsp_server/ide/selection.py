"""Selection ranges: from the name under the cursor out to its instruction, block,
function and the whole module."""

from __future__ import annotations

from lsp_server.syntax.index import ModuleIndex, key_at
from lsp_server.syntax.span import Pos, Span


def selection_ranges(index: ModuleIndex, line: int, col: int) -> list[Span]:
    """Nested spans around (``line``, ``col``), innermost first."""
    out: list[Span] = []
    lines = index.lines
    if not 0 <= line < len(lines):
        return out
    found = key_at(index, line, col)
    if found is not None:
        function, ref_index = found
        if function is None:
            out.append(index.refs[ref_index].span())
        else:
            entry = index.functions[function]
            out.append(entry.fi.refs[ref_index].span(entry.start))
    text = lines[line]
    stripped = len(text) - len(text.lstrip())
    out.append(Span(Pos(line, stripped), Pos(line, max(stripped, len(text.rstrip())))))
    position = index.function_at(line)
    if position is not None:
        entry = index.functions[position]
        fi = entry.fi
        inst = fi.inst_at_line(line - entry.start)
        if inst is not None:
            i = fi.insts[inst]
            if i.end_line > i.line:
                end = i.end_line + entry.start
                out.append(Span(Pos(i.line + entry.start, i.col), Pos(end, len(lines[end]))))
        block = fi.block_of_line(line - entry.start)
        if block is not None:
            b = fi.blocks[block]
            end = b.end_line + entry.start
            out.append(Span(Pos(b.line + entry.start, 0), Pos(end, len(lines[end]))))
        out.append(Span(Pos(entry.start, 0), Pos(entry.end, len(lines[entry.end]))))
    last = len(lines) - 1
    out.append(Span(Pos(0, 0), Pos(last, len(lines[last]))))
    # Keep each range strictly inside the next, as LSP asks.
    nested: list[Span] = []
    for span in out:
        if nested and not (span.start <= nested[-1].start and nested[-1].end <= span.end):
            continue
        if nested and span == nested[-1]:
            continue
        nested.append(span)
    return nested
