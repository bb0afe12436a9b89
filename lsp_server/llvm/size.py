"""Binary size, as the project defines it everywhere, and llvm-size.

"Binary size" is the Berkeley ``text + data`` that ``llvm-size`` prints for the object file
``llc -filetype=obj`` makes of a module (llc's default -O2 code generation, the module's triple
or the configured one). Berkeley ``text`` includes ``.rodata`` and ``.eh_frame``. LLM Compiler's
prompts use the same number for the input compiled with ``llc -O0``.

:func:`object_binary_size` is the one way an object is measured (the search, the preview and
the checks use it): ELF objects are read directly (:mod:`lsp_server.llvm.elf`, which follows
llvm-size's rules and is tested against it), anything else goes to llvm-size.
"""

from __future__ import annotations

from dataclasses import dataclass

from lsp_server.llvm import llc, opt
from lsp_server.llvm.elf import berkeley_size
from lsp_server.llvm.errors import ToolError
from lsp_server.llvm.runner import run_tool
from lsp_server.llvm.toolchain import Toolchain

#: The object's name inside llvm-size's private directory.
_OBJECT = "in.o"


@dataclass(frozen=True)
class ObjectSize:
    text: int
    data: int
    bss: int

    @property
    def binary_size(self) -> int:
        return self.text + self.data


def size_argv(toolchain: Toolchain, path: str = _OBJECT) -> list[str]:
    """``llvm-size --format=berkeley <path>``."""
    return [toolchain.path("llvm-size"), "--format=berkeley", path]


def parse_berkeley(output: str) -> ObjectSize | None:
    """The first object's ``text data bss`` from llvm-size's Berkeley table, or None."""
    lines = output.strip().splitlines()
    try:
        text, data, bss = (int(v) for v in lines[1].split()[:3])
    except (IndexError, ValueError):
        return None
    return ObjectSize(text, data, bss)


async def object_size(toolchain: Toolchain, obj: bytes) -> ObjectSize:
    """Berkeley sizes of an object file, from llvm-size."""
    result = await run_tool(
        size_argv(toolchain),
        files={_OBJECT: obj},
        timeout=toolchain.timeout,
        limits=toolchain.limits,
    )
    if not result.ok:
        raise ToolError.from_result("llvm-size could not read the object", result)
    sizes = parse_berkeley(result.out)
    if sizes is None:
        raise ToolError(f"unexpected llvm-size output: {result.out!r}", result)
    return sizes


async def object_binary_size(toolchain: Toolchain, obj: bytes) -> int:
    """``text + data`` of an object file: read from the ELF file, else from llvm-size."""
    fast = berkeley_size(obj)
    if fast is not None:
        return fast
    return (await object_size(toolchain, obj)).binary_size


async def binary_size(
    toolchain: Toolchain,
    ir: str | bytes,
    *,
    triple: str | None = None,
    opt_level: str | None = None,
) -> int:
    """``text + data`` of the module's object file (see the module docstring)."""
    obj = await llc.compile_object(toolchain, ir, triple=triple, opt_level=opt_level)
    return await object_binary_size(toolchain, obj)


async def prompt_binary_size(toolchain: Toolchain, ir: str, *, triple: str | None = None) -> int:
    """The "binary size" LLM Compiler's emulation prompt states: ``llc -O0`` of the input."""
    return await binary_size(toolchain, ir, triple=triple, opt_level="O0")


async def size_after(
    toolchain: Toolchain, ir: str | bytes, passes: str, *, triple: str | None = None
) -> int:
    """Binary size of ``ir`` after ``opt -passes=<passes>``: one opt run, one llc run."""
    bitcode = await opt.run_pipeline_bitcode(toolchain, ir, passes)
    chosen = triple or llc.module_triple(ir) or toolchain.default_triple or None
    return await binary_size(toolchain, bitcode, triple=chosen)
