"""Lift to IR as LSP values: command arguments, the new document's URI and edit,
code actions and the diagnostics of functions that did not round-trip.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import unquote, urlsplit, urlunsplit

from lsprotocol import types

from lsp_server.features.arguments import ArgumentError, optional_str
from lsp_server.features.positions import Lines
from lsp_server.lift.report import FAILED, SIMILAR, LiftResult
from lsp_server.syntax.asm import parse_asm

LIFT_COMMAND = "irlens.liftToIR"
CODE_ACTION_KIND = "refactor.rewrite.irlens.liftToIR"
DIAGNOSTIC_SOURCE = "irlens lift"
_ASM_SUFFIXES = (".s", ".S", ".asm")


@dataclass(frozen=True)
class LiftRequest:
    """What ``irlens.liftToIR`` was asked: a document, and optionally part of it."""

    uri: str
    function: str | None = None
    lines: tuple[int, int] | None = None
    triple: str | None = None


_USAGE = (
    "irlens.liftToIR takes a document URI, optionally followed by a range or a function "
    'name, or one object {"uri": ..., "range"?: ..., "function"?: ..., "triple"?: ...}'
)


def _lines_of(value: Any) -> tuple[int, int]:
    try:
        return int(value["start"]["line"]), int(value["end"]["line"])
    except (KeyError, TypeError, ValueError) as err:
        raise ArgumentError(
            f"{LIFT_COMMAND}: range must be an LSP Range, got {value!r}; {_USAGE}"
        ) from err


def parse_arguments(args: Sequence[Any]) -> LiftRequest:
    """The request in ``workspace/executeCommand``'s arguments (see ``_USAGE``).

    Raises :class:`ArgumentError` naming what is wrong.
    """
    if not args:
        raise ArgumentError(_USAGE)
    first = args[0]
    if isinstance(first, dict):
        uri = first.get("uri")
        if not isinstance(uri, str) or not uri:
            raise ArgumentError(_USAGE)
        lines = _lines_of(first["range"]) if first.get("range") is not None else None
        return LiftRequest(
            uri,
            function=optional_str(first.get("function"), LIFT_COMMAND, "function"),
            lines=lines,
            triple=optional_str(first.get("triple"), LIFT_COMMAND, "triple"),
        )
    if not isinstance(first, str) or not first:
        raise ArgumentError(_USAGE)
    if len(args) == 1:
        return LiftRequest(first)
    second = args[1]
    if isinstance(second, str):
        return LiftRequest(first, function=second or None)
    if isinstance(second, dict):
        return LiftRequest(first, lines=_lines_of(second))
    raise ArgumentError(_USAGE)


def source_name(uri: str) -> str:
    """The file name a URI ends with, for the header and messages."""
    return PurePosixPath(unquote(urlsplit(uri).path)).name or uri


def file_path(uri: str) -> Path | None:
    """The local path of a ``file:`` URI, else None."""
    parts = urlsplit(uri)
    return Path(unquote(parts.path)) if parts.scheme == "file" else None


def lifted_uri(source_uri: str, taken: Callable[[str], bool]) -> str:
    """``<name>.lifted.ll`` beside the source; ``<name>.lifted.2.ll`` (3, ...) when taken."""
    parts = urlsplit(source_uri)
    path = PurePosixPath(parts.path)
    stem = path.name
    for suffix in _ASM_SUFFIXES:
        if stem.endswith(suffix) and len(stem) > len(suffix):
            stem = stem[: -len(suffix)]
            break
    number = 1
    while True:
        name = f"{stem}.lifted.ll" if number == 1 else f"{stem}.lifted.{number}.ll"
        candidate = urlunsplit(parts._replace(path=str(path.with_name(name))))
        if not taken(candidate):
            return candidate
        number += 1


def lifted_target(source_uri: str, open_uris: Collection[str]) -> str:
    """The lifted document's URI: a name no open document and no file on disk has."""

    def taken(uri: str) -> bool:
        if uri in open_uris:
            return True
        path = file_path(uri)
        # A dangling symbolic link takes its name too: the file is never written through it.
        return path is not None and (path.exists() or path.is_symlink())

    return lifted_uri(source_uri, taken)


def summary(result: LiftResult, target: str) -> tuple[str, types.MessageType]:
    """The message shown once the lifted document is open: a warning if any function failed."""
    counts = result.counts()
    message = (
        f"irlens: lifted {result.source} to {source_name(target)}: {counts['exact']} exact, "
        f"{counts['similar']} similar, {counts['failed']} failed round trips"
    )
    kind = types.MessageType.Warning if counts["failed"] else types.MessageType.Info
    return message, kind


def shows_documents(capabilities: types.ClientCapabilities | None) -> bool:
    """Whether the client opens a document on ``window/showDocument``."""
    window = capabilities.window if capabilities is not None else None
    show = window.show_document if window is not None else None
    return bool(show is not None and show.support)


def disabled_support(capabilities: types.ClientCapabilities | None) -> bool:
    """Whether the client shows disabled code actions (with their reason)."""
    text_document = capabilities.text_document if capabilities is not None else None
    action = text_document.code_action if text_document is not None else None
    return bool(action is not None and action.disabled_support)


def can_create_files(capabilities: types.ClientCapabilities | None) -> bool:
    """Whether the client applies a workspace edit that creates a file."""
    edit = (
        capabilities.workspace.workspace_edit if capabilities and capabilities.workspace else None
    )
    if edit is None:
        return False
    # Resource operations only travel in documentChanges, so offering "create" implies it;
    # Neovim (0.11) offers create and applies documentChanges without saying so.
    return types.ResourceOperationKind.Create in (edit.resource_operations or [])


def creation_edit(uri: str, text: str) -> types.WorkspaceEdit:
    """Create ``uri`` (failing if it exists: never overwrite) and insert ``text``."""
    return types.WorkspaceEdit(
        document_changes=[
            types.CreateFile(
                uri=uri,
                options=types.CreateFileOptions(overwrite=False, ignore_if_exists=False),
            ),
            types.TextDocumentEdit(
                text_document=types.OptionalVersionedTextDocumentIdentifier(uri=uri, version=None),
                edits=[
                    types.TextEdit(
                        range=types.Range(
                            start=types.Position(line=0, character=0),
                            end=types.Position(line=0, character=0),
                        ),
                        new_text=text,
                    )
                ],
            ),
        ]
    )


def code_actions(
    uri: str,
    text: str,
    selection: types.Range,
    *,
    has_model: bool,
    disabled_support: bool,
) -> list[types.CodeAction]:
    """ "Lift <function> to LLVM IR" at a function, and "Lift this file to LLVM IR".

    Without a model the actions are offered disabled with the reason where the client
    shows such actions, and left out where it does not.
    """
    if not has_model and not disabled_support:
        return []
    disabled = (
        None
        if has_model
        else types.CodeActionDisabled(
            reason="lifting needs an LLM Compiler -ftd model: set irlens.model.url"
        )
    )
    actions = []
    first, last = selection.start.line, selection.end.line
    for fn in parse_asm(text).functions:
        if fn.span.start.line <= last and fn.span.end.line >= first:
            arguments: list[Any] = [{"uri": uri, "function": fn.name}]
            actions.append(
                types.CodeAction(
                    title=f"Lift {fn.name} to LLVM IR",
                    kind=CODE_ACTION_KIND,
                    disabled=disabled,
                    command=types.Command(
                        title=f"Lift {fn.name} to LLVM IR",
                        command=LIFT_COMMAND,
                        arguments=arguments,
                    ),
                )
            )
            break
    actions.append(
        types.CodeAction(
            title="Lift this file to LLVM IR",
            kind=CODE_ACTION_KIND,
            disabled=disabled,
            command=types.Command(
                title="Lift this file to LLVM IR", command=LIFT_COMMAND, arguments=[{"uri": uri}]
            ),
        )
    )
    return actions


def lift_diagnostics(
    result: LiftResult, text: str, encoding: str = "utf-16"
) -> list[types.Diagnostic]:
    """A warning at each function that failed the round trip, and a note at the first
    differing line of each that was only similar."""
    lines = Lines(text, encoding)
    found = []
    for fn in result.functions:
        if fn.status == FAILED:
            line, severity = fn.label_line, types.DiagnosticSeverity.Warning
            message = f"{fn.name} was not lifted to checked IR: {fn.detail}"
        elif fn.status == SIMILAR:
            line = fn.difference_line if fn.difference_line is not None else fn.label_line
            severity = types.DiagnosticSeverity.Information
            message = (
                f"{fn.name}: the lifted IR compiles back to similar assembly, not the same "
                f"(BLEU {fn.score:.3f}, llc -{fn.opt_level}); {fn.detail}"
            )
        else:
            continue
        length = len(lines.line(line))
        found.append(
            types.Diagnostic(
                range=types.Range(start=lines.position(line, 0), end=lines.position(line, length)),
                message=message,
                severity=severity,
                source=DIAGNOSTIC_SOURCE,
            )
        )
    return found
