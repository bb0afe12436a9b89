"""Make panel-state.json: what the panel shows after hovering `instcombine` in example.ll.

Every IR text, size and pass step comes from real LLVM 19 runs on lsp_server/examples/example.ll
(function @crc32). The model prediction and its verdict are labelled as from a fake backend: the
fixture exercises the panel, it does not measure a model. Run it again when example.ll changes:

    python vscode-ext/test/panel/make_fixture.py
"""

from __future__ import annotations

import difflib
import json
import re
import subprocess
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[2]
EXAMPLE = ROOT / "lsp_server" / "examples" / "example.ll"
PIPELINE = "function(sroa,early-cse,instcombine,simplifycfg)"
FUNCTION = "crc32"


def run(*argv: str, stdin: str | None = None) -> str:
    return subprocess.run(argv, input=stdin, capture_output=True, text=True, check=True).stdout


def function_text(module: str) -> str:
    match = re.search(rf"^define [^\n]*@{FUNCTION}\(.*?^}}\n", module, re.S | re.M)
    assert match, f"@{FUNCTION} not found"
    return match.group(0)


def measure(module: str, tmp: Path) -> dict[str, int]:
    path = tmp / "m.ll"
    path.write_text(module)
    printed = subprocess.run(
        ["opt-19", "-passes=print<func-properties>", "-disable-output", str(path)],
        capture_output=True,
        text=True,
        check=True,
    ).stderr
    instructions = sum(int(n) for n in re.findall(r"TotalInstructionCount: (\d+)", printed))
    obj = tmp / "m.o"
    run("llc-19", "-filetype=obj", str(path), "-o", str(obj))
    size_line = run("llvm-size-19", str(obj)).splitlines()[1].split()
    return {"instructions": instructions, "bytes": int(size_line[0]) + int(size_line[1])}


def main() -> None:
    with tempfile.TemporaryDirectory() as name:
        tmp = Path(name)
        single = tmp / "f.ll"
        run("llvm-extract-19", f"--func={FUNCTION}", "-S", str(EXAMPLE), "-o", str(single))
        module = single.read_text()
        dumps = subprocess.run(
            ["opt-19", f"-passes={PIPELINE}", "-print-after-all", "-disable-output", str(single)],
            capture_output=True,
            text=True,
            check=True,
        ).stderr
        parts = re.split(r"^; \*\*\* IR Dump After (.+?) \*\*\*\n", dumps, flags=re.M)[1:]
        before = function_text(module)
        steps = []
        previous = before
        for title, body in zip(parts[0::2], parts[1::2], strict=True):
            ir = function_text(body)
            steps.append({"pass": title, "changed": ir != previous, "ir": ir})
            previous = ir
        hovered = next(i for i, s in enumerate(steps) if s["pass"].startswith("InstCombine"))
        ir_before = before if hovered == 0 else steps[hovered - 1]["ir"]
        ir_after = steps[hovered]["ir"]
        module_before = run(
            "opt-19",
            f"-passes={PIPELINE.replace(',instcombine,simplifycfg', '')}",
            "-S",
            str(single),
        )
        module_after = run(
            "opt-19", f"-passes={PIPELINE.replace(',simplifycfg', '')}", "-S", str(single)
        )
        diff = "".join(
            difflib.unified_diff(
                ir_before.splitlines(keepends=True), ir_after.splitlines(keepends=True), n=2
            )
        )
        oz = measure(run("opt-19", "-passes=default<Oz>", "-S", str(single)), tmp)
        candidates = []
        for pipeline in (
            "default<Oz>",
            "default<Os>",
            "function(sroa,instcombine,simplifycfg),default<Oz>",
        ):
            size = measure(run("opt-19", f"-passes={pipeline}", "-S", str(single)), tmp)
            candidates.append({"pipeline": pipeline, "bytes": size["bytes"], "verified": True})
        version = run("opt-19", "--version")
        llvm = re.search(r"LLVM version (\S+)", version)
        state = {
            "status": {
                "version": "0.1.0",
                "llvm": {"version": llvm.group(1) if llvm else "19", "source": "PATH"},
                "model": {"state": "ready", "name": "fake-backend", "detail": "test fixture"},
            },
            "context": {
                "uri": "file:///work/example.ll",
                "fileName": "example.ll",
                "languageId": "llvm",
                "function": FUNCTION,
                "pipeline": PIPELINE,
                "pass": "instcombine",
            },
            "preview": {
                "uri": "file:///work/example.ll",
                "pass": "instcombine",
                "pipeline": PIPELINE,
                "function": FUNCTION,
                "llvmVersion": llvm.group(1) if llvm else "19",
                "changed": True,
                "diff": diff,
                "sizeBefore": measure(module_before, tmp),
                "sizeAfter": measure(module_after, tmp),
                "prediction": {
                    "verdict": "differs",
                    "differingLines": 2,
                    "firstDifference": "-  %12 = icmp ult i32 %.0, 8\n+  %12 = icmp slt i32 %.0, 8",
                    "sizeError": 3,
                    "model": "fake backend (test fixture)",
                },
            },
            "steps": {
                "uri": "file:///work/example.ll",
                "function": FUNCTION,
                "pipeline": PIPELINE,
                "input": before,
                "steps": steps,
            },
            "selectedStep": hovered,
            "suggest": {
                "ozBytes": oz["bytes"],
                "candidates": candidates,
                "compilations": len(candidates),
                "message": "Nothing beat -Oz on @crc32 in this search; -Oz is offered.",
            },
        }
        (HERE / "panel-state.json").write_text(json.dumps(state, indent=1) + "\n")


if __name__ == "__main__":
    main()
