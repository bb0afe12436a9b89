"""Writing a lifted module to disk without ever costing the user a file.

The rules, for the CLI and for the server when it writes the file itself:

- the output is never the input (the same inode, whatever the path spelling or hard link);
- a symbolic link at the output is never followed, dangling or not: the write is refused;
- the text goes to a temporary file in the output's directory first, then into place in one
  step, so a crash or a full disk never leaves half a file where a whole one was;
- a new file (``replace=False``, the default names) never replaces anything: it is linked into
  place, which fails if the name was taken meanwhile, and the next free name is tried.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path

SOURCE_SUFFIXES = (".s", ".S", ".asm")


class UnsafeOutput(Exception):
    """The output was refused; the message says why, for the user."""


def lifted_name(source_name: str, number: int = 1) -> str:
    """``f.s`` → ``f.lifted.ll`` (``f.lifted.2.ll`` for ``number`` 2, and so on)."""
    stem = source_name
    for suffix in SOURCE_SUFFIXES:
        if stem.endswith(suffix) and len(stem) > len(suffix):
            stem = stem[: -len(suffix)]
            break
    return f"{stem}.lifted.ll" if number == 1 else f"{stem}.lifted.{number}.ll"


def check_output(path: Path, source: Path | None) -> None:
    """Refuse an output that is the source or a symbolic link (raises :class:`UnsafeOutput`)."""
    if path.is_symlink():
        raise UnsafeOutput(f"{path} is a symbolic link; irlens never writes through one")
    if source is not None and path.exists():
        with contextlib.suppress(OSError):
            if os.path.samefile(path, source):
                raise UnsafeOutput(f"{path} is the input file; irlens never writes over it")


def write_lifted(text: str, source: Path, output: Path | None = None) -> Path:
    """Write ``text`` beside ``source`` under the first free lifted name, or at ``output``.

    An explicit ``output`` may replace an existing regular file (atomically), but never the
    source and never through a symbolic link. Raises :class:`UnsafeOutput` or ``OSError``.
    """
    if output is not None:
        check_output(output, source)
        _replace(output, text)
        return output
    number = 1
    while True:
        candidate = source.with_name(lifted_name(source.name, number))
        if not candidate.exists() and not candidate.is_symlink() and _create(candidate, text):
            return candidate
        number += 1


def write_new(path: Path, text: str) -> None:
    """Write a file that must not exist yet (raises ``FileExistsError`` if it does)."""
    if path.is_symlink():
        raise UnsafeOutput(f"{path} is a symbolic link; irlens never writes through one")
    if not _create(path, text):
        raise FileExistsError(f"{path} exists; irlens never replaces it")


def _temporary(directory: Path, text: str) -> Path:
    handle, name = tempfile.mkstemp(dir=directory, prefix=".irlens-", suffix=".tmp")
    try:
        with os.fdopen(handle, "w", encoding="utf-8", errors="replace") as out:
            out.write(text)
            out.flush()
            os.fsync(out.fileno())
    except BaseException:
        Path(name).unlink(missing_ok=True)
        raise
    return Path(name)


def _create(path: Path, text: str) -> bool:
    """Put ``text`` at ``path`` only if nothing is there; False if the name is taken."""
    temporary = _temporary(path.parent, text)
    try:
        os.link(temporary, path)  # atomic, and fails on any existing name (a link included)
    except FileExistsError:
        return False
    finally:
        temporary.unlink(missing_ok=True)
    return True


def _replace(path: Path, text: str) -> None:
    temporary = _temporary(path.parent, text)
    try:
        os.replace(temporary, path)  # replaces the name, never follows a link there
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
