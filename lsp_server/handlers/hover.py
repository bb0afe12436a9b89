"""LSP wiring of the preview: ``textDocument/hover``, ``irlens/pipelineSteps`` and the
``irlens/previewUpdated`` notification. The logic is in :mod:`lsp_server.preview.engine`.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from lsprotocol import types

from lsp_server.features import diagnostics
from lsp_server.features.positions import Lines
from lsp_server.handlers.work import plain

if TYPE_CHECKING:
    from lsp_server.preview.engine import HoverPreview, PreviewState, PreviewUpdate
    from lsp_server.server import IrlensServer

# The preview's modules are imported on the first hover, not at start-up: an editor starts the
# server often, and they take a good part of its start-up time to import.

log = logging.getLogger(__name__)

#: Notification: a model prediction landed after its hover returned.
PREVIEW_UPDATED = "irlens/previewUpdated"
#: Request: every pass of a pipeline with the IR after each.
PIPELINE_STEPS = "irlens/pipelineSteps"


def _markup_kind(ls: IrlensServer) -> types.MarkupKind:
    capabilities = ls.client_capabilities.text_document
    hover = capabilities.hover if capabilities is not None else None
    formats = hover.content_format if hover is not None else None
    if formats and types.MarkupKind.Markdown not in formats:
        return types.MarkupKind.PlainText
    return types.MarkupKind.Markdown


def _position_json(lines: Lines, found: HoverPreview | PreviewUpdate) -> dict[str, Any]:
    span = found.span
    position = lines.position(span.start.line, span.start.col)
    end = lines.position(span.end.line, span.end.col)
    return {
        "position": {"line": position.line, "character": position.character},
        "range": {
            "start": {"line": position.line, "character": position.character},
            "end": {"line": end.line, "character": end.character},
        },
    }


def register(server: IrlensServer) -> None:
    """Add the preview's handlers to ``server``."""
    made: list[PreviewState] = []

    def preview_state() -> PreviewState:
        if not made:
            from lsp_server.llvm.warm import WarmTools
            from lsp_server.preview.engine import PreviewState

            # Spare opt and llc processes wait for the next hover (they exit with the
            # server, when their stdin closes).
            made.append(PreviewState(warm=WarmTools()))
        return made[0]

    def forget(uri: str) -> None:
        if made:
            made[0].forget_document(uri)

    server.on_close.append(forget)

    @server.feature(types.TEXT_DOCUMENT_HOVER)
    async def hover(ls: IrlensServer, params: types.HoverParams) -> types.Hover | None:
        uri = params.text_document.uri
        document = ls.workspace.get_text_document(uri)
        if diagnostics.document_kind(uri, document.language_id) != "ir":
            return None
        text = document.source
        lines = Lines(text, ls.encoding)
        col = lines.index(params.position)
        services = await ls.services()

        def updated(update: PreviewUpdate) -> None:
            payload = {
                "uri": uri,
                **_position_json(lines, update),
                "function": update.function,
                "pass": update.pass_text,
                "markdown": update.markdown,
                "data": update.data,
            }
            ls.protocol.notify(PREVIEW_UPDATED, payload)

        from lsp_server.preview.engine import Superseded, hover_preview

        state = preview_state()

        async def work() -> HoverPreview | None:
            try:
                return await hover_preview(
                    text,
                    params.position.line,
                    col,
                    services,
                    state,
                    document=uri,
                    on_update=updated,
                )
            except Superseded:
                return None

        found = await ls.guarded("preview", work(), None)
        if found is None:
            # Not a pass or a define line: the index's hover on values, blocks and the rest.
            from lsp_server.handlers.navigation import index_hover

            return await index_hover(ls, params, _markup_kind(ls))
        return types.Hover(
            contents=types.MarkupContent(kind=_markup_kind(ls), value=found.markdown),
            range=lines.range(found.span),
        )

    @server.feature(PIPELINE_STEPS)
    async def steps(ls: IrlensServer, params: Any) -> dict[str, Any]:
        from lsp_server.preview.steps import pipeline_steps, resolve_request

        data = plain(params) or {}
        uri = data.get("uri") or (data.get("textDocument") or {}).get("uri")
        if not isinstance(uri, str):
            return {"error": "irlens/pipelineSteps needs a document uri"}
        document = ls.workspace.get_text_document(uri)
        text = document.source
        position = None
        raw = data.get("position")
        if isinstance(raw, dict):
            lines = Lines(text, ls.encoding)
            lsp_position = types.Position(line=int(raw["line"]), character=int(raw["character"]))
            position = (lsp_position.line, lines.index(lsp_position))
        services = await ls.services()
        pipeline, function, args = resolve_request(
            text,
            data.get("pipeline"),
            data.get("function"),
            position,
            services.settings.preview.default_pipeline,
        )
        problem = services.toolchain.problem_for("preview")
        if problem is not None:
            return {"pipeline": pipeline, "function": function, "steps": [], "error": problem}
        result = await ls.guarded(
            "pipeline steps", pipeline_steps(text, pipeline, function, services, args), None
        )
        if result is None:
            return {"pipeline": pipeline, "function": function, "steps": [], "error": "failed"}
        return {"uri": uri, **result.to_json()}
