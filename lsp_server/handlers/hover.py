"""LSP wiring of the preview: ``textDocument/hover``, ``irlens/pipelineSteps`` and the
``irlens/previewUpdated`` notification. The engine is :mod:`lsp_server.preview`; the LSP
values are made in :mod:`lsp_server.features.hover`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from lsprotocol import types

from lsp_server.features import diagnostics
from lsp_server.features import hover as feature
from lsp_server.features.arguments import ArgumentError
from lsp_server.features.positions import Lines
from lsp_server.handlers.code_actions import CodeActionSource
from lsp_server.handlers.work import plain
from lsp_server.session import IrlensServer

if TYPE_CHECKING:
    from lsp_server.preview.engine import HoverPreview, PreviewState, PreviewUpdate

# The preview's modules are imported on the first hover, not at start-up: an editor starts the
# server often, and they take a good part of its start-up time to import.


def register(server: IrlensServer) -> list[CodeActionSource]:
    """Add the preview's handlers to ``server`` (it offers no code actions)."""
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
            ls.protocol.notify(feature.PREVIEW_UPDATED, feature.update_payload(uri, lines, update))

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
            return None
        return feature.hover(found, lines, feature.markup_kind(ls.client_capabilities))

    @server.feature(feature.PIPELINE_STEPS)
    async def steps(ls: IrlensServer, params: Any) -> dict[str, Any]:
        from lsp_server.preview.steps import pipeline_steps, resolve_request

        try:
            request = feature.parse_steps_request(plain(params))
        except ArgumentError as err:
            raise err.to_jsonrpc() from None
        text = ls.workspace.get_text_document(request.uri).source
        services = await ls.services()
        pipeline, function, args = resolve_request(
            text,
            request.pipeline,
            request.function,
            request.cursor(text, ls.encoding),
            services.settings.preview.default_pipeline,
        )
        problem = services.toolchain.problem_for("preview")
        if problem is not None:
            return feature.steps_failure(pipeline, function, problem)
        result = await ls.guarded(
            "pipeline steps", pipeline_steps(text, pipeline, function, services, args), None
        )
        if result is None:
            return feature.steps_failure(pipeline, function, "failed")
        return feature.steps_payload(request.uri, result)

    return []
