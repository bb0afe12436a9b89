"""Build the pass-search training corpus from PyPI sdists (reproducible; nothing is committed).

    nice -n 10 python scripts/corpus/build.py [--out .corpus] [--jobs 2]

For every package in scripts/corpus/packages.json (pinned versions):

1. ``pip download --no-binary :all: --no-deps NAME==VERSION`` (sha256 recorded), unpacked;
2. each C file the package's ``sources`` globs name, compiled the way LLM Compiler's inputs
   were: ``clang-19 -Oz -Xclang -disable-llvm-passes -S -emit-llvm
   --target=x86_64-unknown-linux-gnu -w`` with ``-idirafter`` for every folder of the sdist that
   holds headers, the Python headers, and the package's ``flags``. Files that do not compile (another
   platform's code, a header ``configure`` would make) are skipped and counted;
3. one module per function with ``llvm-extract-19 -func=NAME``: functions defined in the unit
   whose name occurs in the package's own sources (drops inline helpers from system and
   Python headers), not ``__``-prefixed, 8 to 700 lines of body, structurally distinct
   (global names and numbers erased), at most ``--per-package`` per package (seeded draw);
4. whole translation units up to 2,500 lines as ``kind: module`` entries;
5. every entry's ``-Oz`` size (``text + data`` of ``llc -filetype=obj``), entries that do not
   compile at -Oz dropped.

The result is ``OUT/manifest.jsonl`` (id, package, version, split, kind, source_file, function,
ir, lines, oz_size) and ``OUT/ir/*.ll``. The package's ``split`` (train or heldout) is kept per
entry: held-out packages are whole code bases nothing is trained or tuned on. The reserved code
bases (pycryptodome, zstandard/zstd, cmark, csmith) and the six of ../shared/corpus are not in
packages.json and are refused here.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import glob
import hashlib
import json
import random
import re
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
sys.path.insert(0, str(ROOT))

from lsp_server.llvm.elf import berkeley_size  # noqa: E402

# Kept for checks this corpus must not see, and the project's own corpus (a third set).
FORBIDDEN = (
    "pycryptodome",
    "zstandard",
    "zstd",
    "cmark",
    "csmith",
    "brotli",
    "pynacl",
    "libsodium",
    "lz4",
    "regex",
    "bitarray",
    "mmh3",
)
TARGET = "x86_64-unknown-linux-gnu"
PYTHON_INCLUDE = "/usr/include/python3.11"
_DEFINE = re.compile(r"^define [^@]*@(\"[^\"]+\"|[\w.$]+)\(", re.M)


def run(argv: list[str], **kw: Any) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(argv, capture_output=True, timeout=300, **kw)


def fetch(name: str, version: str, into: Path) -> Path:
    """The sdist of NAME==VERSION, downloaded with pip unless it is there already."""
    into.mkdir(parents=True, exist_ok=True)
    stem = re.sub(r"[-_.]+", "[-_.]", name)
    pattern = re.compile(rf"^{stem}-{re.escape(version)}\.(tar\.gz|zip|tar\.bz2)$", re.I)
    found = [p for p in into.iterdir() if pattern.match(p.name)]
    if not found:
        spec = f"{name}=={version}"
        cmd = [sys.executable, "-m", "pip", "download", "--no-binary", ":all:", "--no-deps"]
        result = run([*cmd, "-q", spec, "-d", str(into)])
        if result.returncode != 0:
            raise RuntimeError(f"pip download {spec} failed: {result.stderr.decode()[-400:]}")
        found = [p for p in into.iterdir() if pattern.match(p.name)]
    if not found:
        raise RuntimeError(f"no sdist for {name}=={version} in {into}")
    return found[0]


def unpack(archive: Path, into: Path) -> Path:
    if archive.name.endswith(".zip"):
        with zipfile.ZipFile(archive) as z:
            top = z.namelist()[0].split("/")[0]
            if not (into / top).exists():
                z.extractall(into)
    else:
        with tarfile.open(archive) as t:
            top = t.getnames()[0].split("/")[0]
            if not (into / top).exists():
                t.extractall(into, filter="data")
    return into / top


def header_dirs(root: Path) -> list[str]:
    dirs = sorted({str(p.parent.relative_to(root)) for p in root.rglob("*.h")})
    # -idirafter: searched after the system headers, so a vendored stdint.h or a Windows
    # compatibility header never shadows the real one.
    return [f"-idirafter{d}" for d in dirs if not re.search(r"(^|/)(tests?|win|windows)(/|$)", d)]


def compile_unit(root: Path, source: str, flags: list[str], out: Path) -> str | None:
    """Compile one C file to IR; the command line on success, None when it does not compile."""
    argv = [
        "clang-19",
        "-Oz",
        "-Xclang",
        "-disable-llvm-passes",
        "-S",
        "-emit-llvm",
        f"--target={TARGET}",
        "-w",
        *flags,
        f"-I{PYTHON_INCLUDE}",
        source,
        "-o",
        str(out),
    ]
    result = run(argv, cwd=root)
    if result.returncode != 0:
        return None
    return " ".join(a if " " not in a and '"' not in a else repr(a) for a in argv[:-2]) + " -o X.ll"


def body_hash(text: str) -> str:
    """A structural hash of a function module: names, numbers of attribute groups erased."""
    body = text[text.find("\ndefine ") :] if "\ndefine " in text else text
    body = body.split("\nattributes #")[0]
    body = re.sub(r"@[\w.$\"]+", "@G", body)
    body = re.sub(r"%struct\.[\w.]+", "%S", body)
    body = re.sub(r"#\d+", "#A", body)
    body = re.sub(r"!\d+", "!M", body)
    return hashlib.blake2b(body.encode(), digest_size=12).hexdigest()


def defined_functions(ll: str) -> list[tuple[str, int]]:
    """(name, body lines) of every function defined in a module's text."""
    out = []
    for match in _DEFINE.finditer(ll):
        name = match.group(1).strip('"')
        end = ll.find("\n}\n", match.end())
        out.append((name, ll.count("\n", match.start(), end if end > 0 else len(ll))))
    return out


def oz_size(path: Path) -> int | None:
    opt = run(["opt-19", "-passes=default<Oz>", str(path), "-o", "-"])
    if opt.returncode != 0:
        return None
    llc = run(["llc-19", "-filetype=obj", "-o", "-"], input=opt.stdout)
    return berkeley_size(llc.stdout) if llc.returncode == 0 else None


def package_words(root: Path) -> set[str]:
    words: set[str] = set()
    for p in root.rglob("*"):
        if p.suffix in (".c", ".h", ".inc") and p.is_file():
            words.update(re.findall(r"[A-Za-z_]\w*", p.read_text(errors="replace")))
    return words


def build_package(
    spec: dict[str, Any], out: Path, args: argparse.Namespace
) -> list[dict[str, Any]]:
    name, version = spec["name"], spec["version"]
    if any(f in name.lower() for f in FORBIDDEN):
        raise SystemExit(f"{name} is reserved and must not be in the training corpus")
    archive = fetch(name, version, out / "sdists")
    sha = hashlib.sha256(archive.read_bytes()).hexdigest()
    root = unpack(archive, out / "src")
    sources = sorted(
        {
            str(Path(p).relative_to(root))
            for pattern in spec["sources"]
            for p in glob.glob(str(root / pattern))
        }
    )
    flags = [*spec.get("flags", []), *header_dirs(root)]
    tag = re.sub(r"\W+", "", name.lower())
    units = out / "units" / tag
    units.mkdir(parents=True, exist_ok=True)
    words = package_words(root)
    compiled: list[tuple[str, Path, str]] = []
    failed = 0
    for source in sources:
        ll = units / (source.replace("/", "__") + ".ll")
        first = (root / source).read_text(errors="replace")[:300]
        if "Generated by Cython" in first:
            continue  # machine-made boilerplate, not C anyone wrote
        cmd = compile_unit(root, source, flags, ll)
        if cmd is None:
            failed += 1
            continue
        compiled.append((source, ll, cmd))
    rng = random.Random(f"{name}-{version}")
    candidates: list[tuple[str, Path, str, str]] = []
    modules: list[dict[str, Any]] = []
    for source, ll, cmd in compiled:
        text = ll.read_text()
        for fn, lines in defined_functions(text):
            if fn.startswith("__") or fn not in words or not 8 <= lines <= 700:
                continue
            candidates.append((fn, ll, source, cmd))
        if text.count("\n") <= 2500:
            modules.append({"source_file": source, "ll": ll, "clang_cmd": cmd})
    rng.shuffle(candidates)
    entries: list[dict[str, Any]] = []
    seen: set[str] = set()
    names: set[str] = set()
    ir_dir = out / "ir"
    ir_dir.mkdir(parents=True, exist_ok=True)
    for fn, ll, source, cmd in candidates:
        if len(entries) >= args.per_package:
            break
        if fn in names:
            continue
        ident = f"tr-{tag}-{len(entries):04d}"
        dest = ir_dir / f"{ident}.ll"
        result = run(["llvm-extract-19", f"-func={fn}", "-S", str(ll), "-o", str(dest)])
        if result.returncode != 0:
            continue
        text = dest.read_text()
        digest = body_hash(text)
        if digest in seen:
            dest.unlink()
            continue
        seen.add(digest)
        names.add(fn)
        entries.append(
            {
                "id": ident,
                "package": name,
                "version": version,
                "split": spec["split"],
                "kind": "function",
                "source_file": source,
                "function": fn,
                "ir": f"ir/{ident}.ll",
                "lines": text.count("\n"),
                "clang_cmd": cmd,
                "body_hash": digest,
                "sdist_sha256": sha,
            }
        )
    for i, m in enumerate(modules):
        ident = f"tu-{tag}-{i:03d}"
        dest = ir_dir / f"{ident}.ll"
        dest.write_text(m["ll"].read_text())
        entries.append(
            {
                "id": ident,
                "package": name,
                "version": version,
                "split": spec["split"],
                "kind": "module",
                "source_file": m["source_file"],
                "function": None,
                "ir": f"ir/{ident}.ll",
                "lines": dest.read_text().count("\n"),
                "clang_cmd": m["clang_cmd"],
                "sdist_sha256": sha,
            }
        )
    sys.stderr.write(
        f"{name} {version}: {len(compiled)} units compiled, {failed} skipped, "
        f"{sum(e['kind'] == 'function' for e in entries)} functions\n"
    )
    return entries


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=ROOT / ".corpus")
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--per-package", type=int, default=400)
    parser.add_argument("--only", default="", help="comma-separated package names")
    args = parser.parse_args()
    specs = json.loads((HERE / "packages.json").read_text())["packages"]
    if args.only:
        specs = [s for s in specs if s["name"] in args.only.split(",")]
    args.out.mkdir(parents=True, exist_ok=True)
    entries: list[dict[str, Any]] = []
    for spec in specs:
        try:
            entries.extend(build_package(spec, args.out, args))
        except (RuntimeError, OSError, subprocess.SubprocessError) as err:
            sys.stderr.write(f"{spec['name']}: skipped: {err}\n")
    with concurrent.futures.ThreadPoolExecutor(args.jobs) as pool:
        sizes = list(pool.map(lambda e: oz_size(args.out / e["ir"]), entries))
    kept = []
    for entry, size in zip(entries, sizes, strict=True):
        if size is not None:
            entry["oz_size"] = size
            kept.append(entry)
    with (args.out / "manifest.jsonl").open("w") as f:
        for entry in kept:
            f.write(json.dumps(entry) + "\n")
    by_split: dict[str, int] = {}
    for e in kept:
        key = f"{e['split']}-{e['kind']}"
        by_split[key] = by_split.get(key, 0) + 1
    sys.stderr.write(f"{len(kept)} entries: {by_split}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
