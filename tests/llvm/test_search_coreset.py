"""The shipped coreset against the real opt: valid, measured first, never worse than -Oz."""

from __future__ import annotations

import subprocess

import pytest

from lsp_server.config import Settings
from lsp_server.llvm import size
from lsp_server.search import coreset, learned, measure
from lsp_server.search.engine import Options, suggest
from lsp_server.services import Services
from tests.support.data import CORPUS, EXAMPLES

pytestmark = pytest.mark.llvm

EXAMPLE = (EXAMPLES / "example.ll").read_text()


def options(compilations: int) -> Options:
    return Options(
        budget_seconds=60.0,
        max_compilations=compilations,
        samples=0,
        temperature=0.0,
        concurrency=2,
        differential=False,
    )


def test_every_shipped_pipeline_is_accepted_by_the_local_opt(toolchain) -> None:
    shipped = coreset.shipped()
    assert shipped is not None
    for pipeline in shipped.pipelines:
        result = subprocess.run(
            [toolchain.path("opt"), f"-passes={pipeline}", "-disable-output", "-"],
            input=EXAMPLE,
            text=True,
            capture_output=True,
        )
        assert result.returncode == 0, (pipeline, result.stderr)


async def test_the_local_registry_knows_every_coreset_pass(toolchain) -> None:
    services = Services(settings=Settings(), toolchain=toolchain)
    known = (await services.registry()).names
    shipped = coreset.shipped()
    assert shipped is not None
    assert coreset.validated(shipped, known).dropped == {}
    line = learned.describe(toolchain.version_text, toolchain.major, known)
    assert f"{len(shipped.pipelines)} learned pass sequences" in line


async def test_the_coreset_is_measured_right_after_oz_in_its_ranked_order(
    toolchain, monkeypatch
) -> None:
    asked: list[str] = []
    original = measure.Measurer.measure

    async def spy(self, pipeline):  # type: ignore[no-untyped-def]
        asked.append(pipeline)
        return await original(self, pipeline)

    monkeypatch.setattr(measure.Measurer, "measure", spy)
    ir = (CORPUS / "ir_ozfe" / "dev-brotli-0011.ll").read_text()
    shipped = coreset.shipped()
    assert shipped is not None
    n = len(shipped.pipelines)
    services = Services(settings=Settings(), toolchain=toolchain)
    result = await suggest(ir, None, services, options(n + 1))
    assert result.error is None
    assert asked[0] == "default<Oz>"
    expected = [p for p in coreset.ranked(shipped, ir) if p != "default<Oz>"]
    tried = []
    for pipeline in asked[1:]:
        if pipeline not in tried and pipeline != "default<Oz>":
            tried.append(pipeline)
    assert tried[: len(expected)] == expected


@pytest.mark.parametrize("ident", ["dev-lz4-0085", "dev-libsodium-0055", "dev-regex-0107"])
async def test_with_the_coreset_an_offer_is_never_worse_than_oz(toolchain, ident) -> None:
    path = CORPUS / "ir_ozfe" / f"{ident}.ll"
    if not path.is_file():
        pytest.skip(f"{ident} is not in this corpus")
    ir = path.read_text()
    services = Services(settings=Settings(), toolchain=toolchain)
    result = await suggest(ir, None, services, options(70))
    assert result.error is None and result.offer is not None
    oz = await size.size_after(toolchain, ir, "default<Oz>")
    assert result.offer.oz_size == oz
    assert result.offer.size <= oz
    assert await size.size_after(toolchain, ir, result.offer.pipeline) == result.offer.size


async def test_the_doctor_names_the_coresets_llvm(toolchain) -> None:
    from lsp_server import doctor

    services = Services(settings=Settings(), toolchain=toolchain)
    report = await doctor.collect(services, check_model=False)
    shipped = coreset.shipped()
    assert shipped is not None
    assert any(
        f"learned pass sequences (LLVM {shipped.llvm})" in note and toolchain.version_text in note
        for note in report.notes
    ), report.notes
