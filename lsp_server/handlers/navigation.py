"""LSP wiring of navigation: ``textDocument/documentSymbol`` (:mod:`lsp_server.features.symbols`)
and the module index: definition, references, highlights, rename, semantic tokens,
folding, selection ranges, completion, the index's hover and ``irlens/cfg``.

Every request asks :class:`lsp_server.analysis.DocumentIndexes` for the index of the
document's current version (built in a worker thread) and hands it to
:mod:`lsp_server.features.navigation`; assembly files use the label index.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from lsprotocol import types
from pygls.exceptions import JsonRpcException

from lsp_server.analysis import TooLarge
from lsp_server.features import documents as boundary
from lsp_server.features import navigation as nav
from lsp_server.features import symbols
from lsp_server.features.arguments import ArgumentError, optional_position, optional_str
from lsp_server.features.documents import Snapshot
from lsp_server.features.positions import Lines
from lsp_server.handlers.code_actions import CodeActionSource
from lsp_server.handlers.work import plain
from lsp_server.offload import run_sized
from lsp_server.session import IrlensServer
from lsp_server.syntax.index import ModuleIndex

log = logging.getLogger(__name__)

#: Request: the CFG of a function as data (see docs/lsp-extensions.md).
CFG_REQUEST = "irlens/cfg"
_REQUEST_FAILED = -32803
T = TypeVar("T")

_TRIGGERS = ["%", "@", "!", "#", "$"]


async def document_index(ls: IrlensServer, uri: str) -> ModuleIndex | None:
    """The index of the IR document ``uri`` as it is now, or ``None`` (not IR, too large)."""
    snapshot = await ls.document(uri)
    if snapshot.kind != "ir":
        return None
    try:
        return await ls.indexes.get(uri, snapshot.version, snapshot.text)
    except TooLarge as err:
        ls.tell(f"irlens: {err}", types.MessageType.Warning)
        return None


def _on_index(fn: Callable[..., T], index: ModuleIndex, /, *args: object) -> Awaitable[T]:
    """``fn(index, *args)`` off the event loop, in the lane for the indexed document's size."""
    return run_sized(len(index.text), fn, index, *args)


async def index_hover(
    ls: IrlensServer, params: types.HoverParams, kind: types.MarkupKind
) -> types.Hover | None:
    """The hover on values, blocks, types, metadata, attribute groups and opcodes (the
    preview's hover on passes and ``define`` lines comes first; see handlers/hover.py)."""
    index = await document_index(ls, params.text_document.uri)
    if index is None:
        return None
    work = _on_index(nav.hover, index, params.position, ls.encoding, kind)
    return await ls.guarded("hover", work, None)


async def _asm(ls: IrlensServer, uri: str) -> tuple[str, Snapshot] | None:
    snapshot = await ls.document(uri)
    if snapshot.kind != "asm":
        return None
    return snapshot.text, snapshot


def register(server: IrlensServer) -> list[CodeActionSource]:
    """Add the outline and the index's handlers to ``server`` (no code actions)."""
    server.on_close.append(server.indexes.forget)
    # The last outline of each open document: editors ask again and again (outline view,
    # breadcrumbs, sticky scroll) for the same version. Dropped on close and on a new version.
    outlines: dict[str, tuple[tuple[object, ...], list[types.DocumentSymbol]]] = {}
    server.on_close.append(lambda uri: outlines.pop(uri, None))

    # Outlining a huge file takes seconds of CPU: it runs in a thread so that the event loop
    # keeps serving other requests meanwhile, within a size budget and a count of symbols.
    @server.feature(types.TEXT_DOCUMENT_DOCUMENT_SYMBOL)
    async def document_symbol(
        ls: IrlensServer, params: types.DocumentSymbolParams
    ) -> list[types.DocumentSymbol]:
        snapshot = await ls.document(params.text_document.uri)
        if snapshot.kind is None:
            return []
        limits = ls.settings.limits
        too_large = boundary.too_large(
            snapshot.text, "the outline", limits.symbols_megabytes, "symbolsMegabytes"
        )
        if too_large is not None:
            ls.tell(too_large, types.MessageType.Warning)
            return []
        most = limits.max_symbols
        key = (snapshot.version, snapshot.text, ls.encoding, most)
        kept = outlines.get(params.text_document.uri)
        if kept is not None and kept[0][0] == key[0] and kept[0][1:] == key[1:]:
            return kept[1]
        work = run_sized(
            len(snapshot.text),
            symbols.document_symbols,
            snapshot.text,
            snapshot.kind,
            ls.encoding,
            most + 1,
        )
        found = await ls.guarded("document symbols", work, [])
        if len(found) > most:
            ls.tell(
                f"irlens: the outline of {snapshot.uri} shows its first {most} symbols "
                "(setting irlens.limits.maxSymbols)",
                types.MessageType.Info,
            )
            del found[most:]
        ls.ensure_current(snapshot)
        if snapshot.opened:
            outlines[params.text_document.uri] = (key, found)
        return found

    @server.feature(types.TEXT_DOCUMENT_DEFINITION)
    async def definition(
        ls: IrlensServer, params: types.DefinitionParams
    ) -> types.Location | list[types.Location] | None:
        uri = params.text_document.uri
        asm = await _asm(ls, uri)
        found: list[types.Location] = []
        if asm is not None:
            occurrences = await _asm_occurrences(ls, asm[0], params.position)
            found = [types.Location(uri=uri, range=r) for r, is_def in occurrences if is_def]
        else:
            index = await document_index(ls, uri)
            if index is not None:
                work = _on_index(nav.definition, index, uri, params.position, ls.encoding)
                found = await ls.guarded("definition", work, [])
        # One place is answered as a Location, as most servers do; a duplicate as a list.
        if len(found) == 1:
            return found[0]
        return found or None

    @server.feature(types.TEXT_DOCUMENT_REFERENCES)
    async def references(ls: IrlensServer, params: types.ReferenceParams) -> list[types.Location]:
        uri = params.text_document.uri
        include = bool(params.context.include_declaration) if params.context else True
        asm = await _asm(ls, uri)
        if asm is not None:
            found = await _asm_occurrences(ls, asm[0], params.position)
            return [
                types.Location(uri=uri, range=r) for r, is_def in found if include or not is_def
            ]
        index = await document_index(ls, uri)
        if index is None:
            return []
        work = _on_index(nav.references, index, uri, params.position, include, ls.encoding)
        return await ls.guarded("references", work, [])

    @server.feature(types.TEXT_DOCUMENT_DOCUMENT_HIGHLIGHT)
    async def highlight(
        ls: IrlensServer, params: types.DocumentHighlightParams
    ) -> list[types.DocumentHighlight]:
        uri = params.text_document.uri
        asm = await _asm(ls, uri)
        if asm is not None:
            found = await _asm_occurrences(ls, asm[0], params.position)
            write, read = types.DocumentHighlightKind.Write, types.DocumentHighlightKind.Read
            return [types.DocumentHighlight(range=r, kind=write if d else read) for r, d in found]
        index = await document_index(ls, uri)
        if index is None:
            return []
        work = _on_index(nav.highlights, index, params.position, ls.encoding)
        return await ls.guarded("highlight", work, [])

    @server.feature(types.TEXT_DOCUMENT_PREPARE_RENAME)
    async def prepare_rename(
        ls: IrlensServer, params: types.PrepareRenameParams
    ) -> types.PrepareRenamePlaceholder | None:
        asm = await _asm(ls, params.text_document.uri)
        found: types.PrepareRenamePlaceholder | str | None
        if asm is not None:
            found = await _asm_rename(ls, asm, nav.asm_prepare_rename, params.position)
        else:
            index = await document_index(ls, params.text_document.uri)
            if index is None:
                return None
            work = _on_index(nav.prepare_rename, index, params.position, ls.encoding)
            found = await ls.guarded("prepare rename", work, None)
        if isinstance(found, str):
            raise JsonRpcException(message=found, code=_REQUEST_FAILED)
        return found

    @server.feature(types.TEXT_DOCUMENT_RENAME, types.RenameOptions(prepare_provider=True))
    async def rename(ls: IrlensServer, params: types.RenameParams) -> types.WorkspaceEdit | None:
        uri = params.text_document.uri
        asm = await _asm(ls, uri)
        found: types.WorkspaceEdit | str | None
        if asm is not None:
            found = await _asm_rename(
                ls, asm, nav.asm_rename_edit, uri, params.position, params.new_name
            )
        else:
            index = await document_index(ls, uri)
            if index is None:
                return None
            work = _on_index(
                nav.rename_edit,
                index,
                uri,
                params.position,
                params.new_name,
                ls.encoding,
            )
            found = await ls.guarded("rename", work, None)
        if isinstance(found, str):
            raise JsonRpcException(message=found, code=_REQUEST_FAILED)
        return found

    @server.feature(types.TEXT_DOCUMENT_SEMANTIC_TOKENS_FULL, nav.LEGEND)
    async def semantic_tokens(
        ls: IrlensServer, params: types.SemanticTokensParams
    ) -> types.SemanticTokens:
        return await _tokens(ls, params.text_document.uri, None)

    @server.feature(types.TEXT_DOCUMENT_SEMANTIC_TOKENS_RANGE, nav.LEGEND)
    async def semantic_tokens_range(
        ls: IrlensServer, params: types.SemanticTokensRangeParams
    ) -> types.SemanticTokens:
        return await _tokens(ls, params.text_document.uri, params.range)

    @server.feature(types.TEXT_DOCUMENT_FOLDING_RANGE)
    async def folding(
        ls: IrlensServer, params: types.FoldingRangeParams
    ) -> list[types.FoldingRange]:
        from lsp_server.syntax.folding import asm_folds, ir_folds

        uri = params.text_document.uri
        asm = await _asm(ls, uri)
        if asm is not None:
            folds = await ls.guarded("folding", run_sized(len(asm[0]), asm_folds, asm[0]), [])
            return nav.folding_ranges(folds)
        index = await document_index(ls, uri)
        if index is None:
            return []
        return nav.folding_ranges(await ls.guarded("folding", _on_index(ir_folds, index), []))

    @server.feature(types.TEXT_DOCUMENT_SELECTION_RANGE)
    async def selection(
        ls: IrlensServer, params: types.SelectionRangeParams
    ) -> list[types.SelectionRange]:
        index = await document_index(ls, params.text_document.uri)
        if index is None:
            return []
        work = _on_index(nav.selections, index, list(params.positions), ls.encoding)
        return await ls.guarded("selection ranges", work, [])

    @server.feature(
        types.TEXT_DOCUMENT_COMPLETION, types.CompletionOptions(trigger_characters=_TRIGGERS)
    )
    async def completion(ls: IrlensServer, params: types.CompletionParams) -> types.CompletionList:
        empty = types.CompletionList(is_incomplete=False, items=[])
        index = await document_index(ls, params.text_document.uri)
        if index is None:
            return empty
        work = _on_index(nav.completions, index, params.position, ls.encoding)
        return await ls.guarded("completion", work, empty)

    @server.feature(CFG_REQUEST)
    async def cfg(ls: IrlensServer, params: Any) -> dict[str, Any]:
        return await _cfg(ls, plain(params) or {})

    return []


async def _asm_occurrences(
    ls: IrlensServer, text: str, position: types.Position
) -> list[tuple[types.Range, bool]]:
    from lsp_server.syntax.asm_index import build_asm_index

    def work() -> list[tuple[types.Range, bool]]:
        lines = Lines(text, ls.encoding)
        return nav.asm_occurrences(build_asm_index(text), position, lines)

    return await ls.guarded("assembly labels", run_sized(len(text), work), [])


async def _asm_rename(
    ls: IrlensServer, asm: tuple[str, Snapshot], fn: Callable[..., T], /, *args: object
) -> T | None:
    """``fn(index, *args, lines)`` over the label index of the document, off the event
    loop; an edit computed for a text that changed meanwhile is not answered."""
    from lsp_server.syntax.asm_index import build_asm_index

    text, snapshot = asm

    def work() -> T:
        return fn(build_asm_index(text), *args, Lines(text, ls.encoding))

    found = await ls.guarded("assembly rename", run_sized(len(text), work), None)
    ls.ensure_current(snapshot)
    return found


async def _tokens(ls: IrlensServer, uri: str, wanted: types.Range | None) -> types.SemanticTokens:
    from lsp_server.syntax.tokens import asm_tokens, ir_tokens

    first = wanted.start.line if wanted is not None else 0
    last = wanted.end.line if wanted is not None else None
    asm = await _asm(ls, uri)
    if asm is not None:
        text = asm[0]

        def asm_work() -> list[int]:
            from lsp_server.syntax.asm import parse_asm
            from lsp_server.syntax.span import split_lines

            outline = parse_asm(text)
            names = frozenset(f.name for f in outline.functions)
            flat = asm_tokens(text, outline.target.arch, names)
            if wanted is not None:
                flat = _within(flat, first, last)
            return nav.relative_tokens(flat, split_lines(text), ls.encoding)

        data = await ls.guarded("semantic tokens", run_sized(len(text), asm_work), [])
        return types.SemanticTokens(data=data)
    index = await document_index(ls, uri)
    if index is None:
        return types.SemanticTokens(data=[])
    found = index

    def work() -> list[int]:
        return nav.relative_tokens(ir_tokens(found, first, last), found.lines, ls.encoding)

    return types.SemanticTokens(
        data=await ls.guarded("semantic tokens", run_sized(len(found.text), work), [])
    )


def _within(flat: list[int], first: int, last: int | None) -> list[int]:
    out: list[int] = []
    for i in range(0, len(flat), 5):
        if flat[i] >= first and (last is None or flat[i] <= last):
            out.extend(flat[i : i + 5])
    return out


async def _cfg(ls: IrlensServer, data: dict[str, Any]) -> dict[str, Any]:
    from lsp_server.ide.cfg_view import cfg_view, function_names, to_dot, to_text

    # The arguments' one convention (features/arguments.py): InvalidParams naming the field.
    try:
        if not isinstance(data, dict):
            raise ArgumentError(f"{CFG_REQUEST}: params must be an object, got {data!r}")
        document = data.get("textDocument")
        uri = data.get("uri") or (document.get("uri") if isinstance(document, dict) else None)
        if not isinstance(uri, str) or not uri:
            raise ArgumentError(f"{CFG_REQUEST} needs a document uri (textDocument.uri or uri)")
        function = optional_str(data.get("function"), CFG_REQUEST, "function")
        position = optional_position(data.get("position"), CFG_REQUEST, "position")
    except ArgumentError as err:
        raise err.to_jsonrpc() from None
    line = position.line if position is not None else None
    index = await document_index(ls, uri)
    if index is None:
        return {"error": "irlens/cfg works on LLVM IR documents within the index's size limit"}

    def work() -> dict[str, Any]:
        view = cfg_view(index, name=function, line=None if function else line)
        if view is None:
            return {"error": "no function defined there", "functions": function_names(index)}
        out = view.as_json()
        lines = nav.lines_of(index, ls.encoding)
        for block in out["blocks"]:
            position = lines.position(block["line"], 0)
            block["line"] = position.line
        out["dot"] = to_dot(view)
        out["text"] = to_text(view)
        out["uri"] = uri
        return out

    return await ls.guarded("cfg", run_sized(len(index.text), work), {"error": "failed"})
