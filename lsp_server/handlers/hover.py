"""LSP wiring of the preview: ``textDocument/hover``, ``irlens/pipelineSteps`` and the
``irlens/previewUpdated`` notification. The engine is :mod:`lsp_server.preview`; the LSP
values are made in :mod:`lsp_server.features.hover`.
"""

from __future__ import annotations

import asyncio
import importlib
from typing import TYPE_CHECKING, Any

from lsprotocol import types
from pygls.exceptions import JsonRpcRequestCancelled

from lsp_server.features import documents as boundary
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

    async def warm_up() -> None:
        # Imported in a thread: the preview's modules take a good part of a second to
        # import, which must not hold up requests on the event loop meanwhile.
        await asyncio.to_thread(importlib.import_module, "lsp_server.preview.warmup")
        from lsp_server.preview.warmup import warm_up as warm_preview

        await warm_preview(await server.services(), preview_state())

    server.on_initialized.append(warm_up)

    @server.feature(types.TEXT_DOCUMENT_HOVER)
    async def hover(ls: IrlensServer, params: types.HoverParams) -> types.Hover | None:
        uri = params.text_document.uri
        snapshot = await ls.document(uri)
        if snapshot.kind != "ir":
            return None
        text = snapshot.text
        limits = ls.settings.limits
        too_large = boundary.too_large(
            text, "the preview", limits.preview_megabytes, "previewMegabytes"
        )
        if too_large is not None:
            from lsp_server.handlers.navigation import index_hover

            kind = feature.markup_kind(ls.client_capabilities)
            found_here = await index_hover(ls, params, kind)
            return found_here or feature.notice_hover(too_large, kind)
        lines = Lines(text, ls.encoding)
        position = lines.clamp(params.position)
        if len(lines.line(position.line)) > limits.line_kilobytes * 1000:
            return None  # nothing to preview on a line of data; reading it would stall
        col = lines.index(position)
        services = await ls.services()

        def updated(update: PreviewUpdate) -> None:
            if ls.is_current(snapshot):
                ls.protocol.notify(
                    feature.PREVIEW_UPDATED, feature.update_payload(uri, lines, update)
                )

        from lsp_server.preview.engine import Superseded, hover_preview

        state = preview_state()

        async def work() -> HoverPreview | None:
            try:
                return await hover_preview(
                    text,
                    position.line,
                    col,
                    services,
                    state,
                    document=uri,
                    on_update=updated,
                )
            except Superseded:
                # A newer hover on this document took over: this one is answered as
                # cancelled (or ContentModified, below), never with a silent null.
                ls.ensure_current(snapshot)
                raise JsonRpcRequestCancelled("irlens: superseded by a newer hover") from None

        found = await ls.guarded("preview", work(), None)
        ls.ensure_current(snapshot)
        if found is None:
            # Not a pass or a define line: the index's hover on values, blocks and the rest.
            from lsp_server.handlers.navigation import index_hover

            return await index_hover(ls, params, feature.markup_kind(ls.client_capabilities))
        return feature.hover(found, lines, feature.markup_kind(ls.client_capabilities))

    @server.feature(feature.PIPELINE_STEPS)
    async def steps(ls: IrlensServer, params: Any) -> dict[str, Any]:
        from lsp_server.preview.steps import pipeline_steps, resolve_request

        try:
            request = feature.parse_steps_request(plain(params))
        except ArgumentError as err:
            raise err.to_jsonrpc() from None
        snapshot = await ls.document(request.uri)
        text = snapshot.text
        services = await ls.services()
        limits = services.settings.limits
        too_large = boundary.too_large(
            text, "pipeline steps", limits.preview_megabytes, "previewMegabytes"
        )
        if too_large is not None:
            pipeline = request.pipeline or services.settings.preview.default_pipeline
            return feature.steps_failure(pipeline, request.function, too_large)
        try:
            pipeline, function, args = resolve_request(
                text,
                request.pipeline,
                request.function,
                request.cursor(text, ls.encoding),
                services.settings.preview.default_pipeline,
                run_line=request.run_line,
                options=await services.opt_options(),
            )
        except ValueError as err:  # a RUN line that is not there
            raise ArgumentError(f"{feature.PIPELINE_STEPS}: {err}").to_jsonrpc() from None
        problem = services.toolchain.problem_for("preview")
        if problem is not None:
            return feature.steps_failure(pipeline, function, problem)
        result = await ls.guarded(
            "pipeline steps", pipeline_steps(text, pipeline, function, services, args), None
        )
        ls.ensure_current(snapshot)
        if result is None:
            return feature.steps_failure(pipeline, function, "failed")
        return feature.steps_payload(request.uri, result)

    return []
