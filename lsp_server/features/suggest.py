"""Suggest passes for code size, as LSP values: code actions, workspace edits, progress.

The search itself lives in :mod:`lsp_server.search`; this module turns its
:class:`~lsp_server.search.engine.Suggestion` into what an editor shows:

- Listing code actions never waits for a model or a compilation. Without a finished result
  for this text, it offers one action per scope ("Find a pass list smaller than -Oz for
  @crc32", and the module's as a ``source`` action) whose edit is computed on
  ``codeAction/resolve``. With a result, it offers the result itself ("Optimize @crc32 for
  size: `...`: 212 → 198 bytes (-6.6% vs -Oz), verified with LLVM 19.1.7", or "-Oz is best
  of 9 verified candidates: apply -Oz") and "Insert the pass list as a comment".
- An edit replaces the function (or the whole module) with opt's output, checked before it
  was offered (see :mod:`lsp_server.search.verify`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from lsprotocol import types

from lsp_server import textkey
from lsp_server.features.actions import kind_wanted
from lsp_server.features.arguments import ArgumentError, optional_number, optional_str
from lsp_server.features.positions import Lines
from lsp_server.syntax.ir import function_at, parse_module
from lsp_server.syntax.runlines import parse_run_lines
from lsp_server.syntax.span import split_lines

if TYPE_CHECKING:
    # The search is imported when a search runs, not when the server starts.
    from lsp_server.search.engine import ProgressEvent, Suggestion

FUNCTION_KIND = "refactor.rewrite.irlens.suggestPasses"
MODULE_KIND = "source.irlens.suggestPasses"
COMMAND = "irlens.suggestPasses"
PROGRESS_NOTIFICATION = "irlens/suggestProgress"
DATA_TAG = "irlens.suggest"

SEARCH = "search"  # run the search on resolve, then apply its offer
APPLY = "apply"  # apply a finished result's offer
COMMENT = "comment"  # insert `; irlens: passes=...`
RUN_LINE = "runline"  # insert `; RUN: opt -passes='...' -S %s`


def text_key(text: str) -> str:
    """What identifies a document's content in caches and in code action data."""
    return textkey.text_key(text)[:24]


@dataclass(frozen=True)
class ActionData:
    """The ``data`` of an unresolved code action."""

    uri: str
    function: str | None
    action: str
    key: str

    def to_json(self) -> dict[str, Any]:
        return {
            "tag": DATA_TAG,
            "uri": self.uri,
            "function": self.function,
            "action": self.action,
            "key": self.key,
        }

    @classmethod
    def from_json(cls, data: Any) -> ActionData | None:
        """The data of one of our actions, or None for anybody else's."""
        if not isinstance(data, dict) or data.get("tag") != DATA_TAG:
            return None
        uri, function, action = data.get("uri"), data.get("function"), data.get("action")
        if not isinstance(uri, str) or action not in (SEARCH, APPLY, COMMENT, RUN_LINE):
            return None
        if function is not None and not isinstance(function, str):
            return None
        return cls(uri, function or None, str(action), str(data.get("key") or ""))


def _scope(function: str | None) -> str:
    return f"@{function}" if function else "the module"


def search_title(function: str | None) -> str:
    """The title of a search's ``$/progress``."""
    return f"irlens: searching passes for {_scope(function)}"


def resolve_support(capabilities: types.ClientCapabilities | None) -> bool:
    """Whether the client resolves a code action's ``edit`` lazily."""
    text_document = capabilities.text_document if capabilities is not None else None
    action = text_document.code_action if text_document is not None else None
    support = action.resolve_support if action is not None else None
    return bool(support and "edit" in support.properties)


def document_changes(capabilities: types.ClientCapabilities | None) -> bool:
    """Whether the client takes versioned edits (``documentChanges``)."""
    workspace = capabilities.workspace if capabilities is not None else None
    edit = workspace.workspace_edit if workspace is not None else None
    return bool(edit and edit.document_changes)


def code_actions(
    text: str,
    uri: str,
    selection: types.Range,
    *,
    cached: dict[str | None, Suggestion],
    resolve_support: bool,
    only: list[str] | None = None,
) -> list[types.CodeAction]:
    """The suggest-passes actions for a cursor or selection; never runs a tool.

    ``cached`` holds finished results for this exact text, by function (None: the module).
    A client that cannot resolve actions gets the search as a command instead.
    """
    module = parse_module(text)
    if not any(f.is_definition for f in module.functions):
        return []
    key = text_key(text)
    actions: list[types.CodeAction] = []
    function = function_at(module, selection.start.line)
    scopes: list[tuple[str | None, str]] = []
    if function is not None and kind_wanted(FUNCTION_KIND, only):
        scopes.append((function.name, FUNCTION_KIND))
    if kind_wanted(MODULE_KIND, only):
        scopes.append((None, MODULE_KIND))
    has_run_lines = bool(parse_run_lines(text))
    for name, kind in scopes:
        result = cached.get(name)
        if result is None or result.offer is None:
            actions.append(_search_action(uri, name, kind, key, resolve_support, result))
            continue
        actions.append(_action(result.headline(), kind, ActionData(uri, name, APPLY, key)))
        actions.append(
            _action(
                f"Insert the pass list for {_scope(name)} as a comment",
                kind,
                ActionData(uri, name, COMMENT, key),
            )
        )
        if has_run_lines and name is None:
            actions.append(
                _action(
                    "Insert the pass list as a RUN line", kind, ActionData(uri, name, RUN_LINE, key)
                )
            )
    return actions


def _action(title: str, kind: str, data: ActionData) -> types.CodeAction:
    return types.CodeAction(title=title, kind=kind, data=data.to_json())


def _search_action(
    uri: str,
    function: str | None,
    kind: str,
    key: str,
    resolve_support: bool,
    failed: Suggestion | None,
) -> types.CodeAction:
    title = f"Find a pass list that makes {_scope(function)} smaller than -Oz"
    if failed is not None and failed.error:
        title = f"{title} (last try: {failed.error[:80]})"
    if resolve_support:
        return _action(title, kind, ActionData(uri, function, SEARCH, key))
    arguments: list[Any] = [{"uri": uri, "function": function, "apply": True}]
    return types.CodeAction(
        title=title,
        kind=kind,
        command=types.Command(title=title, command=COMMAND, arguments=arguments),
    )


_USAGE = (
    'irlens.suggestPasses takes {"uri": ..., "function"?: ..., "budgetSeconds"?: ..., '
    '"apply"?: true}, or a URI optionally followed by a function name'
)


@dataclass(frozen=True)
class SuggestRequest:
    """What ``irlens.suggestPasses`` was asked."""

    uri: str
    function: str | None = None
    budget: float | None = None
    apply: bool = False


def parse_arguments(args: list[Any]) -> SuggestRequest:
    """The request in the command's arguments; raises :class:`ArgumentError` saying what is
    wrong."""
    if not args:
        raise ArgumentError(_USAGE)
    first = args[0]
    if isinstance(first, str) and first:
        second = args[1] if len(args) > 1 else None
        if second is not None and not isinstance(second, str):
            raise ArgumentError(_USAGE)
        return SuggestRequest(first, second or None)
    if not isinstance(first, dict) or not isinstance(first.get("uri"), str):
        raise ArgumentError(_USAGE)
    function = optional_str(first.get("function"), COMMAND, "function")
    budget = optional_number(first.get("budgetSeconds"), COMMAND, "budgetSeconds", low=0, high=3600)
    return SuggestRequest(first["uri"], function, budget, bool(first.get("apply")))


def command_payload(uri: str, suggestion: Suggestion) -> dict[str, Any]:
    """The command's answer: ``ok`` when there is an offer (``-Oz`` itself included)."""
    return {"ok": suggestion.offer is not None, "uri": uri, **suggestion.to_json()}


# --- edits -------------------------------------------------------------------------------


def _end_of(lines: Lines, line: int) -> types.Position:
    return lines.position(line, len(lines.line(line)))


def offer_edits(text: str, suggestion: Suggestion, encoding: str) -> list[types.TextEdit]:
    """The text edits that apply the suggestion's offer (empty without an offer)."""
    offer = suggestion.offer
    if offer is None:
        return []
    edit = offer.edit
    newline = "\r\n" if "\r\n" in text else "\n"
    lines = Lines(text, encoding)
    count = len(split_lines(text))
    replaced = edit.text.replace("\n", newline)
    last = min(edit.last_line, count - 1)
    if suggestion.function is None:
        # The whole document, whose new text ends with its own final newline.
        whole = types.Range(
            start=types.Position(line=0, character=0), end=_end_of(lines, count - 1)
        )
        return [types.TextEdit(range=whole, new_text=replaced)]
    appended = edit.appended.replace("\n", newline)
    start = types.Position(line=edit.first_line, character=0)
    if appended and last == count - 1:
        # The function ends the document: one edit, so two never touch at the same place.
        ends_with_newline = text.endswith(("\n", "\r"))
        tail = newline if not ends_with_newline else ""
        new_text = replaced + tail + newline + appended + newline
        return [types.TextEdit(types.Range(start=start, end=_end_of(lines, last)), new_text)]
    edits = [types.TextEdit(types.Range(start=start, end=_end_of(lines, last)), replaced)]
    if appended:
        end = _end_of(lines, count - 1)
        lead = newline if lines.line(count - 1) else ""
        edits.append(
            types.TextEdit(types.Range(start=end, end=end), lead + newline + appended + newline)
        )
    return edits


def comment_edit(
    text: str, function: str | None, pipeline: str, *, run_line: bool = False
) -> types.TextEdit:
    """Insert the pipeline as ``; irlens: passes=...`` (or a RUN line) where it belongs."""
    newline = "\r\n" if "\r\n" in text else "\n"
    line = 0
    if function is not None:
        module = parse_module(text)
        found = next((f for f in module.functions if f.is_definition and f.name == function), None)
        if found is not None:
            line = found.span.start.line
            all_lines = split_lines(text)
            while line > 0 and all_lines[line - 1].startswith("; Function Attrs:"):
                line -= 1
    if run_line:
        comment = f"; RUN: opt -passes='{pipeline}' -S %s"
    else:
        comment = f"; irlens: passes={pipeline}"
    at = types.Position(line=line, character=0)
    return types.TextEdit(range=types.Range(start=at, end=at), new_text=comment + newline)


def workspace_edit(
    uri: str, version: int | None, edits: list[types.TextEdit], *, document_changes: bool
) -> types.WorkspaceEdit:
    """A versioned edit when the client takes one (it refuses to apply it to a newer text)."""
    if document_changes:
        return types.WorkspaceEdit(
            document_changes=[
                types.TextDocumentEdit(
                    text_document=types.OptionalVersionedTextDocumentIdentifier(
                        uri=uri, version=version
                    ),
                    edits=list(edits),
                )
            ]
        )
    return types.WorkspaceEdit(changes={uri: list(edits)})


def edits_for(
    text: str, data: ActionData, suggestion: Suggestion, encoding: str
) -> list[types.TextEdit]:
    """The edits an action of kind ``data.action`` makes with a finished suggestion."""
    offer = suggestion.offer
    if offer is None:
        return []
    if data.action in (COMMENT, RUN_LINE):
        return [comment_edit(text, data.function, offer.pipeline, run_line=data.action == RUN_LINE)]
    return offer_edits(text, suggestion, encoding)


# --- progress ----------------------------------------------------------------------------


def progress_payload(uri: str, function: str | None, event: ProgressEvent) -> dict[str, Any]:
    """The ``irlens/suggestProgress`` notification's parameters."""
    return {
        "uri": uri,
        "function": function,
        "phase": event.phase,
        "message": event.message,
        "percentage": event.percent,
        "ozSize": event.oz_size,
        "bestSize": event.best_size,
        "bestPipeline": event.best_pipeline,
        "compilations": event.compilations,
    }


def describe(suggestion: Suggestion) -> str:
    """The result as a few lines of text (the CLI, the demo, a message to the user)."""
    lines = [suggestion.headline()]
    offer = suggestion.offer
    if offer is not None:
        lines.append(f"  differential check: {offer.differential}")
    stats = suggestion.stats
    if stats:
        lines.append(
            f"  search: {suggestion.evaluated} candidates in {suggestion.seconds:.1f} s, "
            f"{stats.get('optRuns', 0)} opt and {stats.get('llcRuns', 0)} llc runs, "
            f"{stats.get('irCacheHits', 0)} answered by an identical module"
        )
    lines.extend(f"  note: {note}" for note in suggestion.notes)
    return "\n".join(lines)
