"""LSP translation for the module index's navigation features (filled in by the wiring)."""

from __future__ import annotations

from lsp_server.features.positions import Lines


def relative_tokens(flat: list[int], lines: list[str], encoding: str) -> list[int]:
    """Absolute flat tokens (``line, col, length, type, modifiers`` in ``str`` indices) in
    LSP's relative encoding, columns and lengths in code units of ``encoding``."""
    data: list[int] = []
    append = data.extend
    last_line = last_col = 0
    converter: Lines | None = None
    for i in range(0, len(flat), 5):
        line, col, length, kind, mods = flat[i : i + 5]
        text = lines[line] if line < len(lines) else ""
        if not text.isascii():
            if converter is None:
                converter = Lines("", encoding)
            converter.lines = lines
            end = converter.column(line, col + length)
            col = converter.column(line, col)
            length = end - col
        append((line - last_line, col - last_col if line == last_line else col, length, kind, mods))
        last_line, last_col = line, col
    return data
