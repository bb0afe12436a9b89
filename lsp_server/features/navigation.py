"""LSP translation of the module index's features: navigation, rename, hover on values and
blocks, semantic tokens, folding, selection ranges, completion and the built-in checks.

The logic is in ``lsp_server/ide/`` and ``lsp_server/syntax/``; this module converts
positions (``str`` indices to the client's encoding) and values to lsprotocol types.
"""

from __future__ import annotations

from lsprotocol import types

from lsp_server.features.positions import Lines
from lsp_server.ide import asm_rename, navigation, rename
from lsp_server.ide import complete as completion
from lsp_server.ide import hover as index_hover
from lsp_server.ide.selection import selection_ranges
from lsp_server.syntax.asm_index import AsmIndex, asm_name_at
from lsp_server.syntax.checks import check_module
from lsp_server.syntax.folding import Fold
from lsp_server.syntax.index import ModuleIndex
from lsp_server.syntax.span import Span
from lsp_server.syntax.tokens import TOKEN_MODIFIERS, TOKEN_TYPES

SOURCE = "irlens (checks)"
LEGEND = types.SemanticTokensLegend(
    token_types=list(TOKEN_TYPES), token_modifiers=list(TOKEN_MODIFIERS)
)
_COMPLETION_KIND = {
    "value": types.CompletionItemKind.Variable,
    "parameter": types.CompletionItemKind.Variable,
    "block": types.CompletionItemKind.Reference,
    "type": types.CompletionItemKind.Struct,
    "function": types.CompletionItemKind.Function,
    "intrinsic": types.CompletionItemKind.Function,
    "global": types.CompletionItemKind.Variable,
    "attributes": types.CompletionItemKind.Property,
    "metadata": types.CompletionItemKind.Reference,
    "comdat": types.CompletionItemKind.Reference,
    "opcode": types.CompletionItemKind.Keyword,
}


def lines_of(index: ModuleIndex, encoding: str) -> Lines:
    """Position conversion over the index's own lines (no second split of the text)."""
    lines = Lines("", encoding)
    lines.lines = index.lines
    return lines


def _locations(uri: str, spans: list[Span], lines: Lines) -> list[types.Location]:
    return [types.Location(uri=uri, range=lines.range(span)) for span in spans]


def definition(
    index: ModuleIndex, uri: str, position: types.Position, encoding: str
) -> list[types.Location]:
    """Where the name at ``position`` is defined."""
    lines = lines_of(index, encoding)
    found = navigation.definition(index, position.line, lines.index(position))
    return _locations(uri, found, lines)


def references(
    index: ModuleIndex, uri: str, position: types.Position, include_declaration: bool, encoding: str
) -> list[types.Location]:
    """Every occurrence of the name at ``position``."""
    lines = lines_of(index, encoding)
    found = navigation.references(index, position.line, lines.index(position), include_declaration)
    return _locations(uri, found, lines)


def highlights(
    index: ModuleIndex, position: types.Position, encoding: str
) -> list[types.DocumentHighlight]:
    """The occurrences of the name at ``position``, its definition marked as a write."""
    lines = lines_of(index, encoding)
    return [
        types.DocumentHighlight(
            range=lines.range(h.span),
            kind=types.DocumentHighlightKind.Write
            if h.is_def
            else types.DocumentHighlightKind.Read,
        )
        for h in navigation.highlights(index, position.line, lines.index(position))
    ]


def prepare_rename(
    index: ModuleIndex, position: types.Position, encoding: str
) -> types.PrepareRenamePlaceholder | str | None:
    """The range and name to rename, a refusal's message (a ``str``), or ``None``."""
    lines = lines_of(index, encoding)
    found = rename.prepare_rename(index, position.line, lines.index(position))
    if found is None:
        return None
    if isinstance(found, rename.Refusal):
        return found.message
    return types.PrepareRenamePlaceholder(
        range=lines.range(found.span), placeholder=found.placeholder
    )


def rename_edit(
    index: ModuleIndex, uri: str, position: types.Position, new_name: str, encoding: str
) -> types.WorkspaceEdit | str:
    """The workspace edit of a rename, or the refusal's message."""
    lines = lines_of(index, encoding)
    edits = rename.rename(index, position.line, lines.index(position), new_name)
    if isinstance(edits, rename.Refusal):
        return edits.message
    return types.WorkspaceEdit(
        changes={
            uri: [types.TextEdit(range=lines.range(e.span), new_text=e.new_text) for e in edits]
        }
    )


def hover(
    index: ModuleIndex, position: types.Position, encoding: str, kind: types.MarkupKind
) -> types.Hover | None:
    """The hover on a value, block, type, metadata node, attribute group or opcode."""
    lines = lines_of(index, encoding)
    found = index_hover.hover_info(index, position.line, lines.index(position))
    if found is None:
        return None
    return types.Hover(
        contents=types.MarkupContent(kind=kind, value=found.markdown), range=lines.range(found.span)
    )


def completions(
    index: ModuleIndex, position: types.Position, encoding: str
) -> types.CompletionList:
    """Completion items at ``position``, each replacing the prefix typed so far."""
    lines = lines_of(index, encoding)
    found = completion.complete(index, position.line, lines.index(position))
    span = lines.range(found.span)
    items = [
        types.CompletionItem(
            label=item.label,
            kind=_COMPLETION_KIND.get(item.kind, types.CompletionItemKind.Text),
            detail=item.detail or None,
            label_details=types.CompletionItemLabelDetails(description=item.kind),
            text_edit=types.TextEdit(range=span, new_text=item.label),
        )
        for item in found.items
    ]
    return types.CompletionList(is_incomplete=False, items=items)


def check_diagnostics(index: ModuleIndex, encoding: str) -> list[types.Diagnostic]:
    """The built-in checks' findings, each with its code."""
    lines = lines_of(index, encoding)
    return [
        types.Diagnostic(
            range=lines.range(f.span),
            message=f.message,
            severity=types.DiagnosticSeverity.Error,
            code=f.code,
            source=SOURCE,
        )
        for f in check_module(index)
    ]


def relative_tokens(flat: list[int], lines: list[str], encoding: str) -> list[int]:
    """Absolute flat tokens (``line, col, length, type, modifiers`` in ``str`` indices) in
    LSP's relative encoding, columns and lengths in code units of ``encoding``."""
    data: list[int] = []
    append = data.extend
    last_line = last_col = 0
    converter = Lines("", encoding)
    converter.lines = lines
    for i in range(0, len(flat), 5):
        line, col, length, kind, mods = flat[i : i + 5]
        text = lines[line] if line < len(lines) else ""
        if not text.isascii():
            end = converter.column(line, col + length)
            col = converter.column(line, col)
            length = end - col
        append((line - last_line, col - last_col if line == last_line else col, length, kind, mods))
        last_line, last_col = line, col
    return data


def folding_ranges(folds: list[Fold]) -> list[types.FoldingRange]:
    """Folds as LSP folding ranges (whole lines)."""
    kinds = {"comment": types.FoldingRangeKind.Comment, "region": types.FoldingRangeKind.Region}
    return [
        types.FoldingRange(start_line=f.start, end_line=f.end, kind=kinds.get(f.kind))
        for f in folds
    ]


def selections(
    index: ModuleIndex, positions: list[types.Position], encoding: str
) -> list[types.SelectionRange]:
    """One nested selection range per position."""
    lines = lines_of(index, encoding)
    out: list[types.SelectionRange] = []
    for position in positions:
        spans = selection_ranges(index, position.line, lines.index(position))
        current: types.SelectionRange | None = None
        for span in reversed(spans):
            current = types.SelectionRange(range=lines.range(span), parent=current)
        if current is None:
            here = types.Range(start=position, end=position)
            current = types.SelectionRange(range=here)
        out.append(current)
    return out


def asm_occurrences(
    index: AsmIndex, position: types.Position, lines: Lines
) -> list[tuple[types.Range, bool]]:
    """The occurrences of the label or symbol at ``position`` in an assembly file."""
    name = asm_name_at(index, position.line, lines.index(position))
    if name is None:
        return []
    return [(lines.range(occ.span), occ.is_def) for occ in index.names.get(name, [])]


def asm_prepare_rename(
    index: AsmIndex, position: types.Position, lines: Lines
) -> types.PrepareRenamePlaceholder | str:
    """The range and name of the label or symbol at ``position``, or why it cannot be
    renamed (a ``str``)."""
    found = asm_rename.prepare_asm_rename(index, position.line, lines.index(position))
    if isinstance(found, rename.Refusal):
        return found.message
    return types.PrepareRenamePlaceholder(
        range=lines.range(found.span), placeholder=found.placeholder
    )


def asm_rename_edit(
    index: AsmIndex, uri: str, position: types.Position, new_name: str, lines: Lines
) -> types.WorkspaceEdit | str:
    """The workspace edit renaming the label or symbol at ``position``, or the refusal."""
    edits = asm_rename.asm_rename(index, position.line, lines.index(position), new_name)
    if isinstance(edits, rename.Refusal):
        return edits.message
    return types.WorkspaceEdit(
        changes={
            uri: [types.TextEdit(range=lines.range(e.span), new_text=e.new_text) for e in edits]
        }
    )
