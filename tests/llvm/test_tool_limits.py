"""What a hostile assembly file may cost: the real llvm-mc under the runner's limits.

Issue 18, item 6: ``.fill 1073741824`` made llvm-mc write a 1 GiB object into the server's
temporary directory, and ``.incbin "/dev/zero"`` grew it to gigabytes of memory. The file
size and memory limits, and the refusal of includes, are checked with the real tool.
"""

from __future__ import annotations

import asyncio
import dataclasses
import tempfile

import pytest

from lsp_server.llvm import mc
from lsp_server.llvm.diagnostics import check_asm
from lsp_server.llvm.runner import ToolLimits
from lsp_server.llvm.toolchain import Toolchain

TRIPLE = "x86_64-unknown-linux-gnu"


def _limited(toolchain: Toolchain, **limits: int) -> Toolchain:
    return dataclasses.replace(toolchain, limits=ToolLimits(**limits))


def _errors(found) -> list[tuple[int, str]]:
    return [(d.line, d.message) for d in found if d.severity == "error"]


@pytest.fixture
def private_tmp(tmp_path, monkeypatch):
    """A TMPDIR of the test's own, so that what a run leaves there can be seen."""
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    monkeypatch.setenv("TMPDIR", str(tmp))
    monkeypatch.setattr(tempfile, "tempdir", str(tmp))
    return tmp


async def test_a_gigabyte_fill_is_reported_and_not_written(toolchain, private_tmp) -> None:
    text = ".text\nf:\n  ret\n.data\n  .fill 1073741824\n  bogus_instruction\n"
    found = await check_asm(toolchain, text, TRIPLE)
    errors = _errors(found)
    assert (4, errors[0][1]) in errors
    assert "the object would exceed 256 MiB" in errors[0][1]
    # The rest of the file is still checked.
    assert any(line == 5 and "bogus_instruction" in msg for line, msg in errors)
    assert list(private_tmp.iterdir()) == []


async def test_a_fill_the_text_cannot_size_stops_at_the_file_limit(toolchain, private_tmp) -> None:
    # .rept hides the size from irlens's count: llvm-mc writes until RLIMIT_FSIZE stops it.
    text = ".data\n.rept 2000\n  .fill 4096\n.endr\n"
    limited = _limited(toolchain, output_mb=2)
    found = await check_asm(limited, text, TRIPLE)
    assert _errors(found) == [
        (
            2,
            "the object would exceed 2 MiB, the most one tool run may write "
            "(setting irlens.llvm.maxOutputMb)",
        )
    ]
    # Under the limit the same file assembles.
    assert await check_asm(_limited(toolchain, output_mb=16), text, TRIPLE) == []
    assert list(private_tmp.iterdir()) == []


async def test_space_in_bss_takes_no_room_in_the_object(toolchain) -> None:
    text = ".bss\nbuffer:\n  .zero 1073741824\n.text\nf:\n  ret\n"
    assert await check_asm(toolchain, text, TRIPLE) == []


async def test_incbin_of_a_device_is_refused_before_llvm_mc_reads_it(toolchain) -> None:
    text = '.data\n  .incbin "/dev/zero"\n  bogus_instruction\n'
    found = await asyncio.wait_for(check_asm(toolchain, text, TRIPLE, roots=["/"]), 60)
    errors = _errors(found)
    assert errors[0] == (1, ".incbin of /dev/zero is refused: it is not a regular file (a device?)")
    assert found[0].col == 2
    assert any(line == 2 and "bogus_instruction" in msg for line, msg in errors)


async def test_incbin_outside_the_workspace_is_refused(toolchain, tmp_path) -> None:
    workspace = tmp_path / "project"
    workspace.mkdir()
    (workspace / "blob.bin").write_bytes(b"\x01\x02\x03\x04")
    secret = tmp_path / "secret.bin"
    secret.write_bytes(b"key")
    inside = f'.data\n  .incbin "{workspace / "blob.bin"}"\n'
    assert await check_asm(toolchain, inside, TRIPLE, roots=[workspace]) == []
    outside = f'.data\n  .incbin "{secret}"\n'
    [refused] = await check_asm(toolchain, outside, TRIPLE, roots=[workspace])
    assert "is outside the workspace" in refused.message
    # A relative path climbing out of the tool's private directory is checked as well.
    climbing = '.data\n  .incbin "../../../../../../../../etc/passwd"\n'
    [refused] = await check_asm(toolchain, climbing, TRIPLE, roots=[workspace])
    assert "is outside the workspace" in refused.message


async def test_an_included_file_is_checked_too(toolchain, tmp_path) -> None:
    (tmp_path / "inner.s").write_text('.data\n.incbin "/dev/urandom"\n')
    text = f'.include "{tmp_path / "inner.s"}"\n'
    [refused] = await check_asm(toolchain, text, TRIPLE, roots=[tmp_path])
    assert refused.line == 0
    assert "an included file has .incbin of /dev/urandom is refused" in refused.message


def test_commented_and_macro_includes() -> None:
    assert mc.refused_includes('# .incbin "/dev/zero"\n', ["/"]) == []
    [macro] = mc.refused_includes('.macro m f\n.incbin "\\f"\n.endm\n', ["/"])
    assert "cannot be checked" in macro.message


async def test_the_memory_limit_stops_llvm_mc(toolchain) -> None:
    # No file limit: only the address-space limit stops it.
    limited = _limited(toolchain, output_mb=0, memory_mb=300)
    found = await check_asm(limited, ".data\n.fill 1073741824\n", TRIPLE)
    assert [d.message for d in found] == [
        "llvm-mc ran out of memory: one run may use 300 MiB (setting irlens.llvm.maxMemoryMb)"
    ]


async def test_assemble_refuses_too(toolchain) -> None:
    from lsp_server.llvm.errors import ToolError

    with pytest.raises(ToolError, match="not a regular file"):
        await mc.assemble(toolchain, '.incbin "/dev/zero"\n', TRIPLE, roots=["/"])


async def test_an_unencodable_include_path_is_no_traceback(toolchain) -> None:
    # A lone surrogate or a NUL in the path: nothing to stat, llvm-mc reports the file.
    for path in ("/tmp/\ud83d.bin", "/tmp/a\x00b"):
        assert mc.refused_includes(f'.incbin "{path}"\n', ["/tmp"]) == []
