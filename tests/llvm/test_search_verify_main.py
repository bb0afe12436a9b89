"""The differential check runs whole programs whose ``main`` takes ``(argc, argv)``, with no
arguments (argc 1), as csmith-style programs are written (issue 13, defect 5)."""

from __future__ import annotations

import subprocess

import pytest

from lsp_server.search.verify import differential_check, has_runnable_main

TRIPLE = "x86_64-unknown-linux-gnu"
PROGRAM = r"""
#include <stdio.h>
static int checksum(int n) { int s = 0; for (int i = 0; i < 10 * n; i++) s += i * 7; return s; }
int main(int argc, char **argv) {
  printf("checksum = %d, argc = %d\n", checksum(argc), argc);
  return argc == 1 ? 0 : 3;
}
"""


@pytest.fixture(scope="module")
def argv_program(toolchain) -> str:
    result = subprocess.run(
        [
            toolchain.path("clang"),
            f"--target={TRIPLE}",
            "-O0",
            "-S",
            "-emit-llvm",
            "-x",
            "c",
            "-",
            "-o",
            "-",
        ],
        input=PROGRAM,
        capture_output=True,
        text=True,
        check=True,
    )
    return result.stdout


@pytest.mark.parametrize(
    "header",
    [
        "define dso_local i32 @main(i32 noundef %0, ptr noundef %1) #0 {",
        "define i32 @main(i32 %argc, i8** %argv) {",
        "define i32 @main() {",
    ],
)
def test_main_with_argc_and_argv_is_runnable(header: str) -> None:
    assert has_runnable_main(f"{header}\n  ret i32 0\n}}\n")


async def test_an_argc_argv_program_is_run_with_argc_1(toolchain, argv_program: str) -> None:
    assert "@main(i32 noundef %0, ptr noundef %1)" in argv_program
    same = await differential_check(toolchain, argv_program, argv_program, TRIPLE)
    assert same == "passed (same output, exit code 0)"
    # The printed checksum of argc 1 is 315; an edit that changes it is caught.
    broken = argv_program.replace("mul nsw i32 %", "add nsw i32 %", 1)
    assert broken != argv_program
    caught = await differential_check(toolchain, argv_program, broken, TRIPLE)
    assert caught.startswith("failed: "), caught
