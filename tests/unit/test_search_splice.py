"""Putting an optimised function back into its document: numbering, declarations, linkage."""

from __future__ import annotations

import pytest

from lsp_server.search.splice import SpliceError, apply_splice, splice_function
from tests.support.splice_example import DOCUMENT, OPTIMISED


def test_the_function_is_replaced_with_its_references_mapped_onto_the_document() -> None:
    splice = splice_function(DOCUMENT, OPTIMISED, "f")
    assert splice.first_line == 3  # the "; Function Attrs:" comment goes with the function
    assert splice.last_line == 9
    lines = splice.text.split("\n")
    assert lines[0] == "; Function Attrs: nounwind memory(read)"
    # The original linkage comes back; the attribute group is new, so it gets a new number.
    assert lines[1] == "define internal i32 @f(ptr %p) #2 {"
    # The TBAA tag has the same content as the document's !3, so it reuses !3.
    assert "!tbaa !3" in lines[2]
    # A loop id is distinct and self-referencing: always a fresh node, never shared.
    assert "!llvm.loop !10" in splice.text
    assert splice.appended.split("\n") == [
        "declare i32 @llvm.smax.i32(i32, i32) #3",
        "attributes #2 = { nounwind memory(read) }",
        "attributes #3 = { nocallback nofree nosync nounwind speculatable willreturn memory(none) }",
        "!10 = distinct !{!10, !6}",
    ]


def test_applying_the_splice_leaves_everything_else_alone() -> None:
    splice = splice_function(DOCUMENT, OPTIMISED, "f")
    edited = apply_splice(DOCUMENT, splice)
    assert edited.startswith("; a comment the edit keeps\n@table = private constant")
    assert "define i32 @g(ptr %p) #1 {" in edited
    assert "define hidden" not in edited
    assert edited.endswith("!10 = distinct !{!10, !6}\n")
    assert edited.count("define internal i32 @f") == 1


def test_crlf_documents_stay_crlf() -> None:
    crlf = DOCUMENT.replace("\n", "\r\n")
    edited = apply_splice(crlf, splice_function(crlf, OPTIMISED, "f"))
    assert "\n" not in edited.replace("\r\n", "")


def test_a_pipeline_that_removed_the_function_cannot_be_spliced() -> None:
    gone = OPTIMISED.replace("define hidden i32 @f", "define hidden i32 @other")
    with pytest.raises(SpliceError, match="removed @f"):
        splice_function(DOCUMENT, gone, "f")


def test_a_new_definition_that_clashes_with_the_document_is_refused() -> None:
    clash = OPTIMISED.replace(
        "@table = external hidden constant [2 x i32]",
        "@table = private constant [2 x i32] [i32 9, i32 9]",
    ).replace("ret i32 %m", "%t = load i32, ptr @table\n  ret i32 %t")
    with pytest.raises(SpliceError, match="@table"):
        splice_function(DOCUMENT, clash, "f")


def test_unknown_function_in_the_document() -> None:
    with pytest.raises(SpliceError, match="not defined in the document"):
        splice_function(DOCUMENT, OPTIMISED, "nope")
