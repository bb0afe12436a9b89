"""Definition, references and highlights of the name under a cursor, as plain values.

Works for every kind of name the index knows: globals, locals and blocks, named types,
metadata, attribute groups and comdats. Positions are the ``syntax`` layer's (0-based
line, column in ``str`` indices); the LSP layer converts them.
"""

from __future__ import annotations

from typing import NamedTuple

from lsp_server.syntax.index import (
    Entity,
    ModuleIndex,
    definitions,
    key_at,
    occurrences,
    resolve,
)
from lsp_server.syntax.span import Span


class Highlight(NamedTuple):
    """An occurrence to highlight; ``is_def`` marks the definition (a write)."""

    span: Span
    is_def: bool


def entity_at(index: ModuleIndex, line: int, col: int) -> Entity | None:
    """The entity named under the cursor, if any."""
    found = key_at(index, line, col)
    if found is None:
        return None
    function, ref = found
    return resolve(index, function, ref)


def definition(index: ModuleIndex, line: int, col: int) -> list[Span]:
    """Where the name under the cursor is defined (empty when it is not, or for a
    built-in such as ``!dbg``)."""
    entity = entity_at(index, line, col)
    if entity is None:
        return []
    return definitions(index, entity)


def references(
    index: ModuleIndex, line: int, col: int, include_declaration: bool = True
) -> list[Span]:
    """Every occurrence of the name under the cursor, its definition only when asked."""
    entity = entity_at(index, line, col)
    if entity is None:
        return []
    return [occ.span for occ in occurrences(index, entity) if include_declaration or not occ.is_def]


def highlights(index: ModuleIndex, line: int, col: int) -> list[Highlight]:
    """The occurrences of the name under the cursor (all of them; the editor shows the
    ones on screen)."""
    entity = entity_at(index, line, col)
    if entity is None:
        return []
    return [Highlight(occ.span, occ.is_def) for occ in occurrences(index, entity)]


def use_count(index: ModuleIndex, entity: Entity) -> int:
    """How many times the entity is used (its definitions not counted)."""
    return sum(1 for occ in occurrences(index, entity) if not occ.is_def)
