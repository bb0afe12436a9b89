"""The hover's exact command: pasted into a shell, it prints the module the preview calls
"after" (issue 13, "The exact command")."""

from __future__ import annotations

import subprocess

from lsp_server.config import Settings
from lsp_server.preview.engine import PreviewState, hover_preview
from lsp_server.services import Services
from tests.support.data import DATA, EXAMPLES


def _body(module: str) -> str:
    return "\n".join(
        line
        for line in module.strip("\n").splitlines()
        if not line.startswith(("; ModuleID = ", "source_filename = "))
    )


def _shell(command: str) -> str:
    return subprocess.run(
        ["bash", "-o", "pipefail", "-c", command], capture_output=True, text=True, check=True
    ).stdout


async def _hover(services, path, line: int, column: int):
    text = path.read_text()
    state = PreviewState()
    found = await hover_preview(text, line, column, services, state, document=path.as_uri())
    assert found is not None and found.data["error"] is None
    truth = await state.truth(path.as_uri(), text, _target(state), services)
    return found, truth


def _target(state):
    return next(key[2] for key in state.memo._items if key and key[0] == "truth")


async def test_the_command_of_a_run_line_prints_the_after_module(toolchain) -> None:
    services = Services(settings=Settings(), toolchain=toolchain)
    path = DATA / "run-lines" / "value-options.ll"
    text = path.read_text()
    line = next(i for i, t in enumerate(text.splitlines()) if "-passes=" in t)
    column = text.splitlines()[line].index("speculative") + 3
    found, truth = await _hover(services, path, line, column)
    command = found.data["command"]
    assert command.endswith(f" < {path}")
    assert "-spec-exec-max-speculation-cost 4 -spec-exec-max-not-hoisted 3" in command
    assert f"```sh\n{command}\n```" in found.markdown
    assert _body(_shell(command)) == _body(truth.after.ir)


async def test_the_command_of_a_define_line_extracts_the_function(toolchain) -> None:
    services = Services(settings=Settings(), toolchain=toolchain)
    path = EXAMPLES / "example.ll"
    text = path.read_text()
    line = next(
        i for i, t in enumerate(text.splitlines()) if t.startswith("define") and "@clamp" in t
    )
    found, truth = await _hover(services, path, line, text.splitlines()[line].index("@clamp") + 2)
    command = found.data["command"]
    assert "--func=clamp" in command and " | " in command and "'-passes=default<Oz>'" in command
    assert _body(_shell(command)) == _body(truth.after.ir)
