"""A fast outline of an IR module: the functions and globals of :func:`ir.parse_module`, from
a scan of the whole text instead of a walk over every line.

``parse_module`` reads each line in Python: about 10 s for a 30 MB module. No entity it finds
crosses a column-0 top-level line (``define``, ``declare``, ``@g =``, ``!0 =``, ...), so the
text splits there into chunks that outline independently. A chunk in the shape LLVM prints
(a one-line header ending in ``{``, no other brace until the ``}`` at column 0 that closes it)
is outlined from a few string searches; any other chunk goes through ``parse_module``'s own
scanner, so the outline is the same as ``parse_module``'s for every text
(``tests/unit/test_outline.py`` checks it over the corpus and the LLVM tests).

No IO, never raises.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator

from lsp_server.syntax import ir
from lsp_server.syntax.span import Pos, Span, line_span

# ir._TOP_LEVEL at the start of a line, confined to that line.
_CHUNK = re.compile(
    r"^(?:(?:define|declare|attributes|target|source_filename|uselistorder_bb|module[^\S\n]+asm)\b"
    r'|[@!$](?:"[^"\n]*"|[-\w.$]*)[^\S\n]*=)',
    re.MULTILINE,
)
_CLOSE = re.compile(r"^\}", re.MULTILINE)


def outline(
    text: str, limit: int | None = None
) -> tuple[tuple[ir.IrFunction, ...], tuple[ir.IrGlobal, ...]]:
    """The functions and globals of ``text``, exactly as ``ir.parse_module`` finds them.

    With ``limit``, the scan stops once it has found that many entities: chunks come in file
    order, so what it returns holds the first ``limit`` in file order (and maybe a few more,
    from the last chunk read). An outline capped at 20,000 symbols reads a 30 MB module's
    first part only."""
    if "\r" in text:  # other line breaks: rare, and the scanner's business
        module = ir.parse_module(text)
        return module.functions, module.globals
    functions: list[ir.IrFunction] = []
    globals_: list[ir.IrGlobal] = []
    line = 0
    for begin, end in itertools.pairwise(_chunk_starts(text)):
        if begin == end:
            continue
        chunk = text[begin:end]
        if not _fast(chunk, line, functions, globals_):
            _slow(chunk, line, functions, globals_)
        line += chunk.count("\n")
        if limit is not None and len(functions) + len(globals_) >= limit:
            break
    return tuple(functions), tuple(globals_)


def _chunk_starts(text: str) -> Iterator[int]:
    """0, the offset of every top-level line, and the end of ``text``."""
    if not _CHUNK.match(text):
        yield 0
    for match in _CHUNK.finditer(text):
        yield match.start()
    yield len(text)


def _fast(
    chunk: str, line: int, functions: list[ir.IrFunction], globals_: list[ir.IrGlobal]
) -> bool:
    """Outline a chunk of the usual shape; False (nothing added) for any other."""
    newline = chunk.find("\n")
    header = chunk if newline < 0 else chunk[:newline]
    rest = "" if newline < 0 else chunk[newline + 1 :]
    first = header[:1]
    if first == "d":
        if header.startswith("define"):
            return _fast_define(header, rest, line, functions)
        if header.startswith("declare"):
            return _fast_declare(header, rest, line, functions)
        return False
    if first == "@":
        return _fast_global(header, rest, line, globals_)
    # attributes, metadata, target lines...: nothing to outline unless more follows
    return not rest.strip() and first not in (" ", "\t")


def _fast_define(header: str, rest: str, line: int, functions: list[ir.IrFunction]) -> bool:
    if not header.startswith("define") or not ir._DEFINE.match(header):
        return False
    name = ir._GLOBAL_REF.search(header)
    if name is None:
        return False
    tail = header[name.end() :]
    if tail.count("{") != 1 or "}" in tail or '"' in tail or ";" in tail:
        # Braces in strings, comments or types: count them as the scanner does.
        depth, opened = ir._brace_delta(header, name.end())
        if depth != 1 or not opened:
            return False
    if "{" in rest or rest.count("}") != 1:
        return False
    close = _CLOSE.search(rest)
    if close is None:
        return False
    end_of_close = rest.find("\n", close.start())
    end_of_close = len(rest) if end_of_close < 0 else end_of_close
    if rest[end_of_close:].strip():
        return False  # stray lines after the body: the scanner decides what they are
    close_line = line + 1 + rest.count("\n", 0, close.start())
    span = Span(Pos(line, 0), Pos(close_line, end_of_close - close.start()))
    name_span = line_span(line, name.start(), name.end())
    functions.append(ir.IrFunction(ir._name_of(name), True, span, name_span))
    return True


def _fast_declare(header: str, rest: str, line: int, functions: list[ir.IrFunction]) -> bool:
    if rest.strip() or not ir._DECLARE.match(header):
        return False
    name = ir._GLOBAL_REF.search(header)
    if name is None:
        return False
    span = Span(Pos(line, 0), Pos(line, len(header)))
    name_span = line_span(line, name.start(), name.end())
    functions.append(ir.IrFunction(ir._name_of(name), False, span, name_span))
    return True


def _fast_global(header: str, rest: str, line: int, globals_: list[ir.IrGlobal]) -> bool:
    if rest.strip() or not ir._GLOBAL_DEF.match(header):
        return False
    name = ir._GLOBAL_REF.search(header)
    if name is None or ir._bracket_delta(header, name.end()) > 0:
        return False
    kind_match = ir._GLOBAL_KIND.search(header, header.find("=", name.end()) + 1)
    kind = kind_match.group(1) if kind_match is not None else "variable"
    span = Span(Pos(line, name.start()), Pos(line, len(header)))
    name_span = line_span(line, name.start(), name.end())
    globals_.append(
        ir.IrGlobal(ir._name_of(name), "variable" if kind == "global" else kind, span, name_span)
    )
    return True


def _slow(
    chunk: str, line: int, functions: list[ir.IrFunction], globals_: list[ir.IrGlobal]
) -> None:
    """Outline a chunk with the scanner, moving its spans to the chunk's place."""
    module = ir.parse_module(chunk)
    for fn in module.functions:
        functions.append(
            ir.IrFunction(
                fn.name, fn.is_definition, _moved(fn.span, line), _moved(fn.name_span, line)
            )
        )
    for gv in module.globals:
        globals_.append(
            ir.IrGlobal(gv.name, gv.kind, _moved(gv.span, line), _moved(gv.name_span, line))
        )


def _moved(span: Span, lines: int) -> Span:
    return Span(
        Pos(span.start.line + lines, span.start.col), Pos(span.end.line + lines, span.end.col)
    )
