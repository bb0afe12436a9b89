"""LSP wiring of Lift to IR: the ``irlens.liftToIR`` command, its code action, progress,
cancellation, the new ``.lifted.ll`` document and the diagnostics of failed functions.

The engine is :mod:`lsp_server.lift`; the LSP values are made in
:mod:`lsp_server.features.lift`. Diagnostics: LSP keeps one diagnostic list per document, so
the lift's are handed to the server (``set_extra_diagnostics``), which publishes them merged
with llvm-mc's and drops them when the text changes.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib
from typing import TYPE_CHECKING, Any

from lsprotocol import types

from lsp_server.features import documents as boundary
from lsp_server.features import lift as feature
from lsp_server.features.arguments import ArgumentError
from lsp_server.handlers.code_actions import CodeActionSource
from lsp_server.handlers.work import CANCELLED, Progress, cancel_with_request
from lsp_server.lift.output import UnsafeOutput, write_new

if TYPE_CHECKING:
    from lsp_server.lift.report import LiftResult

# Imported at run time, not only for type checking: pygls reads the command handler's
# annotations to tell the server parameter from the command's arguments.
from lsp_server.session import IrlensServer


def register(server: IrlensServer) -> list[CodeActionSource]:
    """Add the command to ``server``; return its code actions."""

    @server.command(feature.LIFT_COMMAND)
    async def lift_to_ir(ls: IrlensServer, *args: Any) -> dict[str, Any]:
        try:
            request = feature.parse_arguments(args)
        except ArgumentError as err:
            raise err.to_jsonrpc() from None
        return await _lift_command(ls, request)

    return [CodeActionSource("lift", (feature.CODE_ACTION_KIND,), _code_actions)]


# -- the command ------------------------------------------------------------------------


async def _lift_command(ls: IrlensServer, request: feature.LiftRequest) -> dict[str, Any]:
    services = await ls.services()
    snapshot = await ls.document(request.uri)
    text, version = snapshot.text, snapshot.version
    limit = services.settings.limits.lift_megabytes
    too_large = boundary.too_large(text, "lifting", limit, "liftMegabytes")
    if too_large is not None:
        _show(ls, too_large, types.MessageType.Warning)
        return {"ok": False, "error": too_large}
    # The engine is imported on the first lift, in a thread (as the preview is): most
    # sessions never lift, and the server's start need not wait for its modules.
    engine = await asyncio.to_thread(importlib.import_module, "lsp_server.lift.engine")
    options = engine.LiftOptions(
        source=feature.source_name(request.uri),
        function=request.function,
        lines=request.lines,
        triple=request.triple,
    )
    progress = await Progress.start(ls, f"Lifting {options.source} to LLVM IR", "lift")

    def report(done: int, total: int, message: str) -> None:
        progress.report(f"{done}/{total} {message}", int(100 * done / total) if total else 0)

    task = asyncio.ensure_future(engine.lift_assembly(text, services, options, report))
    progress.cancel_with(task)
    cancel_with_request(ls, task)
    try:
        result: LiftResult = await task
    except asyncio.CancelledError:
        progress.end("Cancelled: no further model requests were made")
        if not task.cancelled():
            raise  # this handler itself was cancelled, not just the lift
        return dict(CANCELLED)
    except Exception:
        progress.end("Failed")
        raise
    if not result.ok:
        progress.end("Nothing lifted")
        _show(ls, f"irlens: {result.error}", types.MessageType.Warning)
        return result.to_json()
    progress.end("Done")
    await _publish(ls, request.uri, text, version, result)
    return await _open_result(ls, request.uri, result)


def _show(ls: IrlensServer, message: str, kind: types.MessageType) -> None:
    ls.window_show_message(types.ShowMessageParams(type=kind, message=message))


# -- results ----------------------------------------------------------------------------


async def _publish(
    ls: IrlensServer, uri: str, text: str, version: int | None, result: LiftResult
) -> None:
    """Publish the lift's diagnostics merged with llvm-mc's, keeping them for later merges.

    Nothing is published for a document that changed while the lift ran: its lines moved.
    """
    current = ls.workspace.text_documents.get(uri)
    if current is not None and current.version != version:
        return
    found = feature.lift_diagnostics(result, text, ls.encoding)
    await ls.set_extra_diagnostics(uri, "lift", found)


async def _open_result(ls: IrlensServer, source_uri: str, result: LiftResult) -> dict[str, Any]:
    """Create ``<name>.lifted.ll`` (never over an existing file) and show it."""
    payload = result.to_json()
    document = result.document or ""
    target = feature.lifted_target(source_uri, ls.workspace.text_documents)
    if feature.can_create_files(ls.client_capabilities):
        response = await ls.workspace_apply_edit_async(
            types.ApplyWorkspaceEditParams(
                edit=feature.creation_edit(target, document), label="Lift to LLVM IR"
            )
        )
        if not response.applied:
            reason = response.failure_reason or "no reason given"
            message = f"irlens: the editor did not create {target}: {reason}"
            _show(ls, message, types.MessageType.Error)
            return {**payload, "ok": False, "error": message}
    else:
        path = feature.file_path(target)
        if path is None:
            message = "irlens: this editor cannot create files, and the source is not a local file"
            _show(ls, message, types.MessageType.Error)
            return {**payload, "ok": False, "error": message}
        try:
            await asyncio.to_thread(write_new, path, document)
        except (OSError, UnsafeOutput) as err:
            message = f"irlens: cannot write {path}: {err}"
            _show(ls, message, types.MessageType.Error)
            return {**payload, "ok": False, "error": message}
    if feature.shows_documents(ls.client_capabilities):
        with contextlib.suppress(Exception):
            await ls.window_show_document_async(
                types.ShowDocumentParams(uri=target, take_focus=True)
            )
    _show(ls, *feature.summary(result, target))
    return {**payload, "uri": target}


# -- the code action --------------------------------------------------------------------


async def _code_actions(ls: IrlensServer, params: types.CodeActionParams) -> list[types.CodeAction]:
    uri = params.text_document.uri
    snapshot = await ls.document(uri)
    if snapshot.kind != "asm":
        return []
    services = await ls.services()
    limit = services.settings.limits.lift_megabytes
    if boundary.too_large(snapshot.text, "lifting", limit, "liftMegabytes") is not None:
        return []  # the command says why, if asked
    return feature.code_actions(
        uri,
        snapshot.text,
        params.range,
        has_model=services.backend is not None,
        disabled_support=feature.disabled_support(ls.client_capabilities),
    )
