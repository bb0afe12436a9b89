"""Document symbols and go to definition, from the syntax package alone (no tools)."""

from __future__ import annotations

from lsprotocol import types

from lsp_server.features.positions import Lines
from lsp_server.syntax import ir
from lsp_server.syntax.asm import parse_asm

_GLOBAL_KIND = {
    "variable": types.SymbolKind.Variable,
    "constant": types.SymbolKind.Constant,
    "alias": types.SymbolKind.Variable,
    "ifunc": types.SymbolKind.Function,
}


def document_symbols(text: str, kind: str, encoding: str = "utf-16") -> list[types.DocumentSymbol]:
    """Functions (defined and declared) and globals, in file order."""
    lines = Lines(text, encoding)
    symbols: list[types.DocumentSymbol] = []
    if kind == "ir":
        module = ir.parse_module(text)
        for fn in module.functions:
            symbols.append(
                types.DocumentSymbol(
                    name=f"@{fn.name}",
                    detail="define" if fn.is_definition else "declare",
                    kind=types.SymbolKind.Function,
                    range=lines.range(fn.span),
                    selection_range=lines.range(fn.name_span),
                )
            )
        for gv in module.globals:
            symbols.append(
                types.DocumentSymbol(
                    name=f"@{gv.name}",
                    detail=gv.kind,
                    kind=_GLOBAL_KIND.get(gv.kind, types.SymbolKind.Variable),
                    range=lines.range(gv.span),
                    selection_range=lines.range(gv.name_span),
                )
            )
        symbols.sort(key=lambda s: (s.range.start.line, s.range.start.character))
    elif kind == "asm":
        for afn in parse_asm(text).functions:
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
