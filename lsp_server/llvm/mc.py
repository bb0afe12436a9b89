"""llvm-mc: assembling .s files, and the files an assembly file may pull in.

``.incbin`` and ``.include`` make llvm-mc read another file whole into memory: a device
(``.incbin "/dev/zero"``) never ends and a file elsewhere on the machine is none of the
document's business. :func:`refused_includes` finds them before llvm-mc runs; the tool's
limits (lsp_server.llvm.runner.ToolLimits) stop what a macro could still build.
"""

from __future__ import annotations

import os
import re
import stat
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from lsp_server.llvm.errors import ToolError
from lsp_server.llvm.runner import ToolResult, run_tool
from lsp_server.llvm.toolchain import Toolchain

OBJECT_FILE = "out.o"

# A directive starts a line, or follows a label or a statement separator. Directive names
# are case-insensitive to llvm-mc.
_INCLUDE = re.compile(
    r"""(?:^|[;:]|\s)\.(?P<kind>incbin|include)\s+"(?P<path>(?:[^"\\\n]|\\.)*)"[^\n]*""",
    re.IGNORECASE | re.MULTILINE,
)
# A directive statement (after any labels), for following sections and reserved space.
_DIRECTIVE = re.compile(r"^(?:[\w.$]+:\s*)*\.(?P<name>[a-z]+)\b\s*(?P<args>.*)$", re.IGNORECASE)
_RESERVING = frozenset({"fill", "space", "skip", "zero"})
_COMMENT = re.compile(r"#|//|/\*")
_MAX_DEPTH = 8
# Where llvm-mc resolves a relative path: the run's private directory, which is empty.
_RUN_DIR = Path(tempfile.gettempdir(), "irlens-run")


@dataclass(frozen=True)
class Refusal:
    """An ``.incbin`` or ``.include`` irlens will not let llvm-mc read; 0-based place, and
    the characters the directive spans on its line."""

    line: int
    col: int
    end: int
    message: str


def _inside(path: Path, roots: Sequence[Path]) -> bool:
    return any(path == root or root in path.parents for root in roots)


def _why_refused(
    raw: str, kind: str, base: Path | None, roots: Sequence[Path], max_bytes: int
) -> tuple[str | None, Path | None]:
    """Why ``.<kind> "raw"`` is refused (None: allowed), and the file it names when that
    is a file to look into."""
    if "\\" in raw:
        return f".{kind} of a path with escapes or macro arguments cannot be checked", None
    given = Path(raw)
    candidates = [given] if given.is_absolute() else [_RUN_DIR / given]
    if not given.is_absolute() and base is not None:
        candidates.append(base / given)
    for candidate in candidates:
        normal = Path(os.path.normpath(candidate))
        if not given.is_absolute() and _RUN_DIR in (normal, *normal.parents):
            continue  # inside the run's own empty directory: llvm-mc finds nothing there
        try:
            real = normal.resolve(strict=True)
            info = os.stat(real)
        except (OSError, RuntimeError, ValueError):
            continue  # missing (or unencodable): llvm-mc says so itself
        if not stat.S_ISREG(info.st_mode):
            return f".{kind} of {raw} is refused: it is not a regular file (a device?)", None
        if not _inside(real, roots):
            where = ", ".join(map(str, roots)) or "no workspace folder"
            return f".{kind} of {raw} is refused: it is outside the workspace ({where})", None
        if max_bytes and info.st_size > max_bytes:
            mib = max_bytes // (1024 * 1024)
            return (
                f".{kind} of {raw} is refused: the file is larger than {mib} MiB "
                "(setting irlens.llvm.maxOutputMb)",
                None,
            )
        return None, real if kind.lower() == "include" else None
    return None, None


def refused_includes(
    text: str, roots: Sequence[str | Path], *, max_bytes: int = 0
) -> list[Refusal]:
    """The ``.incbin``/``.include`` directives of ``text`` llvm-mc must not follow.

    Refused: a path that is not a regular file (a device, a pipe, a directory), a file
    outside ``roots`` (the workspace folders), one larger than ``max_bytes``, a path irlens
    cannot read statically (escapes, macro arguments), and any of these inside a file
    ``text`` includes. A path that does not exist is left to llvm-mc, which reports it.
    """
    root_paths = []
    for root in roots:
        try:
            root_paths.append(Path(root).resolve())
        except (OSError, RuntimeError, ValueError):
            continue
    found: list[Refusal] = []
    _scan(text, None, root_paths, max_bytes, found, None, 0, set())
    return found


def _scan(
    text: str,
    base: Path | None,
    roots: Sequence[Path],
    max_bytes: int,
    found: list[Refusal],
    place: tuple[int, int, int] | None,
    depth: int,
    seen: set[Path],
) -> None:
    """Add the refusals of ``text`` to ``found``; ``place`` is the top-level directive that
    included it (the refusal is reported there)."""
    for m in _INCLUDE.finditer(text):
        line_start = text.rfind("\n", 0, m.start("kind")) + 1
        if _COMMENT.search(text, line_start, m.start("kind")):
            continue  # commented out
        here = place
        if here is None:
            line = text.count("\n", 0, m.start("kind"))
            here = (line, m.start("kind") - 1 - line_start, m.end() - line_start)
        why, included = _why_refused(m["path"], m["kind"], base, roots, max_bytes)
        if why is not None:
            if place is not None:
                why = f"an included file has {why[0].lower()}{why[1:]}"
            found.append(Refusal(*here, why))
            continue
        if included is None or included in seen:
            continue
        if depth >= _MAX_DEPTH:
            found.append(Refusal(*here, f".include nests deeper than {_MAX_DEPTH} files"))
            continue
        seen.add(included)
        try:
            nested = included.read_text(encoding="utf-8", errors="replace")
        except OSError:
            continue
        _scan(nested, included.parent, roots, max_bytes, found, here, depth + 1, seen)


def without(text: str, refusals: Sequence[Refusal], blank_lines: Sequence[int] = ()) -> str:
    """``text`` with the refused directives and ``blank_lines`` blanked out (lines and
    columns unchanged), so llvm-mc still checks the rest of the file."""
    if not refusals and not blank_lines:
        return text
    lines = text.split("\n")
    for number in blank_lines:
        if number < len(lines):
            lines[number] = ""
    for refusal in refusals:
        if refusal.line < len(lines):
            line = lines[refusal.line]
            width = max(0, min(refusal.end, len(line)) - refusal.col)
            lines[refusal.line] = line[: refusal.col] + " " * width + line[refusal.col + width :]
    return "\n".join(lines)


def _section_has_bits(args: str, name: str) -> bool | None:
    """Whether a section's contents take room in the object: False for .bss-like and
    ``@nobits`` sections, True for the others, None when irlens cannot tell."""
    lowered = args.lower()
    if "nobits" in lowered:
        return False
    section = lowered.split(",", 1)[0].strip().strip('"') if name == "section" else name
    if section.startswith((".bss", ".tbss", ".lbss")) or section == "bss":
        return False
    return bool(section)


def reserved_bytes(text: str) -> dict[int, int]:
    """The bytes that literal ``.fill``/``.space``/``.skip``/``.zero`` directives put into
    the object (in sections that take room in it: a ``.bss`` buffer takes none), by 0-based
    line. What irlens cannot follow (a ``.pushsection``, sizes that are expressions,
    ``.rept``) counts nothing; the file-size limit catches the rest."""
    found: dict[int, int] = {}
    has_bits: bool | None = True  # llvm-mc starts in .text
    for number, raw in enumerate(text.split("\n")):
        statement = raw.split("#", 1)[0].split("//", 1)[0].strip()
        m = _DIRECTIVE.match(statement)
        if m is None:
            continue
        name, args = m["name"].lower(), m["args"]
        if name in ("text", "data", "rodata"):
            has_bits = True
        elif name in ("bss", "section"):
            has_bits = _section_has_bits(args, name)
        elif name in ("pushsection", "popsection", "previous", "subsection"):
            has_bits = None
        elif name in _RESERVING and has_bits:
            fields = [f.strip() for f in args.split(",")]
            try:
                count = int(fields[0], 0)
                each = int(fields[1], 0) if name == "fill" and len(fields) > 1 else 1
            except (ValueError, IndexError):
                continue
            found[number] = found.get(number, 0) + max(0, count) * max(0, min(each, 8))
    return found


async def run_assembler(
    toolchain: Toolchain,
    text: str,
    triple: str,
    *,
    timeout: float | None = None,
    keep_object: bool = True,
) -> ToolResult:
    """Run llvm-mc on ``text``, producing an object (read back into ``files`` when
    ``keep_object``); the raw result. The caller checks includes first."""
    return await run_tool(
        [
            toolchain.path("llvm-mc"),
            f"-triple={triple}",
            "-filetype=obj",
            "-o",
            OBJECT_FILE,
            "-",
        ],
        stdin=text,
        timeout=timeout or toolchain.timeout,
        collect=(OBJECT_FILE,) if keep_object else (),
        limits=toolchain.limits,
    )


async def assemble(
    toolchain: Toolchain, text: str, triple: str, roots: Sequence[str | Path] = ()
) -> bytes:
    """The object file llvm-mc makes of ``text``; raises ToolError when it does not assemble
    or includes a file it may not (see :func:`refused_includes`)."""
    refused = refused_includes(text, roots, max_bytes=toolchain.limits.output_mb * 1024 * 1024)
    if refused:
        raise ToolError(refused[0].message)
    result = await run_assembler(toolchain, text, triple)
    if not result.ok or OBJECT_FILE not in result.files:
        raise ToolError.from_result(f"llvm-mc could not assemble this for {triple}", result)
    return result.files[OBJECT_FILE]
