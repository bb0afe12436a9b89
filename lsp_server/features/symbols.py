"""Document symbols and go to definition, from the syntax package alone (no tools)."""

from __future__ import annotations

from lsprotocol import types

from lsp_server.features.positions import Lines
from lsp_server.syntax import ir
from lsp_server.syntax.asm import parse_asm
from lsp_server.syntax.outline import outline
from lsp_server.syntax.span import Span

_GLOBAL_KIND = {
    "variable": types.SymbolKind.Variable,
    "constant": types.SymbolKind.Constant,
    "alias": types.SymbolKind.Variable,
    "ifunc": types.SymbolKind.Function,
}


def document_symbols(
    text: str, kind: str, encoding: str = "utf-16", limit: int | None = None
) -> list[types.DocumentSymbol]:
    """Functions (defined and declared) and globals, in file order (at most ``limit``)."""
    lines = Lines(text, encoding)
    symbols: list[types.DocumentSymbol] = []
    if kind == "ir":
        return [_symbol(lines, *row) for row in ir_outline(text, limit)[:limit]]
    if kind == "asm":
        for afn in parse_asm(text).functions[:limit]:
            label = lines.line(afn.label_line).rstrip()
            name_range = types.Range(
                start=lines.position(afn.label_line, 0),
                end=lines.position(afn.label_line, len(label)),
            )
            symbols.append(
                types.DocumentSymbol(
                    name=afn.name,
                    kind=types.SymbolKind.Function,
                    range=lines.range(afn.span),
                    selection_range=name_range,
                )
            )
    return symbols


def ir_outline(
    text: str, limit: int | None = None
) -> list[tuple[str, str, types.SymbolKind, Span, Span]]:
    """(name, detail, kind, span, name span) of every function and global, in file order
    (with ``limit``: at least the first ``limit`` of them, when there are that many)."""
    functions, globals_ = outline(text, limit)
    rows = [
        (
            f"@{fn.name}",
            "define" if fn.is_definition else "declare",
            types.SymbolKind.Function,
            fn.span,
            fn.name_span,
        )
        for fn in functions
    ]
    rows += [
        (
            f"@{gv.name}",
            gv.kind,
            _GLOBAL_KIND.get(gv.kind, types.SymbolKind.Variable),
            gv.span,
            gv.name_span,
        )
        for gv in globals_
    ]
    rows.sort(key=lambda row: (row[3].start.line, row[3].start.col))
    return rows


def _symbol(
    lines: Lines, name: str, detail: str, kind: types.SymbolKind, span: Span, name_span: Span
) -> types.DocumentSymbol:
    return types.DocumentSymbol(
        name=name,
        detail=detail,
        kind=kind,
        range=lines.range(span),
        selection_range=lines.range(name_span),
    )


def definition(
    text: str, uri: str, position: types.Position, encoding: str = "utf-16"
) -> types.Location | None:
    """Where the ``@name`` under the cursor is defined in this file (IR only)."""
    lines = Lines(text, encoding)
    if not 0 <= position.line < len(lines.lines):
        return None
    col = lines.index(position)
    name = ir.global_ref_at(text, position.line, col)
    if name is None:
        return None
    span = ir.find_definition(ir.parse_module(text), name)
    if span is None:
        return None
    return types.Location(uri=uri, range=lines.range(span))
