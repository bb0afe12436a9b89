"""``irlens/status``: the LLVM in use and the model backend's state."""

from __future__ import annotations

from lsp_server import __version__
from lsp_server.config import Settings
from lsp_server.features.status import status_payload
from lsp_server.llvm.toolchain import Tool, Toolchain
from lsp_server.services import Services


def test_without_llvm_or_a_model() -> None:
    payload = status_payload(Services(Settings(), Toolchain()))
    assert payload == {
        "version": __version__,
        "llvm": {"version": None, "source": "not found", "tools": {}},
        "model": {"state": "unconfigured", "name": None, "detail": "LLVM-only mode"},
    }


def test_the_tools_found_with_their_paths_and_version() -> None:
    tools = {
        "opt": Tool("opt", "/usr/bin/opt-19", (19, 1, 7)),
        "llc": Tool("llc", "/usr/bin/llc-19", (19, 1, 7)),
    }
    llvm = status_payload(Services(Settings(), Toolchain(tools, "PATH")))["llvm"]
    assert llvm == {
        "version": "19.1.7",
        "source": "PATH",
        "tools": {"opt": "/usr/bin/opt-19", "llc": "/usr/bin/llc-19"},
    }
