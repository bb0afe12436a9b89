"""LSP wiring of Lift to IR: the ``irlens.liftToIR`` command, its code action, progress,
cancellation, the new ``.lifted.ll`` document and the diagnostics of failed functions.

Diagnostics: LSP keeps one diagnostic list per document, so the lift's are handed to the
server (``set_extra_diagnostics``), which publishes them merged with llvm-mc's and drops them
when the text changes.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import weakref
from collections.abc import Callable
from pathlib import Path
from typing import Any

from lsprotocol import types

from lsp_server.features import diagnostics as asm_diagnostics
from lsp_server.features.lift import (
    CODE_ACTION_KIND,
    LIFT_COMMAND,
    ArgumentError,
    can_create_files,
    code_actions,
    creation_edit,
    file_path,
    lift_diagnostics,
    lifted_uri,
    parse_arguments,
    source_name,
)
from lsp_server.handlers.work import Progress, cancel_with_request
from lsp_server.lift.engine import LiftOptions, lift_assembly
from lsp_server.lift.report import LiftResult

# Imported at run time, not only for type checking: pygls reads the command handler's
# annotations to tell the server parameter from the command's arguments.
from lsp_server.server import IrlensServer

log = logging.getLogger(__name__)

_WITH_CODE_ACTION: weakref.WeakSet[Any] = weakref.WeakSet()


def register(server: IrlensServer) -> None:
    """Add the command now, and the code action when the session initialises."""

    @server.command(LIFT_COMMAND)
    async def lift_to_ir(ls: IrlensServer, *args: Any) -> dict[str, Any]:
        return await _lift_command(ls, args)

    _add_code_action_at_initialize(server)


# -- the command ------------------------------------------------------------------------


async def _lift_command(ls: IrlensServer, args: tuple[Any, ...]) -> dict[str, Any]:
    try:
        request = parse_arguments(args)
    except ArgumentError as err:
        _show(ls, str(err), types.MessageType.Error)
        return {"ok": False, "error": str(err)}
    services = await ls.services()
    try:
        document = ls.workspace.get_text_document(request.uri)
        text, version = document.source, document.version
    except OSError as err:
        message = f"irlens: cannot read {request.uri}: {err}"
        _show(ls, message, types.MessageType.Error)
        return {"ok": False, "error": message}
    options = LiftOptions(
        source=source_name(request.uri),
        function=request.function,
        lines=request.lines,
        triple=request.triple,
    )
    progress = await Progress.start(ls, f"Lifting {options.source} to LLVM IR", "lift")

    def report(done: int, total: int, message: str) -> None:
        progress.report(f"{done}/{total} {message}", int(100 * done / total) if total else 0)

    task = asyncio.ensure_future(lift_assembly(text, services, options, report))
    progress.cancel_with(task)
    cancel_with_request(ls, task)
    try:
        result = await task
    except asyncio.CancelledError:
        progress.end("Cancelled: no further model requests were made")
        if not task.cancelled():
            raise  # this handler itself was cancelled, not just the lift
        return {"ok": False, "cancelled": True, "error": "cancelled"}
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
    await ls.set_extra_diagnostics(uri, "lift", lift_diagnostics(result, text, ls.encoding))


def _taken(ls: IrlensServer) -> Callable[[str], bool]:
    def taken(uri: str) -> bool:
        if uri in ls.workspace.text_documents:
            return True
        path = file_path(uri)
        return path is not None and path.exists()

    return taken


async def _open_result(ls: IrlensServer, source_uri: str, result: LiftResult) -> dict[str, Any]:
    """Create ``<name>.lifted.ll`` (never over an existing file) and show it."""
    payload = result.to_json()
    document = result.document or ""
    target = lifted_uri(source_uri, _taken(ls))
    if can_create_files(ls.client_capabilities):
        response = await ls.workspace_apply_edit_async(
            types.ApplyWorkspaceEditParams(
                edit=creation_edit(target, document), label="Lift to LLVM IR"
            )
        )
        if not response.applied:
            reason = response.failure_reason or "no reason given"
            message = f"irlens: the editor did not create {target}: {reason}"
            _show(ls, message, types.MessageType.Error)
            return {**payload, "ok": False, "error": message}
    else:
        path = file_path(target)
        if path is None:
            message = "irlens: this editor cannot create files, and the source is not a local file"
            _show(ls, message, types.MessageType.Error)
            return {**payload, "ok": False, "error": message}
        try:
            await asyncio.to_thread(_write_new, path, document)
        except OSError as err:
            message = f"irlens: cannot write {path}: {err}"
            _show(ls, message, types.MessageType.Error)
            return {**payload, "ok": False, "error": message}
    window = ls.client_capabilities.window
    if window is not None and window.show_document is not None and window.show_document.support:
        with contextlib.suppress(Exception):
            await ls.window_show_document_async(
                types.ShowDocumentParams(uri=target, take_focus=True)
            )
    counts = result.counts()
    summary = (
        f"irlens: lifted {result.source} to {source_name(target)}: {counts['exact']} exact, "
        f"{counts['similar']} similar, {counts['failed']} failed round trips"
    )
    _show(ls, summary, types.MessageType.Warning if counts["failed"] else types.MessageType.Info)
    return {**payload, "uri": target}


def _write_new(path: Path, text: str) -> None:
    with open(path, "x", encoding="utf-8") as out:
        out.write(text)


# -- the code action --------------------------------------------------------------------


def _add_code_action_at_initialize(server: IrlensServer) -> None:
    """Register the code action once every feature module has registered its handlers.

    pygls allows one ``textDocument/codeAction`` handler, and other features (suggest
    passes) offer code actions too. pygls computes the server's capabilities after the
    user's ``initialize`` handler, so registering from there lets this action join
    whatever handler exists by then, whichever module registered first.
    """
    features = server.protocol.fm.features
    original = features.get(types.INITIALIZE)

    def initialize(params: types.InitializeParams) -> Any:
        _install_code_action(server)
        return original(params) if original is not None else None

    features[types.INITIALIZE] = initialize


def _install_code_action(server: IrlensServer) -> None:
    fm = server.protocol.fm
    if server in _WITH_CODE_ACTION:
        return
    _WITH_CODE_ACTION.add(server)

    async def mine(params: types.CodeActionParams) -> list[types.CodeAction]:
        return await _code_actions(server, params)

    existing = fm.features.get(types.TEXT_DOCUMENT_CODE_ACTION)
    if existing is None:
        server.feature(
            types.TEXT_DOCUMENT_CODE_ACTION,
            types.CodeActionOptions(code_action_kinds=[CODE_ACTION_KIND]),
        )(mine)
        return

    async def both(params: types.CodeActionParams) -> list[types.CodeAction | types.Command]:
        found = existing(params)
        if asyncio.iscoroutine(found) or isinstance(found, asyncio.Future):
            found = await found
        return [*(found or []), *await mine(params)]

    fm.features[types.TEXT_DOCUMENT_CODE_ACTION] = both
    options = fm.feature_options.get(types.TEXT_DOCUMENT_CODE_ACTION)
    if isinstance(options, types.CodeActionOptions):
        kinds = list(options.code_action_kinds or [])
        if kinds and CODE_ACTION_KIND not in kinds:
            kinds.append(CODE_ACTION_KIND)
        options.code_action_kinds = kinds or None


async def _code_actions(ls: IrlensServer, params: types.CodeActionParams) -> list[types.CodeAction]:
    uri = params.text_document.uri
    document = ls.workspace.get_text_document(uri)
    if asm_diagnostics.document_kind(uri, document.language_id) != "asm":
        return []
    only = params.context.only
    if only and not any(CODE_ACTION_KIND.startswith(kind) for kind in only):
        return []
    services = await ls.services()
    capability = ls.client_capabilities.text_document
    disabled_support = bool(
        capability and capability.code_action and capability.code_action.disabled_support
    )
    try:
        return code_actions(
            uri,
            document.source,
            params.range,
            has_model=services.backend is not None,
            disabled_support=disabled_support,
        )
    except Exception:
        log.exception("irlens lift code actions failed")
        return []
