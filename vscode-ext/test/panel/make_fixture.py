"""Make panel-state.json: what the server sends the panel after a hover on `instcombine` in
lsp_server/examples/example.ll, in the server's own wire format.

The preview is `irlens preview --json` and the steps are `irlens/pipelineSteps`'s result, both
computed here by the server's code and the real LLVM. Only the model prediction is made up,
and it says so: its model is named "fake backend (test fixture)". The suggestions are real
sizes of three pipelines measured with opt and llc. The CFG is `irlens/cfg`'s answer for
@murmurhash3_x86_32 of the corpus (a loop and a switch), made by the server's own cfg_view as
the request handler makes it. Run it again when the server's JSON or
example.ll changes:

    .venv/bin/python vscode-ext/test/panel/make_fixture.py
"""

from __future__ import annotations

import asyncio
import json
import re
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[2]
sys.path.insert(0, str(ROOT))

from lsp_server import config  # noqa: E402
from lsp_server.ide.cfg_view import cfg_view, to_dot, to_text  # noqa: E402
from lsp_server.preview.steps import pipeline_steps  # noqa: E402
from lsp_server.services import build_services  # noqa: E402
from lsp_server.syntax.index import build_index  # noqa: E402

EXAMPLE = ROOT / "lsp_server" / "examples" / "example.ll"
PIPELINE = "function(sroa,early-cse,instcombine,simplifycfg)"
FUNCTION = "crc32"
CFG_MODULE = ROOT / "tests" / "data" / "corpus" / "ir" / "dev-mmh3-0119.ll"
CFG_FUNCTION = "murmurhash3_x86_32"


def run(*argv: str) -> str:
    return subprocess.run(argv, capture_output=True, text=True, check=True).stdout


def object_size(module: Path, tmp: Path) -> int:
    obj = tmp / "m.o"
    run("llc-19", "-filetype=obj", str(module), "-o", str(obj))
    text, data = run("llvm-size-19", str(obj)).splitlines()[1].split()[:2]
    return int(text) + int(data)


def suggestion(tmp: Path) -> dict[str, Any]:
    """`irlens suggest --json` for @crc32 (a short real search), with fake model candidates."""
    result = json.loads(
        run(
            *(sys.executable, "-m", "lsp_server", "suggest", str(EXAMPLE)),
            *("--function", FUNCTION, "--budget", "3", "--json"),
        )
    )
    result.pop("file", None)
    result.pop("written", None)
    single = tmp / "f.ll"
    run("llvm-extract-19", f"--func={FUNCTION}", "-S", str(EXAMPLE), "-o", str(single))
    repaired = "function(sroa,simplifycfg)"
    out = tmp / "o.ll"
    run("opt-19", f"-passes={repaired}", "-S", str(single), "-o", str(out))
    result["model"] = {
        "name": "fake backend (test fixture)",
        "error": None,
        "candidates": [
            {
                "sample": 0,
                "proposed": "function(sroa,instcombin,simplifycfg)",
                "pipeline": repaired,
                "status": "repaired",
                "unknown": ["instcombin"],
                "message": "repaired: dropped the unknown pass instcombin (did you mean instcombine?)",
                "size": object_size(out, tmp),
            },
            {
                "sample": 1,
                "proposed": "optimize it well",
                "pipeline": None,
                "status": "rejected",
                "unknown": [],
                "message": "rejected: no pass list in the answer",
                "size": None,
            },
        ],
    }
    return result


def cfg_answer() -> dict[str, Any]:
    """`irlens/cfg` for the cursor on the loop header's line of @murmurhash3_x86_32, as
    lsp_server/handlers/navigation.py answers it (the file is ASCII: lines need no conversion)."""
    index = build_index(CFG_MODULE.read_text())
    view = cfg_view(index, name=CFG_FUNCTION)
    assert view is not None and view.loops, "the CFG fixture needs a function with a loop"
    header = view.nodes[view.loops[0][0]].line
    view = cfg_view(index, line=header)
    assert view is not None and view.function == CFG_FUNCTION
    out = view.as_json()
    out["dot"] = to_dot(view)
    out["text"] = to_text(view)
    out["uri"] = f"file:///work/{CFG_MODULE.name}"
    return {"position": {"line": header, "character": 0}, "answer": out}


def main() -> None:
    preview = json.loads(
        run(
            sys.executable,
            "-m",
            "lsp_server",
            "preview",
            str(EXAMPLE),
            "--pass",
            "instcombine",
            "--json",
        )
    )
    crc = next(f for f in preview["functions"] if f["name"] == FUNCTION)
    first_removed = next(
        line[1:] for line in crc["diff"].splitlines() if line.startswith("-") and "icmp" in line
    )
    first_added = next(
        line[1:] for line in crc["diff"].splitlines() if line.startswith("+") and "icmp" in line
    )
    preview["prediction"] = {
        "status": "differs",
        "model": "fake backend (test fixture)",
        "passes": preview["pipeline"],
        "message": "",
        "differingLines": 2,
        "firstDifference": {"line": 21, "opt": first_added, "model": first_removed},
        "predictedInstructions": preview["instructions"]["after"],
        "predictedBinarySize": preview["binarySize"]["after"] + 3,
        "optInstructions": preview["instructions"]["after"],
        "optBinarySize": preview["binarySize"]["after"],
    }
    services = build_services(config.Settings(), with_cache=False)
    steps = asyncio.run(pipeline_steps(EXAMPLE.read_text(), PIPELINE, FUNCTION, services)).to_json()
    uri = "file:///work/example.ll"
    version = re.search(r"LLVM version (\S+)", run("opt-19", "--version"))
    with tempfile.TemporaryDirectory() as name:
        suggest = {"uri": "file:///work/example.ll", **suggestion(Path(name))}
    fixture = {
        "status": {
            "version": "0.1.0",
            "llvm": {"version": version.group(1) if version else "19", "source": "PATH"},
            "model": {"state": "ready", "name": "fake-backend", "detail": "test fixture"},
        },
        "context": {
            "uri": uri,
            "fileName": "example.ll",
            "languageId": "llvm",
            "function": FUNCTION,
            "pipeline": PIPELINE,
            "pass": "instcombine",
        },
        "previewUpdated": {"uri": uri, "data": preview},
        "steps": {"uri": uri, **steps},
        "suggest": suggest,
        "cfg": cfg_answer(),
    }
    (HERE / "panel-state.json").write_text(json.dumps(fixture, indent=1) + "\n")


if __name__ == "__main__":
    main()
