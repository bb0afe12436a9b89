"""Add LLVM regression tests from Debian's LLVM 19 source package to tests/data/llvm-tests.

    python scripts/corpus/llvm_tests.py [--per-kind 8] [--dry-run]

The source is the ``llvm-toolchain-19`` orig tarball of Debian 12 (pinned by sha256 below;
downloaded once into ``~/.cache/irlens/``), so every copied file is LLVM 19.1.7's own text,
byte for byte, under LLVM's license (``tests/data/llvm-tests/LICENSE.TXT``).

It picks tests of the kinds the first batch had too few of (issue 13): RUN lines with value
options (``-unroll-count=4``), ``-mtriple``, several RUN lines per file, and check prefixes.
A file qualifies when it has at most 150 lines, every RUN line is ``opt``
with ``-passes=`` and pipes into FileCheck (no ``not`` lines), and every RUN line passes under the local LLVM 19
the way lit runs it (``bash -o pipefail``, ``%s`` substituted). Candidates are drawn per kind
in a seeded order, files already in the manifest are skipped, and the manifest and
``passing-runs.tsv`` get one entry / row each (the manifest's ``pipelines`` come from the
RUN line's own words, not from irlens's parser, which the tests then check against them).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import re
import shlex
import subprocess
import tarfile
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DEST = ROOT / "tests" / "data" / "llvm-tests"
URL = (
    "http://deb.debian.org/debian/pool/main/l/llvm-toolchain-19/"
    "llvm-toolchain-19_19.1.7.orig.tar.xz"
)
SHA256 = "ae498f3bc58ae2d9f64ef5f0c035c4240152bf015a5b7738b15c22e93bdc97ce"
SOURCE = "Debian llvm-toolchain-19 1:19.1.7-3~deb12u1 (orig tarball, LLVM 19.1.7)"
PREFIX = "llvm-toolchain-19_19.1.7/llvm/test/Transforms/"
DIRS = (
    "InstCombine", "SimplifyCFG", "LoopUnroll", "LICM", "GVN", "SROA", "Inline",
    "IndVarSimplify", "LoopRotate", "EarlyCSE", "JumpThreading", "SCCP", "Reassociate",
    "DeadStoreElimination", "MemCpyOpt", "LoopDeletion", "CorrelatedValuePropagation",
    "InstSimplify", "LoopSimplifyCFG", "LoopIdiom", "LoopStrengthReduce", "SLPVectorizer",
    "LoopVectorize", "AggressiveInstCombine", "NewGVN", "ConstraintElimination",
)  # fmt: skip
_RUN = re.compile(r"^\s*;\s*RUN:(.*)$")
_NOT_VALUE = {"-passes", "-S", "-o", "-disable-output", "-mtriple", "-mattr"}


def _tarball() -> Path:
    cache = Path.home() / ".cache" / "irlens" / "llvm-toolchain-19_19.1.7.orig.tar.xz"
    if not cache.exists() or _sha256(cache.read_bytes()) != SHA256:
        cache.parent.mkdir(parents=True, exist_ok=True)
        partial = cache.with_suffix(".part")
        with urllib.request.urlopen(URL) as answer, partial.open("wb") as out:
            while chunk := answer.read(1 << 20):
                out.write(chunk)
        if _sha256(partial.read_bytes()) != SHA256:
            raise SystemExit(f"{URL}: sha256 differs from the pinned {SHA256}")
        partial.rename(cache)
    return cache


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def run_lines(text: str) -> tuple[list[str], list[list[str]]]:
    """The RUN commands joined as lit joins them, and the physical lines of each."""
    commands: list[str] = []
    physical: list[list[str]] = []
    current = ""
    lines: list[str] = []
    for line in text.splitlines():
        match = _RUN.match(line)
        if match is None:
            continue
        # lit keeps a continued line's own spacing: "a \\" then "   b" is "a    b".
        part = match.group(1).rstrip()
        if not current:
            part = part.lstrip()
        lines.append(line)
        if part.endswith("\\"):
            current += part[:-1]
            continue
        commands.append((current + part).strip())
        physical.append(lines)
        current, lines = "", []
    return commands, physical


def _opt_words(command: str) -> list[str] | None:
    try:
        words = shlex.split(command.split("|")[0])
    except ValueError:
        return None
    return words if words[:1] == ["opt"] else None


def pipelines(command: str) -> list[str]:
    words = _opt_words(command) or []
    found = []
    for i, word in enumerate(words):
        if word.startswith(("-passes=", "--passes=")):
            found.append(word.split("=", 1)[1])
        elif word in ("-passes", "--passes") and i + 1 < len(words):
            found.append(words[i + 1])
    return found


def kinds(commands: list[str]) -> set[str]:
    found = set()
    if len(commands) > 1:
        found.add("several RUN lines")
    for command in commands:
        words = _opt_words(command) or []
        if any(w.startswith(("-mtriple", "--mtriple")) for w in words):
            found.add("-mtriple")
        if any(w.startswith("-") and w.split("=")[0] not in _NOT_VALUE and "=" in w
               and not w.startswith(("-passes", "--passes")) for w in words):  # fmt: skip
            found.add("value option")
        if re.search(r"--?check-prefix(es)?[= ]", command):
            found.add("check prefixes")
    return found


def passes_llvm19(path: Path, command: str) -> bool:
    tools = {"opt": "opt-19", "FileCheck": "FileCheck-19", "llvm-dis": "llvm-dis-19"}
    line = command.replace("%s", shlex.quote(str(path))).replace("%t", "/tmp/irlens-lit.tmp")
    words = line.split(" ")
    line = " ".join(tools.get(w, w) for w in words)
    result = subprocess.run(
        ["bash", "-o", "pipefail", "-c", line], capture_output=True, timeout=60, check=False
    )
    return result.returncode == 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--per-kind", type=int, default=8)
    parser.add_argument("--seed", type=int, default=19)
    parser.add_argument("--dry-run", action="store_true")
    args = parser.parse_args(argv)
    manifest_path = DEST / "manifest.jsonl"
    manifest = [json.loads(line) for line in manifest_path.read_text().splitlines() if line]
    known_paths = {entry["path"] for entry in manifest}
    candidates: dict[str, tuple[str, bytes]] = {}
    with tarfile.open(_tarball()) as tar:
        for member in tar:
            name = member.name
            if not (name.startswith(PREFIX) and name.endswith(".ll") and member.isfile()):
                continue
            rel = name[len(PREFIX) :]
            if rel.split("/")[0] not in DIRS or rel.count("/") != 1 or rel in known_paths:
                continue
            data = tar.extractfile(member).read()  # type: ignore[union-attr]
            if data.count(b"\n") <= 150 and data.isascii():
                candidates[rel] = (name, data)
    rng = random.Random(args.seed)
    order = sorted(candidates)
    rng.shuffle(order)
    chosen: dict[str, set[str]] = {}
    wanted = ("value option", "-mtriple", "several RUN lines", "check prefixes")
    counts = dict.fromkeys(wanted, 0)
    scratch = Path("/tmp/irlens-llvm-tests")
    scratch.mkdir(exist_ok=True)
    for rel in order:
        if all(n >= args.per_kind for n in counts.values()):
            break
        text = candidates[rel][1].decode()
        commands, _ = run_lines(text)
        if not commands or any(
            c.startswith("not ")
            or _opt_words(c) is None
            or not pipelines(c)
            or "FileCheck" not in c
            for c in commands
        ):
            continue
        found = kinds(commands) & {k for k in wanted if counts[k] < args.per_kind}
        if not found:
            continue
        probe = scratch / rel.replace("/", "_")
        probe.write_bytes(candidates[rel][1])
        if not all(passes_llvm19(probe, c) for c in commands):
            continue
        chosen[rel] = found
        for kind in found:
            counts[kind] += 1
    print(f"{len(chosen)} files: " + ", ".join(f"{k} {n}" for k, n in counts.items()))  # noqa: T201
    if args.dry_run:
        return 0
    rows = []
    for rel in sorted(chosen):
        source_path, data = candidates[rel]
        text = data.decode()
        commands, physical = run_lines(text)
        target = DEST / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
        entry = {
            "path": rel,
            "source_repo": SOURCE,
            "source_path": source_path.split("/", 1)[1],
            "commit": "llvmorg-19.1.7",
            "chars": len(text),
            "sha256": _sha256(data),
            "run_lines": commands,
            "passes_llvm19": [True] * len(commands),
            "pipelines": [{"passes": pipelines(c)} for c in commands],
            "kinds": sorted(chosen[rel]),
        }
        multi = [lines for lines in physical if len(lines) > 1]
        if multi:
            entry["run_lines_physical"] = multi
        manifest.append(entry)
        rows += [f"{rel}\t{i}\t{c}" for i, c in enumerate(commands)]
    manifest_path.write_text("".join(json.dumps(e) + "\n" for e in manifest))
    with (DEST / "passing-runs.tsv").open("a") as out:
        out.write("".join(row + "\n" for row in rows))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
