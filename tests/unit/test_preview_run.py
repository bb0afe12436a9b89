"""How opt's failures are told apart, and when stderr holds nothing but the "before"."""

from __future__ import annotations

from lsp_server.llvm.runner import ToolResult
from lsp_server.llvm.warm import response_file
from lsp_server.preview.run import Memo, _classify, _only_module


def _result(err: str, returncode: int | None = 1, timed_out: bool = False) -> ToolResult:
    return ToolResult(("/usr/bin/opt-19", "-S"), returncode, b"", err.encode(), timed_out)


def test_parse_errors_give_the_line_column_and_source() -> None:
    failure = _classify(
        _result("opt-19: <stdin>:3:3: error: expected instruction opcode\n  bogus %y\n  ^\n")
    )
    assert failure.kind == "parse"
    assert failure.line == 3
    assert failure.message == "line 3, column 3: expected instruction opcode: `bogus %y`"


def test_pipeline_option_timeout_and_crash_failures() -> None:
    assert _classify(_result("opt-19: unknown function pass 'instcombin'\n")).kind == "pipeline"
    assert _classify(_result("opt-19: Unknown command line argument '-foo'.\n")).kind == "options"
    timeout = _classify(_result("", returncode=-9, timed_out=True))
    assert timeout.kind == "timeout" and "timed out" in timeout.message
    segv = _classify(_result("Stack dump:\n0. Program arguments: opt\n", returncode=-11))
    assert segv.kind == "crash" and "SIGSEGV" in segv.message
    fatal = _classify(_result("LLVM ERROR: LICM requires MemorySSA (loop-mssa)\n"))
    assert fatal.kind == "crash" and "LICM requires MemorySSA" in fatal.message


def test_stderr_holding_only_a_module() -> None:
    module = (
        "; ModuleID = '<stdin>'\nsource_filename = \"t\"\n\ndefine void @f() {\n  ret void\n}\n"
    )
    assert _only_module(module)
    assert _only_module(module + "\nattributes #0 = { nounwind }\n\n!0 = !{}\n")
    assert not _only_module("warning: x\n" + module)
    assert not _only_module(module + "remark: something happened\n")


def test_memo_forgets_the_oldest() -> None:
    memo = Memo(capacity=2)
    memo.put("a", 1)
    memo.put("b", 2)
    assert memo.get("a") == 1  # now the most recent
    memo.put("c", 3)
    assert memo.get("b") is None and memo.get("a") == 1 and memo.get("c") == 3
    assert len(memo) == 2


def test_response_file_escapes_what_llvm_would_split_or_unquote() -> None:
    assert response_file(["-S", "-passes=a b", "x\\y", "it's", '"q"']) == (
        b'-S\n-passes=a\\ b\nx\\\\y\nit\\\'s\n\\"q\\"\n'
    )


def test_memo_holds_a_bounded_weight() -> None:
    memo = Memo(capacity=100, max_weight=40_000)
    for name in "abcde":
        memo.put(name, name * 9_000, 9_000)  # with the overhead, five weigh over 40,000
    assert memo.get("a") is None and all(memo.get(name) for name in "bcde")
    assert memo.weight <= memo.max_weight
    # Heavier than a quarter of the budget, it is not kept, and pushes nothing out.
    memo.put("huge", "w" * 50_000, 50_000)
    assert memo.get("huge") is None and len(memo) == 4
