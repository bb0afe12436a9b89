"""What issue 13 changed where the user sees it, through a real LSP client: a RUN line whose
options take their value as the next word previews (defect 2), with the pass's remarks, the
exact command and the named size measures; pipelineSteps steps carry their remarks."""

from __future__ import annotations

from lsprotocol import types

from tests.support.data import DATA, LLVM_TESTS
from tests.support.lsp_session import open_document

PATH = DATA / "run-lines" / "value-options.ll"
TEXT = PATH.read_text()
LINES = TEXT.splitlines()
RUN = next(i for i, line in enumerate(LINES) if "-passes=speculative-execution" in line)


async def test_a_value_option_run_line_previews_with_remarks_and_its_command(client) -> None:
    uri = PATH.as_uri()
    open_document(client, uri, TEXT)
    position = types.Position(line=RUN, character=LINES[RUN].index("speculative") + 3)
    hover = await client.text_document_hover_async(
        types.HoverParams(text_document=types.TextDocumentIdentifier(uri=uri), position=position)
    )
    assert hover is not None and isinstance(hover.contents, types.MarkupContent)
    text = hover.contents.value
    assert "Cannot preview" not in text
    assert "```diff" in text and "+  %x = add i32 %a, %b" in text
    assert (
        "_binary size: text+data of the object from `llc -filetype=obj` at its default -O2_" in text
    )
    assert "**Remarks**" in text
    assert "-spec-exec-max-speculation-cost 4 -spec-exec-max-not-hoisted 3 < " in text
    assert "```sh\n" in text


async def test_steps_of_the_second_run_line_carry_remark_counts(client) -> None:
    uri = PATH.as_uri()
    open_document(client, uri, TEXT)
    result = await client.protocol.send_request_async(
        "irlens/pipelineSteps", {"textDocument": {"uri": uri}, "runLine": 1}
    )
    assert result.error is None
    assert result.optArgs == ["-spec-exec-max-speculation-cost", "0"]
    assert all(hasattr(step, "remarksCount") for step in result.steps)
    # With a cost of 0 nothing is hoisted: the add stays after the branch.
    assert result.final.index("br i1 %c") < result.final.index("%x = add i32 %a, %b")


INLINER = """\
define internal i32 @foo() {
  ret i32 1
}

define i32 @bar() {
  %r = call i32 @foo()
  ret i32 %r
}
"""


def _pass(step: object) -> str:
    """A step's ``pass``: pygls reads results into namedtuples, which rename that keyword to
    its field's position."""
    fields = step._asdict()  # type: ignore[attr-defined]
    return str(fields["_1"])


async def test_steps_end_in_what_opt_prints_when_the_inliner_erases_a_function(client) -> None:
    """Defect 4: the inliner's dumps keep the dead @foo as ``unreachable``; opt -S has no @foo.
    The last step carries opt's module, named after the adaptor that erased @foo."""
    uri = "file:///tmp/irlens-inliner-steps.ll"
    open_document(client, uri, INLINER)
    result = await client.protocol.send_request_async(
        "irlens/pipelineSteps", {"textDocument": {"uri": uri}, "pipeline": "inline"}
    )
    assert result.error is None
    assert "@foo" not in result.final
    last = result.steps[-1]
    assert last.unreported is True and last.ir == result.final
    assert _pass(last) == "ModuleToPostOrderCGSCCPassAdaptor"
    assert [_pass(step) for step in result.steps[:-1]] == ["InlinerPass", "InlinerPass"]
    assert any("unreachable" in (step.ir or "") for step in result.steps[:-1])


async def test_a_run_line_that_prints_remarks_has_them_in_the_messages(client) -> None:
    """A RUN line whose checks read opt's stderr (``-pass-remarks=inline ... 2>&1``): the
    steps' ``messages`` and the hover hold what that opt writes there, with the line's own
    remark filters (only the inliner's) and hotness option."""
    path = LLVM_TESTS / "Inline" / "optimization-remarks.ll"
    text = path.read_text()
    uri = path.as_uri()
    open_document(client, uri, text)
    result = await client.protocol.send_request_async(
        "irlens/pipelineSteps", {"textDocument": {"uri": uri}, "runLine": 1}
    )
    assert result.error is None
    assert "-pass-remarks-with-hotness" in result.optArgs
    assert "'foo' inlined into 'bar' with (cost=always)" in result.messages
    # The RUN line's HOTNESS check: with hotness, the missed remark on fox is printed too.
    assert "fox will not be inlined into bar" in result.messages
    assert "remark:" not in result.final
