"""Warming the preview up after ``initialized``, off the request path (issue 13, defect 7).

The first hover of a session used to pay for what every later one finds ready: importing
the preview's modules, reading the local opt's options and passes, loading libLLVM into
the page cache, starting the spare opt and llc processes, and Python's own first calls.
:func:`warm_up` does all of that in the background right after the client says
``initialized``, by previewing a tiny module through the same state a hover uses; a hover
that arrives meanwhile simply shares the work already done. The model is never asked: a
warm-up must not queue work on the user's GPU nor put its answer in the on-disk cache.
"""

from __future__ import annotations

import asyncio
import logging
import time

from lsp_server.preview.engine import PreviewState, Superseded, hover_preview
from lsp_server.services import Services

log = logging.getLogger(__name__)

#: A module small enough to cost nothing, with a RUN line like the ones users hover.
_TINY = """\
; RUN: opt -passes='function(sroa,early-cse,instcombine,simplifycfg)' -S %s
define i32 @irlens_warm_up(i32 %a, i32 %b) {
  %p = alloca i32
  store i32 %a, ptr %p
  %x = load i32, ptr %p
  %y = add i32 %x, %b
  ret i32 %y
}
"""
_DOCUMENT = "irlens:warm-up"


async def warm_up(services: Services, state: PreviewState) -> None:
    """Do once, in the background, what the first hover would otherwise wait for."""
    started = time.perf_counter()
    if services.toolchain.problem_for("preview") is not None:
        return
    await asyncio.gather(services.opt_options(), services.registry(), return_exceptions=True)
    column = _TINY.index("instcombine") + 1
    try:
        await hover_preview(_TINY, 0, column, services, state, document=_DOCUMENT, ask_model=False)
    except Superseded:
        pass
    finally:
        state.forget_document(_DOCUMENT)
    log.info("preview warmed up in %.0f ms", (time.perf_counter() - started) * 1000)
