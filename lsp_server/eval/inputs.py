"""The eval's inputs: which files, and the units (one function each) made from them.

An input is a file or a directory. A directory is searched recursively for ``.ll`` and ``.c``
files (IR tasks) or ``.s`` and ``.S`` files (the lift task), except when it is in the irlens
corpus layout (a ``manifest.jsonl`` whose entries name their files, as in
``tests/data/corpus``): then the manifest says which file is which, so the IR variants and
the IR that produced each assembly file are not mistaken for inputs of their own.

``.c`` files are compiled the way LLM Compiler's training inputs were:
``clang -Oz -Xclang -disable-llvm-passes -S -emit-llvm``. A module that defines several
functions is split into one module per function with ``llvm-extract``, because the paper
measures functions; ``split=False`` keeps modules whole.

Nothing is dropped silently: a file that does not compile, or defines no function, is an
:class:`InputProblem` that the report counts.
"""

from __future__ import annotations

import json
import logging
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from lsp_server.llvm.errors import ToolError
from lsp_server.llvm.extract import extract_function
from lsp_server.llvm.llc import module_triple
from lsp_server.llvm.runner import run_tool
from lsp_server.llvm.toolchain import MissingToolError, Toolchain
from lsp_server.syntax.asm import guess_target
from lsp_server.syntax.ir import parse_module

log = logging.getLogger(__name__)

InputKind = Literal["ir", "asm"]

IR_SUFFIXES = (".ll", ".c")
ASM_SUFFIXES = (".s", ".S")
MANIFEST = "manifest.jsonl"

#: The triple each architecture directory of the corpus layout was built for.
CORPUS_TRIPLES = {
    "x86_64": "x86_64-unknown-linux-gnu",
    "aarch64": "aarch64-unknown-linux-gnu",
}

#: How clang made LLM Compiler's IR inputs (see docs/eval.md); flags and the file follow.
CLANG_TRAINING_FORM = ("-Oz", "-Xclang", "-disable-llvm-passes", "-S", "-emit-llvm", "-w")


@dataclass(frozen=True)
class Source:
    """One input file, and the id its units are named after."""

    id: str
    path: Path
    triple: str | None = None


@dataclass(frozen=True)
class Unit:
    """One thing an eval item measures: a module holding one function, or an assembly file.

    ``function`` is the function the module holds (None for an assembly file or a module
    kept whole); ``source`` is the file's path as the user gave it, for the report.
    """

    id: str
    source: str
    text: str
    function: str | None
    triple: str | None


@dataclass(frozen=True)
class InputProblem:
    """An input that gave no unit, and why."""

    id: str
    source: str
    message: str


@dataclass(frozen=True)
class InputOptions:
    """How inputs are found and prepared.

    ``variant`` picks the IR of the corpus layout: ``ozfe`` (``ir_ozfe/``, the form the
    models were trained on) or ``O0`` (``ir/``). ``arch`` picks its assembly: ``x86_64``,
    ``aarch64`` or ``all``. ``clang_flags`` are added when compiling ``.c`` files.
    """

    variant: str = "ozfe"
    arch: str = "all"
    clang_flags: tuple[str, ...] = ()
    split: bool = True
    triple: str | None = None


def _read_manifest(path: Path) -> list[dict[str, Any]] | None:
    try:
        lines = path.read_text().splitlines()
        entries = [json.loads(line) for line in lines if line.strip()]
    except (OSError, ValueError) as err:
        log.warning("ignoring %s: %s", path, err)
        return None
    if not entries or not all(isinstance(e, dict) and "id" in e and "ir" in e for e in entries):
        return None
    return entries


def _manifest_sources(
    root: Path, entries: list[dict[str, Any]], kind: InputKind, options: InputOptions
) -> list[Source]:
    sources = []
    for entry in entries:
        if kind == "ir":
            variant = entry.get("ozfe") if options.variant == "ozfe" else None
            rel = variant["ir"] if isinstance(variant, dict) and "ir" in variant else entry["ir"]
            sources.append(Source(str(entry["id"]), root / rel))
            continue
        for arch, info in sorted((entry.get("asm") or {}).items()):
            if options.arch not in ("all", arch) or not isinstance(info, dict):
                continue
            sources.append(
                Source(f"{entry['id']}/{arch}", root / info["s"], CORPUS_TRIPLES.get(arch))
            )
    return sorted(sources, key=lambda s: s.id)


def find_sources(root: Path, kind: InputKind, options: InputOptions | None = None) -> list[Source]:
    """The input files under ``root`` for a task reading ``kind``, in a stable order.

    Raises FileNotFoundError when ``root`` does not exist.
    """
    options = options or InputOptions()
    if not root.exists():
        raise FileNotFoundError(f"{root} does not exist")
    suffixes = IR_SUFFIXES if kind == "ir" else ASM_SUFFIXES
    if root.is_file():
        return [Source(root.stem, root)]
    manifest = root / MANIFEST
    if manifest.is_file():
        entries = _read_manifest(manifest)
        if entries is not None:
            return _manifest_sources(root, entries, kind, options)
    found = sorted(p for p in root.rglob("*") if p.is_file() and p.suffix in suffixes)
    return [Source(str(p.relative_to(root).with_suffix("")), p) for p in found]


def _absolute_flag(flag: str) -> str:
    """``-Idir`` with ``dir`` made absolute: clang runs in a private directory."""
    for prefix in ("-I", "-isystem", "-iquote", "-include"):
        if flag.startswith(prefix) and len(flag) > len(prefix):
            path = flag[len(prefix) :]
            return prefix + (path if os.path.isabs(path) else os.path.abspath(path))
    return flag


async def compile_c(
    toolchain: Toolchain, path: Path, *, triple: str | None, flags: tuple[str, ...] = ()
) -> str:
    """The IR clang makes of a C file in LLM Compiler's training form; raises ToolError."""
    argv = [toolchain.path("clang"), *CLANG_TRAINING_FORM]
    if triple:
        argv.append(f"--target={triple}")
    argv.extend(_absolute_flag(f) for f in flags)
    argv.extend(["-o", "-", str(path.resolve())])
    result = await run_tool(argv, timeout=max(toolchain.timeout, 60.0), limits=toolchain.limits)
    if not result.ok:
        raise ToolError.from_result(f"clang could not compile {path.name}", result)
    return result.out


async def _ir_units(
    toolchain: Toolchain, source: Source, text: str, options: InputOptions
) -> tuple[list[Unit], list[InputProblem]]:
    shown = str(source.path)
    defined = [f.name for f in parse_module(text).functions if f.is_definition]
    if not defined:
        return [], [InputProblem(source.id, shown, "defines no function")]
    triple = module_triple(text) or options.triple
    if len(defined) == 1 or not options.split:
        function = defined[0] if len(defined) == 1 else None
        return [Unit(source.id, shown, text, function, triple)], []
    units, problems = [], []
    for name in defined:
        unit_id = f"{source.id}@{name}"
        try:
            part = await extract_function(toolchain, text, name)
        except (ToolError, MissingToolError) as err:
            problems.append(InputProblem(unit_id, shown, str(err)))
            continue
        units.append(Unit(unit_id, shown, part, name, triple))
    return units, problems


async def load_units(
    toolchain: Toolchain,
    sources: list[Source],
    kind: InputKind,
    *,
    options: InputOptions | None = None,
    limit: int | None = None,
) -> tuple[list[Unit], list[InputProblem]]:
    """Read (and compile, and split) sources in order until ``limit`` units are made."""
    options = options or InputOptions()
    units: list[Unit] = []
    problems: list[InputProblem] = []
    for source in sources:
        if limit is not None and len(units) >= limit:
            break
        shown = str(source.path)
        try:
            if source.path.suffix == ".c":
                text = await compile_c(
                    toolchain, source.path, triple=options.triple, flags=options.clang_flags
                )
            else:
                text = source.path.read_text(errors="replace")
        except (OSError, ToolError, MissingToolError) as err:
            problems.append(InputProblem(source.id, shown, str(err)))
            continue
        if kind == "asm":
            triple = source.triple or options.triple or guess_target(text).triple
            units.append(Unit(source.id, shown, text, None, triple))
            continue
        more, bad = await _ir_units(toolchain, source, text, options)
        units.extend(more)
        problems.extend(bad)
    if limit is not None:
        units = units[:limit]
    return units, problems
