"""Lifting through the real LLVM, with a FAKE model server standing in for LLM Compiler.

The fake answers with the IR the assembly was compiled from (the corpus keeps it next to
each ``.s``), so those round trips must be exact; other fakes answer with broken IR, no
IR at all, or the wrong IR, and those must be reported for what they are.
"""

from __future__ import annotations

import asyncio
import subprocess
from pathlib import Path

import pytest

from lsp_server import config
from lsp_server.lift import engine as lift_feature
from lsp_server.lift.budget import TokenBudget
from lsp_server.lift.engine import NEEDS_MODEL, LiftOptions, lift_assembly
from lsp_server.lift.link import declare_instead
from lsp_server.lift.normalize import normalize_asm
from lsp_server.lift.split import layout, piece_text
from lsp_server.model.client import OpenAIClient
from lsp_server.services import Services
from tests.support.data import CORPUS, EXAMPLES
from tests.support.openai_fake import FakeOpenAIServer

ASM = CORPUS / "asm"
# Every fifth corpus file of each architecture: the benchmark runs all of them.
SAMPLE = [path for arch in ("x86_64", "aarch64") for path in sorted((ASM / arch).glob("*.s"))[::5]]


# Constant pools, a jump table, strings, a table of pointers, a global and a static
# function: what splitting must carry into each piece and joining must share again.
COMPACT = """\
target triple = "x86_64-unknown-linux-gnu"

@.str = private unnamed_addr constant [5 x i8] c"many\00"
@.str.1 = private unnamed_addr constant [5 x i8] c"zero\00"
@.str.2 = private unnamed_addr constant [4 x i8] c"one\00"
@names = internal constant [2 x ptr] [ptr @.str.1, ptr @.str.2]
@counter = global i32 0, align 4

define double @area(double %r) {
  %a = fmul double %r, %r
  %b = fmul double %a, 3.14159
  ret double %b
}

define ptr @name_of(i32 %i) {
  %ok = icmp ult i32 %i, 2
  br i1 %ok, label %in, label %out

in:
  %z = zext i32 %i to i64
  %p = getelementptr [2 x ptr], ptr @names, i64 0, i64 %z
  %v = load ptr, ptr %p
  ret ptr %v

out:
  ret ptr @.str
}

define i32 @pick(i32 %x, i32 %y) {
  switch i32 %x, label %d [
    i32 0, label %a
    i32 1, label %b
    i32 2, label %c
    i32 3, label %e
    i32 4, label %f
  ]
a:
  %ra = add i32 %y, 11
  ret i32 %ra
b:
  %rb = mul i32 %y, 22
  ret i32 %rb
c:
  %rc = sub i32 %y, 37
  ret i32 %rc
e:
  %re = xor i32 %y, 41
  ret i32 %re
f:
  %rf = shl i32 %y, 5
  ret i32 %rf
d:
  ret i32 -1
}

define internal i32 @helper(i32 %a) noinline {
  %c = load i32, ptr @counter
  %s = add i32 %c, %a
  store i32 %s, ptr @counter
  ret i32 %s
}

define i32 @use(i32 %a) {
  %h = call i32 @helper(i32 %a)
  %p = call i32 @pick(i32 %a, i32 %h)
  ret i32 %p
}
"""


def _code(prompt: str) -> str:
    return prompt.split("<code>", 1)[1].rsplit("</code>", 1)[0]


def corpus_responder():
    """A fake that knows the IR behind every corpus assembly file, by its normalised text."""
    table = {
        normalize_asm(path.read_text()).text: path.with_suffix(".ll").read_text()
        for path in ASM.glob("*/*.s")
    }

    def respond(prompt: str, body: dict) -> str:
        ir = table.get(_code(prompt))
        return f"<code>{ir}</code>" if ir is not None else "I cannot read this assembly."

    return respond


def services_for(toolchain, url: str, *, max_concurrent: int = 4, retries: int = 2) -> Services:
    settings, problems = config.from_dict({"model": {"url": url}})
    assert problems == []
    backend = OpenAIClient(url, max_concurrent=max_concurrent, retries=retries, backoff=0.01)
    return Services(settings=settings, toolchain=toolchain, backend=backend)


def llvm(*argv: str, stdin: str) -> str:
    return subprocess.run(argv, input=stdin, capture_output=True, text=True, check=True).stdout


@pytest.fixture(scope="module")
def example_module(toolchain) -> tuple[str, str]:
    """example.ll at -Oz, and the x86_64 assembly llc makes of all three functions."""
    ir = llvm(
        toolchain.path("opt"),
        "-passes=default<Oz>",
        "-S",
        stdin=(EXAMPLES / "example.ll").read_text(),
    )
    asm = llvm(toolchain.path("llc"), "-mtriple=x86_64-unknown-linux-gnu", stdin=ir)
    return ir, asm


def per_function_responder(module_ir: str, names: list[str]):
    """A fake that answers each function's piece with the module, the others declared."""

    def respond(prompt: str, body: dict) -> str:
        asm = _code(prompt)
        owners = [name for name in names if f"\n{name}:" in asm]
        assert len(owners) == 1, f"expected one function per piece, got {owners}"
        others = set(names) - set(owners)
        return f"<code>{declare_instead(module_ir, others)}</code>"

    return respond


@pytest.mark.parametrize("path", SAMPLE, ids=lambda p: f"{p.parent.name}/{p.stem}")
async def test_corpus_assembly_round_trips_exactly(toolchain, path: Path) -> None:
    with FakeOpenAIServer(corpus_responder()) as fake:
        services = services_for(toolchain, fake.url)
        result = await lift_assembly(path.read_text(), services, LiftOptions(source=path.name))
        await services.backend.aclose()
    assert result.ok, result.error
    assert result.triple == f"{path.parent.name}-unknown-linux-gnu"
    assert [fn.status for fn in result.functions] == ["exact"]
    assert result.pieces[0].exact and result.pieces[0].whole_file
    assert result.module == path.with_suffix(".ll").read_text()
    document = result.document
    assert document is not None
    assert f"Lifted to LLVM IR by irlens from {path.name}" in document
    assert f"{result.functions[0].name}: exact (llc -O2)" in document
    assert "Whole file round trip: exact" in document
    # The prompt was the normalised file, byte for byte as the reference template has it.
    prompt = fake.requests[0]["prompt"]
    assert prompt.startswith(
        '[INST] Disassemble this code to LLVM-IR:\n\n<code>\t.text\n\t.file\t"-"\n'
    )
    assert ".ident" not in prompt and prompt.endswith("</code> [/INST]")
    assert fake.requests[0]["stop"] == ["</code>"] and fake.requests[0]["temperature"] == 0.0


async def test_broken_ir_is_reported_failed_and_nothing_claims_to_be_checked(toolchain) -> None:
    path = SAMPLE[0]
    broken = "<code>define i32 @delmask(ptr %0 {\n  ret i32 0\n}\n</code>"
    with FakeOpenAIServer(lambda prompt, body: broken) as fake:
        services = services_for(toolchain, fake.url)
        result = await lift_assembly(path.read_text(), services, LiftOptions(source=path.name))
    assert result.ok
    [fn] = result.functions
    assert fn.status == "failed"
    assert "does not parse" in fn.detail
    assert result.module is None
    document = result.document or ""
    code_lines = [line for line in document.splitlines() if line and not line.startswith(";")]
    assert code_lines == [], "a failed answer must only appear commented out"
    assert "which is not valid IR" in document
    assert "; define i32 @delmask(ptr %0 {" in document


async def test_ir_that_parses_but_fails_the_verifier_is_failed(toolchain) -> None:
    unverifiable = "<code>define i32 @f() {\n  %x = add i32 %x, 1\n  ret i32 %x\n}\n</code>"
    with FakeOpenAIServer(lambda prompt, body: unverifiable) as fake:
        services = services_for(toolchain, fake.url)
        result = await lift_assembly(SAMPLE[0].read_text(), services)
    [fn] = result.functions
    assert fn.status == "failed" and "verifier" in fn.detail


async def test_an_answer_without_ir_lifts_nothing(toolchain) -> None:
    with FakeOpenAIServer(lambda prompt, body: "Sorry, I cannot help with that.") as fake:
        services = services_for(toolchain, fake.url)
        result = await lift_assembly(SAMPLE[0].read_text(), services)
    assert not result.ok and result.document is None
    assert "not IR" in (result.error or "")


async def test_a_model_server_that_is_down_lifts_nothing(toolchain) -> None:
    fake = FakeOpenAIServer(lambda prompt, body: "").start()
    url = fake.url
    fake.stop()
    services = services_for(toolchain, url, retries=0)
    result = await lift_assembly(SAMPLE[0].read_text(), services)
    assert not result.ok and result.document is None
    assert "not reachable" in (result.error or "")


async def test_wrong_ir_is_similar_with_a_score_and_the_first_differing_line(toolchain) -> None:
    unoptimised = llvm(
        toolchain.path("llvm-extract"),
        "--func=crc32",
        "-S",
        stdin=(EXAMPLES / "example.ll").read_text(),
    )
    text = (EXAMPLES / "example.s").read_text()
    with FakeOpenAIServer(lambda prompt, body: f"<code>{unoptimised}</code>") as fake:
        services = services_for(toolchain, fake.url)
        result = await lift_assembly(text, services, LiftOptions(source="example.s"))
    [fn] = result.functions
    assert fn.status == "similar"
    assert fn.score is not None and 0.0 < fn.score < 1.0
    assert fn.difference_line is not None
    differing = text.splitlines()[fn.difference_line].strip()
    assert f"line {fn.difference_line + 1}: expected `{differing}`" in fn.detail
    assert result.module == unoptimised, "valid IR is kept even when it is not exact"


async def test_a_file_too_large_for_the_context_is_lifted_function_by_function(
    toolchain, example_module
) -> None:
    ir, asm = example_module
    names = ["crc32", "scale_samples", "main"]
    budget = TokenBudget(context=3000)
    assert not budget.fits(normalize_asm(asm).text)
    seen: list[tuple[int, int, str]] = []
    with FakeOpenAIServer(per_function_responder(ir, names)) as fake:
        services = services_for(toolchain, fake.url)
        result = await lift_assembly(
            asm,
            services,
            LiftOptions(source="example.s", budget=budget),
            progress=lambda done, total, message: seen.append((done, total, message)),
        )
    assert result.ok, result.error
    assert [(fn.name, fn.status) for fn in result.functions] == [(n, "exact") for n in names]
    assert len(result.pieces) == 3 and len(fake.requests) == 3
    assert [s[:2] for s in seen] == [(0, 3), (1, 3), (2, 3), (3, 3)]
    # Each prompt held one function, renumbered as the first of its file.
    for request in fake.requests:
        assert ".Lfunc_end0:" in request["prompt"] and ".Lfunc_end1" not in request["prompt"]
    assert result.module is not None
    defined = [
        line.split("@", 1)[1].split("(")[0]
        for line in result.module.splitlines()
        if line.startswith("define")
    ]
    assert sorted(defined) == sorted(names)
    verify = subprocess.run(
        [toolchain.path("opt"), "-passes=verify", "-disable-output"],
        input=result.module,
        text=True,
        capture_output=True,
    )
    assert verify.returncode == 0, verify.stderr
    assert "lifted in 3 pieces" in (result.document or "")


@pytest.mark.parametrize("arch", ["x86_64", "aarch64"])
async def test_constants_tables_and_statics_survive_splitting_and_joining(toolchain, arch) -> None:
    ir = COMPACT.replace("x86_64-unknown", f"{arch}-unknown")
    asm = llvm(toolchain.path("llc"), stdin=ir)
    names = ["area", "name_of", "pick", "helper", "use"]
    with FakeOpenAIServer(per_function_responder(ir, names)) as fake:
        services = services_for(toolchain, fake.url)
        result = await lift_assembly(asm, services, LiftOptions(budget=TokenBudget(context=1500)))
    assert result.ok, result.error
    assert len(result.pieces) == len(names)
    assert {fn.name: fn.status for fn in result.functions} == dict.fromkeys(names, "exact")
    module = result.module or ""
    assert "define hidden i32 @helper" in module, "the static helper is shared by the pieces"
    assert module.count("define ") == len(names)
    assert "helper" in " ".join(result.notes)
    pick = next(r["prompt"] for r in fake.requests if "\npick:" in r["prompt"])
    if arch == "x86_64":
        assert ".LJTI0_0" in pick and ".LJTI2_0" not in pick, "the jump table is renumbered"
    area = next(r["prompt"] for r in fake.requests if "\narea:" in r["prompt"])
    assert ".LCPI0_0:" in area and ".rodata.cst8" in area


async def test_split_pieces_assemble_on_their_own(toolchain, example_module) -> None:
    _, asm = example_module
    lay = layout(normalize_asm(asm).text)
    for fn in lay.functions:
        piece = piece_text(lay, [fn.name])
        assembled = subprocess.run(
            [
                toolchain.path("llvm-mc"),
                "-triple=x86_64-unknown-linux-gnu",
                "-filetype=obj",
                "-o",
                "/dev/null",
            ],
            input=piece,
            text=True,
            capture_output=True,
        )
        assert assembled.returncode == 0, (fn.name, assembled.stderr)


async def test_one_function_too_large_is_reported_and_never_sent(toolchain, example_module) -> None:
    ir, asm = example_module
    names = ["crc32", "scale_samples", "main"]
    lay = layout(normalize_asm(asm).text)
    sizes = {name: len(piece_text(lay, [name])) for name in names}
    largest = max(sizes, key=sizes.__getitem__)
    budget = TokenBudget(context=3000)
    while budget.fits(piece_text(lay, [largest])):
        budget = TokenBudget(context=budget.context - 50)
    assert all(budget.fits(piece_text(lay, [n])) for n in names if n != largest)
    with FakeOpenAIServer(per_function_responder(ir, names)) as fake:
        services = services_for(toolchain, fake.url)
        result = await lift_assembly(asm, services, LiftOptions(budget=budget))
    status = {fn.name: fn for fn in result.functions}
    assert status[largest].status == "failed"
    assert "too large for the model's" in status[largest].detail
    assert "never truncates" in status[largest].detail
    assert all(f"\n{largest}:" not in r["prompt"] for r in fake.requests)
    assert len(fake.requests) == 2


async def test_lifting_one_function_asks_for_that_function_only(toolchain, example_module) -> None:
    ir, asm = example_module
    names = ["crc32", "scale_samples", "main"]
    with FakeOpenAIServer(per_function_responder(ir, names)) as fake:
        services = services_for(toolchain, fake.url)
        result = await lift_assembly(asm, services, LiftOptions(function="main"))
    assert [(fn.name, fn.status) for fn in result.functions] == [("main", "exact")]
    assert len(fake.requests) == 1
    missing = await lift_assembly(asm, services, LiftOptions(function="nosuch"))
    assert not missing.ok and "no function nosuch" in (missing.error or "")


async def test_cancelling_stops_the_model_calls(toolchain, example_module) -> None:
    _, asm = example_module
    loop = asyncio.get_running_loop()
    arrived = asyncio.Event()
    import threading

    release = threading.Event()

    def respond(prompt: str, body: dict) -> str:
        loop.call_soon_threadsafe(arrived.set)
        release.wait(30)
        return "<code></code>"

    with FakeOpenAIServer(respond) as fake:
        services = services_for(toolchain, fake.url, max_concurrent=1)
        task = asyncio.ensure_future(
            lift_assembly(asm, services, LiftOptions(budget=TokenBudget(context=3000)))
        )
        await arrived.wait()
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        release.set()
    assert len(fake.requests) == 1, "the pieces still waiting were never sent"


async def test_without_a_model_lifting_says_what_it_needs(toolchain) -> None:
    services = Services(settings=config.Settings(), toolchain=toolchain, backend=None)
    result = await lift_assembly(SAMPLE[0].read_text(), services)
    assert result.error == NEEDS_MODEL
    assert "irlens daemon" in NEEDS_MODEL and "vllm serve" in NEEDS_MODEL and "llama" in NEEDS_MODEL
    assert result.document is None


async def test_text_that_is_not_assembly_is_refused(toolchain) -> None:
    with FakeOpenAIServer(lambda prompt, body: "") as fake:
        services = services_for(toolchain, fake.url)
        for text in ("", "int main(void) { return 0; }\n", (EXAMPLES / "example.ll").read_text()):
            result = await lift_assembly(text, services)
            assert not result.ok and "does not look like assembly" in (result.error or "")
    assert fake.requests == []


async def test_a_target_the_local_llvm_lacks_is_named(toolchain, monkeypatch) -> None:
    monkeypatch.setattr(lift_feature, "registered_targets", lambda _: ["x86", "x86-64"])
    path = ASM / "aarch64" / SAMPLE[-1].name
    with FakeOpenAIServer(lambda prompt, body: "") as fake:
        services = services_for(toolchain, fake.url)
        result = await lift_assembly(path.read_text(), services)
    assert not result.ok
    assert "without the aarch64 target" in (result.error or "")
    assert fake.requests == []


async def test_assembly_with_no_target_evidence_needs_the_setting(toolchain) -> None:
    snippet = "\t.text\n\t.globl\tf\nf:\n\tret\n"
    with FakeOpenAIServer(lambda prompt, body: "") as fake:
        services = services_for(toolchain, fake.url)
        result = await lift_assembly(snippet, services)
    assert not result.ok and "irlens.target.triple" in (result.error or "")


async def test_the_demo_step_shows_the_check_and_what_lifting_needs(toolchain) -> None:
    services = Services(settings=config.Settings(), toolchain=toolchain, backend=None)
    from lsp_server.demo import lift_step

    shown = await lift_step((EXAMPLES / "example.ll").read_text(), services)
    lines = shown.splitlines()
    assert lines[0].endswith(
        "against crc32 at -Oz (what example.s was built from): exact (llc -O2)"
    )
    assert "a plausible but wrong answer): similar, BLEU 0." in lines[1]
    assert NEEDS_MODEL in shown


async def test_ir_for_another_triple_is_compiled_for_the_input_and_said_so(toolchain) -> None:
    source = ASM / "aarch64" / SAMPLE[-1].name
    x86_ir = (CORPUS / "ir" / (source.stem + ".ll")).read_text()
    with FakeOpenAIServer(lambda prompt, body: f"<code>{x86_ir}</code>") as fake:
        services = services_for(toolchain, fake.url)
        result = await lift_assembly(source.read_text(), services)
    assert result.ok and result.triple == "aarch64-unknown-linux-gnu"
    assert result.functions[0].status == "similar"
    assert any(
        "names target triple x86_64-unknown-linux-gnu" in note and "compiled for aarch64" in note
        for note in result.notes
    )
