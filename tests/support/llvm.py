"""Small checks with the real LLVM tools of the ``toolchain`` fixture (never a versioned name)."""

from __future__ import annotations

import subprocess

from lsp_server.llvm.toolchain import Toolchain


def llvm_as_accepts(toolchain: Toolchain, text: str) -> bool:
    """Whether the toolchain's ``llvm-as`` parses and verifies ``text`` as a module."""
    result = subprocess.run(
        [toolchain.path("llvm-as"), "-o", "/dev/null", "-"],
        input=text,
        capture_output=True,
        text=True,
        check=False,
    )
    return result.returncode == 0


def opt_output(toolchain: Toolchain, ir: str, passes: str = "") -> str:
    """What the toolchain's ``opt -S`` prints for ``ir`` (after ``passes``, when given)."""
    argv = [toolchain.path("opt"), "-S", "-o", "-"] + ([f"-passes={passes}"] if passes else [])
    return subprocess.run(argv, input=ir, capture_output=True, text=True, check=True).stdout
