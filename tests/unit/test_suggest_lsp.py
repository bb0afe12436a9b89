"""Suggest passes as LSP values: which code actions are listed, and what their edits do."""

from __future__ import annotations

import pytest
from lsprotocol import types

from lsp_server.features import suggest as feature
from lsp_server.features.arguments import ArgumentError
from lsp_server.search.engine import Offer, Suggestion
from lsp_server.search.select import Choice, Outcome
from lsp_server.search.splice import apply_splice, splice_function
from lsp_server.search.verify import Edited
from tests.support.data import EXAMPLES
from tests.support.lsp_session import apply_edits
from tests.support.splice_example import DOCUMENT, OPTIMISED

EXAMPLE = (EXAMPLES / "example.ll").read_text()
URI = "file:///tmp/example.ll"


def at_line(text: str, needle: str) -> types.Range:
    line = next(i for i, x in enumerate(text.split("\n")) if needle in x)
    position = types.Position(line=line + 1, character=2)
    return types.Range(start=position, end=position)


def function_result(document: str, optimised: str, name: str) -> Suggestion:
    splice = splice_function(document, optimised, name)
    edited = Edited(
        apply_splice(document, splice),
        splice.first_line,
        splice.last_line,
        splice.text,
        splice.appended,
    )
    result = Suggestion(name, "x86_64-unknown-linux-gnu")
    result.choice = Choice(Outcome.IMPROVED, "function(sroa)", 198, 212, 9, "search")
    result.offer = Offer("function(sroa)", 198, 212, True, edited, "passed", "19.1.7")
    return result


def test_without_a_result_listing_offers_lazy_searches_for_the_function_and_the_module() -> None:
    actions = feature.code_actions(
        EXAMPLE,
        URI,
        at_line(EXAMPLE, "define dso_local i32 @crc32"),
        cached={},
        resolve_support=True,
    )
    assert [(a.title, a.kind) for a in actions] == [
        ("Find a pass list that makes @crc32 smaller than -Oz", feature.FUNCTION_KIND),
        ("Find a pass list that makes the module smaller than -Oz", feature.MODULE_KIND),
    ]
    assert all(a.edit is None and a.command is None for a in actions)
    data = feature.ActionData.from_json(actions[0].data)
    assert data == feature.ActionData(URI, "crc32", feature.SEARCH, feature.text_key(EXAMPLE))


def test_only_the_kinds_asked_for_and_nothing_outside_functions_but_the_module() -> None:
    outside = types.Range(
        start=types.Position(line=0, character=0), end=types.Position(line=0, character=0)
    )
    found = feature.code_actions(EXAMPLE, URI, outside, cached={}, resolve_support=True)
    assert [a.kind for a in found] == [feature.MODULE_KIND]
    only_source = feature.code_actions(
        EXAMPLE, URI, at_line(EXAMPLE, "@crc32("), cached={}, resolve_support=True, only=["source"]
    )
    assert [a.kind for a in only_source] == [feature.MODULE_KIND]
    assert (
        feature.code_actions("; nothing here\n", URI, outside, cached={}, resolve_support=True)
        == []
    )


def test_clients_without_resolve_get_the_search_as_a_command() -> None:
    [action, _] = feature.code_actions(
        EXAMPLE, URI, at_line(EXAMPLE, "@crc32("), cached={}, resolve_support=False
    )
    assert action.command is not None and action.command.command == feature.COMMAND
    assert action.command.arguments == [{"uri": URI, "function": "crc32", "apply": True}]


def test_with_a_result_the_offer_itself_is_listed_with_its_numbers() -> None:
    result = function_result(DOCUMENT, OPTIMISED, "f")
    actions = feature.code_actions(
        DOCUMENT,
        URI,
        at_line(DOCUMENT, "define internal"),
        cached={"f": result},
        resolve_support=True,
    )
    titles = [a.title for a in actions]
    assert titles[0] == (
        "Optimize @f for size: `function(sroa)`: 212 \u2192 198 bytes (\u22126.6% vs -Oz), "
        "verified with LLVM 19.1.7"
    )
    assert titles[1] == "Insert the pass list for @f as a comment"


def test_the_function_edit_gives_exactly_the_checked_document() -> None:
    result = function_result(DOCUMENT, OPTIMISED, "f")
    edits = feature.offer_edits(DOCUMENT, result, "utf-16")
    assert apply_edits(DOCUMENT, edits) == result.offer.edit.document


def test_the_function_edit_when_the_function_ends_the_file() -> None:
    document = DOCUMENT.split("\nattributes")[0].replace("define i32 @g", "define i32 @h")
    document += '\nattributes #0 = { nounwind }\n!3 = !{!4, !4, i64 0}\n!4 = !{!"int", !8, i64 0}\n'
    document += '!5 = distinct !{!5, !6}\n!6 = !{!"llvm.loop.mustprogress"}\n!8 = !{!"Simple C/C++ TBAA"}\n!9 = !{}\n'
    document += "define i32 @last(ptr %p) {\n  %v = call i32 @f(ptr %p)\n  ret i32 %v\n}"
    last = OPTIMISED.replace("@f(", "@last(").replace("define hidden i32 @last", "define i32 @last")
    result = function_result(document, last, "last")
    edits = feature.offer_edits(document, result, "utf-16")
    assert len(edits) == 1
    assert apply_edits(document, edits) == result.offer.edit.document


def test_the_module_edit_replaces_everything() -> None:
    result = Suggestion(None, "x86_64-unknown-linux-gnu")
    new = "; RUN: keep me\ndefine void @f() {\n  ret void\n}\n"
    result.offer = Offer("default<Oz>", 10, 10, False, Edited(new, 0, 3, new, ""), "skipped", "19")
    edits = feature.offer_edits(EXAMPLE, result, "utf-16")
    assert apply_edits(EXAMPLE, edits) == new


@pytest.mark.parametrize(
    ("run_line", "expected"),
    [
        (False, "; irlens: passes=function(sroa)"),
        (True, "; RUN: opt -passes='function(sroa)' -S %s"),
    ],
)
def test_the_pass_list_goes_above_the_function(run_line, expected) -> None:
    edit = feature.comment_edit(EXAMPLE, "crc32", "function(sroa)", run_line=run_line)
    edited = apply_edits(EXAMPLE, [edit]).split("\n")
    index = edited.index(expected)
    assert edited[index + 1] == "; Function Attrs: minsize nounwind optsize uwtable"
    assert edited[index + 2].startswith("define dso_local i32 @crc32(")


def test_foreign_code_action_data_is_not_ours() -> None:
    assert feature.ActionData.from_json({"tag": "lift", "uri": URI}) is None
    assert feature.ActionData.from_json(None) is None
    assert (
        feature.ActionData.from_json({"tag": feature.DATA_TAG, "uri": URI, "action": "rm -rf"})
        is None
    )


def test_the_offer_edit_is_versioned_when_the_client_can_take_it() -> None:
    edits = [types.TextEdit(range=at_line(EXAMPLE, "@crc32("), new_text="x")]
    versioned = feature.workspace_edit(URI, 7, edits, document_changes=True)
    assert versioned.document_changes[0].text_document.version == 7
    plain = feature.workspace_edit(URI, 7, edits, document_changes=False)
    assert plain.changes == {URI: edits}


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        ([URI], feature.SuggestRequest(URI)),
        ([URI, "crc32"], feature.SuggestRequest(URI, "crc32")),
        (
            [{"uri": URI, "function": "crc32", "budgetSeconds": 2, "apply": True}],
            feature.SuggestRequest(URI, "crc32", 2, True),
        ),
        ([], "takes"),
        ([42], "takes"),
        ([URI, 7], "takes"),
        ([{"uri": URI, "budgetSeconds": "soon"}], "must be a number"),
        ([{"uri": URI, "budgetSeconds": -1}], "between 0 and 3600"),
        ([{"uri": URI, "function": 3}], "must be a string"),
    ],
)
def test_command_arguments(args, expected) -> None:
    if isinstance(expected, str):
        with pytest.raises(ArgumentError, match=expected):
            feature.parse_arguments(args)
    else:
        assert feature.parse_arguments(args) == expected
