"""The test support's LLVM oracles answer as LLVM does, and can say no.

Other tests trust these helpers to judge the feature code (``llvm_as_accepts`` for "the edit is
valid IR", ``filecheck`` for LLVM's own RUN-line checks), so each must be able to fail.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

from lsp_server.llvm.toolchain import Toolchain
from tests.support.llvm import llvm_as_accepts, opt_output

VALID = "define i32 @f(i32 %x) {\n  %y = add i32 %x, 0\n  ret i32 %y\n}\n"


def test_llvm_as_accepts_a_module_and_rejects_broken_and_unverifiable_ones(
    toolchain: Toolchain,
) -> None:
    assert llvm_as_accepts(toolchain, VALID)
    assert not llvm_as_accepts(toolchain, "define i32 @f( {\n")
    # Parses, but the verifier rejects it: the value is used before it is defined.
    assert not llvm_as_accepts(
        toolchain,
        "define i32 @f() {\n  %a = add i32 %b, 1\n  %b = add i32 %a, 1\n  ret i32 %a\n}\n",
    )


def test_opt_output_runs_the_passes(toolchain: Toolchain) -> None:
    assert "add i32" in opt_output(toolchain, VALID)
    assert "add i32" not in opt_output(toolchain, VALID, "instcombine")


def test_filecheck_is_the_toolchains_llvm_and_checks(
    toolchain: Toolchain, filecheck: str, tmp_path: Path
) -> None:
    version = subprocess.run(
        [filecheck, "--version"], capture_output=True, text=True, check=True
    ).stdout
    found = re.search(r"LLVM version (\d+\.\d+\.\d+)", version)
    assert found is not None, version
    assert found.group(1) == toolchain.version_text

    def passes(check: str, output: str) -> bool:
        checks = tmp_path / "checks.ll"
        checks.write_text(f"; {check}\n")
        run = subprocess.run(
            [filecheck, str(checks)], input=output, capture_output=True, text=True, check=False
        )
        return run.returncode == 0

    output = opt_output(toolchain, VALID, "instcombine")
    assert passes("CHECK: ret i32 %x", output)
    assert not passes("CHECK: ret i64", output)
