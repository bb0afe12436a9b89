"""The preview as LSP values: the hover, the ``irlens/previewUpdated`` notification's
payload, and ``irlens/pipelineSteps``' request and answer.

The preview itself lives in :mod:`lsp_server.preview`; it is imported only for type checking
here, since the handlers import it on the first hover (it takes a good part of the server's
start-up time to import).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from lsprotocol import types

from lsp_server.features.arguments import ArgumentError, optional_position, optional_str
from lsp_server.features.positions import Lines
from lsp_server.syntax.span import Span

if TYPE_CHECKING:
    from lsp_server.preview.engine import HoverPreview, PreviewUpdate
    from lsp_server.preview.steps import Steps

#: Notification (server to client): a model prediction landed after its hover returned.
PREVIEW_UPDATED = "irlens/previewUpdated"
#: Request (client to server): every pass of a pipeline with the IR after each.
PIPELINE_STEPS = "irlens/pipelineSteps"


def markup_kind(capabilities: types.ClientCapabilities | None) -> types.MarkupKind:
    """Markdown, unless the client lists hover formats without it."""
    text_document = capabilities.text_document if capabilities is not None else None
    hover_capability = text_document.hover if text_document is not None else None
    formats = hover_capability.content_format if hover_capability is not None else None
    if formats and types.MarkupKind.Markdown not in formats:
        return types.MarkupKind.PlainText
    return types.MarkupKind.Markdown


def hover(found: HoverPreview, lines: Lines, kind: types.MarkupKind) -> types.Hover:
    """The hover over the previewed span."""
    return types.Hover(
        contents=types.MarkupContent(kind=kind, value=found.markdown),
        range=lines.range(found.span),
    )


def notice_hover(message: str, kind: types.MarkupKind) -> types.Hover:
    """A hover that says why there is no preview (e.g. a document over its size budget)."""
    return types.Hover(contents=types.MarkupContent(kind=kind, value=message))


def position_json(lines: Lines, span: Span) -> dict[str, Any]:
    """``position`` (the span's start) and ``range`` in the negotiated encoding, as JSON."""
    start = lines.position(span.start.line, span.start.col)
    end = lines.position(span.end.line, span.end.col)
    return {
        "position": {"line": start.line, "character": start.character},
        "range": {
            "start": {"line": start.line, "character": start.character},
            "end": {"line": end.line, "character": end.character},
        },
    }


def update_payload(uri: str, lines: Lines, update: PreviewUpdate) -> dict[str, Any]:
    """The ``irlens/previewUpdated`` notification's parameters (docs/lsp-extensions.md)."""
    return {
        "uri": uri,
        **position_json(lines, update.span),
        "function": update.function,
        "pass": update.pass_text,
        "markdown": update.markdown,
        "data": update.data,
    }


@dataclass(frozen=True)
class StepsRequest:
    """What ``irlens/pipelineSteps`` was asked (every field but the document optional)."""

    uri: str
    position: types.Position | None = None
    pipeline: str | None = None
    function: str | None = None
    run_line: int | None = None  # the RUN line's index among the file's RUN lines

    def cursor(self, text: str, encoding: str) -> tuple[int, int] | None:
        """The position as (line, str index) in ``text``, or None."""
        if self.position is None:
            return None
        lines = Lines(text, encoding)
        position = lines.clamp(self.position)  # past the end is the end, as LSP says
        return position.line, lines.index(position)


def parse_steps_request(params: Any) -> StepsRequest:
    """The request in ``irlens/pipelineSteps``' params (made plain: dicts and lists).

    Raises :class:`ArgumentError` naming the field at fault.
    """
    data = params if params is not None else {}
    if not isinstance(data, dict):
        raise ArgumentError(f"{PIPELINE_STEPS}: params must be an object, got {data!r}")
    document = data.get("textDocument")
    uri = data.get("uri") or (document.get("uri") if isinstance(document, dict) else None)
    if not isinstance(uri, str) or not uri:
        raise ArgumentError(f"{PIPELINE_STEPS} needs a document uri (textDocument.uri or uri)")
    return StepsRequest(
        uri,
        optional_position(data.get("position"), PIPELINE_STEPS, "position"),
        optional_str(data.get("pipeline"), PIPELINE_STEPS, "pipeline"),
        optional_str(data.get("function"), PIPELINE_STEPS, "function"),
        _run_line(data.get("runLine")),
    )


def _run_line(value: Any) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ArgumentError(f"{PIPELINE_STEPS}: runLine must be a RUN line's index (0, 1, ...)")
    return value


def steps_payload(uri: str, steps: Steps) -> dict[str, Any]:
    """``irlens/pipelineSteps``' answer."""
    return {"uri": uri, **steps.to_json()}


def steps_failure(pipeline: str, function: str | None, error: str) -> dict[str, Any]:
    """The answer when the steps could not be computed (a missing tool, a failure)."""
    return {"pipeline": pipeline, "function": function, "steps": [], "error": error}
