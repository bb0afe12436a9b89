"""Rename keeps modules valid and their meaning the same: the renamed module passes llvm-as,
and ``opt -S`` of it equals ``opt -S`` of the original with only that name changed (and,
for a numbered value, the numbers after it one lower, as LLVM prints them)."""

from __future__ import annotations

import random
import re
from pathlib import Path

import pytest

from lsp_server.ide.rename import Refusal, apply_edits, rename
from lsp_server.syntax.index import ModuleIndex, build_index
from lsp_server.syntax.index_model import display
from tests.support.index import accepted, label, module_files, run

FILES = module_files()
SAMPLE = [p for p in FILES if "corpus" in p.parts][::6] + [
    p for p in FILES if "corpus" not in p.parts
][::4]


def _opt_s(opt: str, text: str) -> str:
    result = run([opt, "-S", "-o", "-", "-"], text)
    assert result.returncode == 0, result.stderr
    return result.stdout


def _candidates(index: ModuleIndex, rng: random.Random) -> list[tuple[str, int, int, int | None]]:
    """Names to rename: (key, line, col, function position or None), of every kind."""
    out: list[tuple[str, int, int, int | None]] = []
    for position, entry in enumerate(index.functions):
        for ref in entry.fi.refs:
            if ref.is_def and ref.key[0] in "%@":
                out.append(
                    (
                        ref.key,
                        ref.line + entry.start,
                        ref.start,
                        position if ref.key[0] == "%" else None,
                    )
                )
    for ref in index.refs:
        if ref.is_def and ref.key[0] in "@T!#$":
            out.append((ref.key, ref.line, ref.start, None))
    rng.shuffle(out)
    return out[:8]


def _expected_local(
    original: str, fname: str, old: str, new: str, slot: int | None, is_entry: bool
) -> str:
    """``original`` (opt -S output) with local ``old`` of ``@fname`` renamed to ``new``."""
    lines = original.split("\n")
    out: list[str] = []
    inside = False
    for line in lines:
        head = (
            re.search(r"@" + re.escape(fname) + r"\(", line) if line.startswith("define ") else None
        )
        if head is not None:
            inside = True
            params = line[head.end() :]
            if slot is None:
                params = re.sub(re.escape(old) + r"(?![-\w$.])", new, params)
            else:
                params = _shift(params, slot, new)
            out.append(line[: head.end()] + params)
            if is_entry:
                out.append(new[1:] + ":")
            continue
        if inside and line == "}":
            inside = False
        if inside:
            if slot is None:
                line = re.sub(re.escape(old) + r"(?![-\w$.])", new, line)
                label = re.escape(old[1:]) + ":"
                line = re.sub("^" + label, new[1:] + ":", line)
            else:
                line = _shift(line, slot, new)
        out.append(line)
    return "\n".join(out)


def _shift(line: str, slot: int, new: str) -> str:
    def value(match: re.Match[str]) -> str:
        number = int(match.group(1))
        if number == slot:
            return new
        return f"%{number - 1}" if number > slot else match.group()

    def block(match: re.Match[str]) -> str:
        number = int(match.group(1))
        if number == slot:
            return new[1:] + ":"
        return f"{number - 1}:" if number > slot else match.group()

    line = re.sub(r"%(\d+)\b", value, line)
    return re.sub(r"^(\d+):", block, line)


def _aligned(text: str) -> str:
    """LLVM pads a label's ``; preds =`` comment to a column; a new label length moves it."""
    return re.sub(r"[ \t]+; preds = ", " ; preds = ", text)


def _named_comdat(text: str, new: str, old: str) -> str:
    """A global renamed away from its implicit comdat now names it: ``comdat($old)``."""
    out = []
    for line in text.split("\n"):
        defines = line.startswith(new + " =") or (line.startswith("define ") and new + "(" in line)
        if defines:
            line = re.sub(r"\bcomdat\b(?!\()", f"comdat(${old})", line)
        out.append(line)
    return "\n".join(out)


@pytest.mark.parametrize("path", SAMPLE, ids=label)
def test_rename_keeps_the_module(toolchain, path: Path) -> None:
    if not accepted(toolchain.path("llvm-as"), path):
        pytest.skip("llvm-as rejects this file")
    text = path.read_text()
    opt = toolchain.path("opt")
    original = _opt_s(opt, text)
    index = build_index(text)
    rng = random.Random(path.name)
    done = 0
    for key, line, col, function in _candidates(index, rng):
        new_name = "renamed_" + str(done)
        if key[0] in "#" or (key[0] == "!" and key[1:].isdigit()):
            new_name = "9" + str(done) + "7"
        edits = rename(index, line, col, new_name)
        if isinstance(edits, Refusal):
            assert key.startswith(("@llvm.", "!llvm.")) or (key[1:].isdigit() and key[0] in "@T"), (
                f"{display(key)}: unexpected refusal {edits.message}"
            )
            continue
        renamed = apply_edits(text, edits)
        result = run([toolchain.path("llvm-as"), "-o", "/dev/null", "-"], renamed)
        assert result.returncode == 0, f"renaming {display(key)}: {result.stderr}"
        after = _opt_s(opt, renamed)
        if function is not None:
            fi = index.functions[function].fi
            found = fi.defs[key]
            slot = None
            if key[1:].isdigit():
                slot = [k for k, _explicit in fi.numbered].index(key)
            is_entry = found.kind == "block" and found.where == 0 and found.ref is None
            expected = _expected_local(original, fi.name, key, "%" + new_name, slot, is_entry)
        elif key[0] == "#" or (key[0] == "!" and key[1:].isdigit()):
            # LLVM prints attribute groups and metadata numbered by first use.
            expected = original
        else:
            sigil = display(key)[0]
            expected = re.sub(re.escape(display(key)) + r"(?![-\w$.])", sigil + new_name, original)
            if key[0] == "@":
                expected = _named_comdat(expected, sigil + new_name, key[1:])
        assert _aligned(after) == _aligned(expected), (
            f"renaming {display(key)} to {new_name} changed more than the name"
        )
        done += 1
    assert done or not index.functions
