"""What every feature's code actions share: the ``only`` filter and the advertised options."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from lsprotocol import types


def kind_wanted(kind: str, only: Sequence[str] | None) -> bool:
    """Whether an action of ``kind`` is asked for by ``context.only`` (absent: all are).

    Kinds are hierarchical: ``refactor`` asks for ``refactor.rewrite.irlens.liftToIR``.
    """
    return not only or any(not o or kind == o or kind.startswith(o + ".") for o in only)


def only_of(params: types.CodeActionParams) -> list[str] | None:
    """The kinds a ``textDocument/codeAction`` request asks for, None for all."""
    return [str(kind) for kind in params.context.only or []] or None


def options(kinds: Iterable[Sequence[str]], *, resolve: bool) -> types.CodeActionOptions:
    """The server's code action capability: every feature's kinds, in order, once each."""
    union: list[str] = []
    for group in kinds:
        union.extend(kind for kind in group if kind not in union)
    return types.CodeActionOptions(code_action_kinds=union or None, resolve_provider=resolve)
