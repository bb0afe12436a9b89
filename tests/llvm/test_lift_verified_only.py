"""A lifted module holds only what its report vouches for (issue 18, item 8).

The real LLVM checks the answers; a FAKE model server (tests.support.openai_fake) answers
with IR crafted to hide something unverified: a function as module-level ``asm``, IR that
parses but does not compile back, declarations nothing uses.
"""

from __future__ import annotations

import subprocess

from lsp_server import config
from lsp_server.lift.engine import LiftOptions, lift_assembly
from lsp_server.model.client import OpenAIClient
from lsp_server.services import Services
from tests.support.openai_fake import FakeOpenAIServer

TWICE = """\
define i32 @twice(i32 %x) {
  %r = shl i32 %x, 1
  ret i32 %r
}
"""
THRICE = """\
define i32 @thrice(i32 %x) {
  %r = mul i32 %x, 3
  ret i32 %r
}
"""
HEADER = 'target triple = "x86_64-unknown-linux-gnu"\n\n'


def _services(toolchain, url: str) -> Services:
    settings, problems = config.from_dict({"model": {"url": url}})
    assert problems == []
    backend = OpenAIClient(url, max_concurrent=2, retries=0, backoff=0.01)
    return Services(settings=settings, toolchain=toolchain, backend=backend)


def _asm(toolchain, ir: str) -> str:
    return subprocess.run(
        [toolchain.path("llc"), "-O2"], input=ir, capture_output=True, text=True, check=True
    ).stdout


def _verifies(toolchain, ir: str) -> bool:
    run = subprocess.run(
        [toolchain.path("opt"), "-passes=verify", "-disable-output"],
        input=ir,
        capture_output=True,
        text=True,
    )
    return run.returncode == 0


async def _lift(toolchain, asm: str, answer: str):
    with FakeOpenAIServer(lambda prompt, body: f"<code>{answer}</code>") as fake:
        return await lift_assembly(asm, _services(toolchain, fake.url), LiftOptions("two.s"))


async def test_a_function_answered_as_module_asm_is_not_left_live(toolchain) -> None:
    asm = _asm(toolchain, HEADER + TWICE + "\n" + THRICE)
    # The model "lifts" thrice by pasting its assembly back as module asm: llc prints it
    # verbatim, but no IR of thrice exists, so its round trip is a failure.
    start = asm.index("\t.globl\tthrice")
    thrice_asm = asm[start : asm.index(".cfi_endproc", start) + len(".cfi_endproc")]
    pasted = "".join(
        f'module asm "{line.replace(chr(9), " ")}"\n' for line in thrice_asm.splitlines()
    )
    result = await _lift(toolchain, asm, HEADER + pasted + TWICE)
    statuses = {fn.name: fn.status for fn in result.functions}
    assert statuses["thrice"] == "failed"
    assert statuses["twice"] != "failed"
    assert result.module is not None
    assert "module asm" not in result.module
    assert "define i32 @twice" in result.module
    assert _verifies(toolchain, result.module)
    assert "declarations only" in (result.document or "")


async def test_ir_that_does_not_compile_back_is_only_a_comment(toolchain) -> None:
    asm = _asm(toolchain, HEADER + TWICE)
    # Valid IR that llc cannot compile (its inline asm is no instruction).
    broken = HEADER + TWICE.replace(
        "%r = shl", 'call void asm sideeffect "bogus_op", ""()\n  %r = shl'
    )
    assert _verifies(toolchain, broken)
    result = await _lift(toolchain, asm, broken)
    assert [fn.status for fn in result.functions] == ["failed"]
    assert result.module is None
    document = result.document or ""
    live = [line for line in document.splitlines() if line and not line.startswith(";")]
    assert live == [], "nothing of a failed lift is live IR"
    assert "which did not compile back" in document


async def test_declarations_the_model_invented_are_dropped(toolchain) -> None:
    asm = _asm(toolchain, HEADER + TWICE)
    invented = (
        HEADER
        + "@ghost = external global i32\n"
        + "declare void @invented(ptr)\n"
        + "declare i32 @used(i32)\n\n"
        + TWICE
    )
    result = await _lift(toolchain, asm, invented)
    [fn] = result.functions
    assert fn.status == "exact"
    assert result.module is not None
    assert "@invented" not in result.module
    assert "@ghost" not in result.module
    assert "@used" not in result.module
    assert "define i32 @twice" in result.module
    assert _verifies(toolchain, result.module)
    assert "dropped: ghost, invented, used" in (result.document or "")


async def test_a_declaration_a_verified_function_calls_is_kept(toolchain) -> None:
    caller = (
        HEADER
        + "declare i32 @ext(i32)\n\n"
        + ("define i32 @twice(i32 %x) {\n  %r = call i32 @ext(i32 %x)\n  ret i32 %r\n}\n")
    )
    result = await _lift(toolchain, _asm(toolchain, caller), caller)
    assert result.module is not None
    assert "declare i32 @ext(i32)" in result.module
    assert result.module.rstrip() == caller.rstrip(), "the model's text is kept as checked"
