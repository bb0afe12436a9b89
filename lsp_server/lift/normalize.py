"""Assembly toward ``clang -S`` form, the shape LLM Compiler saw in training.

The models were trained on ``clang -S``/``llc`` output of files compiled from stdin, so
``.file`` names ``"-"`` and there is no ``.ident``. Lifting normalises its input this way
before prompting, and the round trip normalises ``llc``'s output the same way before the
comparison, so a file name or a compiler banner never counts as a difference.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from lsp_server.syntax.span import split_lines

# Only the one-argument form names the source file; `.file 1 "dir" "name"` is DWARF's file
# table (with -g) and stays as it is.
_FILE = re.compile(r'^\s*\.file\s+"(?:[^"\\]|\\.)*"\s*(?:(?:#|//|;|@).*)?$')
_IDENT = re.compile(r"^\s*\.ident\b")

#: The ``.file`` line ``clang -S`` writes for a file read from stdin.
FILE_LINE = '\t.file\t"-"'


@dataclass(frozen=True)
class Normalized:
    """Normalised text and, for each of its lines, the line of the original it came from."""

    text: str
    line_map: tuple[int, ...]

    def original_line(self, line: int) -> int:
        """The original line of normalised ``line`` (clamped to the text)."""
        if not self.line_map:
            return 0
        return self.line_map[max(0, min(line, len(self.line_map) - 1))]


def normalize_asm(text: str) -> Normalized:
    """``text`` with ``.file "-"``, no ``.ident``, no trailing blanks, ``\\n`` line breaks.

    The result ends with exactly one newline (an empty text stays empty). Never raises.
    """
    lines = split_lines(text)
    if lines and lines[-1] == "":
        lines.pop()
    kept: list[str] = []
    origin: list[int] = []
    for number, line in enumerate(lines):
        if _IDENT.match(line):
            continue
        kept.append(FILE_LINE if _FILE.match(line) else line.rstrip())
        origin.append(number)
    while kept and not kept[-1]:
        kept.pop()
        origin.pop()
    return Normalized("\n".join(kept) + "\n" if kept else "", tuple(origin))
