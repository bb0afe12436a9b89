"""New pass manager pipeline strings: parsing, rendering, and cutting before a pass."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from lsp_server.syntax import leaves, parse_pipeline, pass_names, render, truncate

LLVM_TESTS = Path(__file__).parents[1] / "data" / "llvm-tests"
REAL_PIPELINES = sorted(
    {
        text
        for line in (LLVM_TESTS / "manifest.jsonl").read_text().splitlines()
        if line.strip()
        for entry in json.loads(line)["pipelines"]
        for text in entry.get("passes", [])
    }
)


@pytest.mark.parametrize("text", REAL_PIPELINES)
def test_real_pipelines_parse_and_render_back(text: str) -> None:
    nodes, error = parse_pipeline(text)
    assert error is None
    assert render(nodes) == text
    # Every leaf's offsets point at its own text.
    for leaf in leaves(nodes):
        assert text[leaf.start : leaf.end] == leaf.text
    # Cutting after the last pass gives the whole pipeline back.
    assert truncate(nodes, len(leaves(nodes)) - 1, inclusive=True) == text


def test_nested_pipeline_structure() -> None:
    text = "function(sroa<preserve-cfg>,instcombine),cgscc(inline),loop-mssa(licm)"
    nodes, error = parse_pipeline(text)
    assert error is None
    assert [(n.name, n.is_adaptor) for n in nodes] == [
        ("function", True),
        ("cgscc", True),
        ("loop-mssa", True),
    ]
    sroa = nodes[0].children[0]
    assert (sroa.name, sroa.params, sroa.children) == ("sroa", "preserve-cfg", ())
    assert text[sroa.start : sroa.end] == "sroa<preserve-cfg>"
    assert [leaf.name for leaf in leaves(nodes)] == ["sroa", "instcombine", "inline", "licm"]


@pytest.mark.parametrize(
    ("text", "names"),
    [
        ("default<O2>", ["default"]),
        ("module(function(loop(indvars)))", ["indvars"]),
        ("repeat<2>(licm,gvn)", ["licm", "gvn"]),
        ("cgscc(devirt<4>(inline,function(sroa)))", ["inline", "sroa"]),
        ("loop-unroll<O2;peeling>,print<memoryssa<walker>>", ["loop-unroll", "print"]),
        ("require<aa>,invalidate<all>", ["require", "invalidate"]),
    ],
)
def test_pass_names(text: str, names: list[str]) -> None:
    assert pass_names(text) == names
    nodes, error = parse_pipeline(text)
    assert error is None and render(nodes) == text


def test_adaptor_params_and_children_are_kept_apart() -> None:
    (node,), error = parse_pipeline("repeat<2>(licm)")
    assert error is None
    assert (node.name, node.params, node.start, node.end) == ("repeat", "2", 0, 9)
    assert [child.name for child in node.children] == ["licm"]


TRUNCATE_CASES = [
    # (pipeline, leaf index, inclusive, expected)
    ("function(sroa,instcombine)", 1, False, "function(sroa)"),
    ("function(sroa,instcombine)", 1, True, "function(sroa,instcombine)"),
    ("function(sroa,instcombine)", 0, False, ""),
    ("function(sroa,instcombine)", 0, True, "function(sroa)"),
    ("sroa,function(instcombine)", 1, False, "sroa"),
    (
        "cgscc(inline),function(sroa,loop-mssa(licm,indvars),gvn),verify",
        3,
        False,
        "cgscc(inline),function(sroa,loop-mssa(licm))",
    ),
    (
        "cgscc(inline),function(sroa,loop-mssa(licm,indvars),gvn),verify",
        4,
        True,
        "cgscc(inline),function(sroa,loop-mssa(licm,indvars),gvn)",
    ),
    ("module(function(loop(indvars)))", 0, False, ""),
    ("module(function(loop(indvars)))", 0, True, "module(function(loop(indvars)))"),
    ("repeat<2>(licm,gvn),dce", 1, True, "repeat<2>(licm,gvn)"),
    ("repeat<2>(licm,gvn),dce", 1, False, "repeat<2>(licm)"),
    ("sroa<modify-cfg>,gvn", 1, False, "sroa<modify-cfg>"),
    ("sroa,gvn", 9, False, "sroa,gvn"),
    ("sroa,gvn", -1, True, ""),
]


@pytest.mark.parametrize(("text", "index", "inclusive", "expected"), TRUNCATE_CASES)
def test_truncate(text: str, index: int, inclusive: bool, expected: str) -> None:
    nodes, error = parse_pipeline(text)
    assert error is None
    assert truncate(nodes, index, inclusive) == expected
    if expected:
        assert parse_pipeline(expected)[1] is None


@pytest.mark.parametrize(
    ("text", "message", "parsed"),
    [
        ("a,,b", "empty pass name", "a"),
        ("sroa,", "empty pass name", "sroa"),
        ("function()", "empty pass name", "function"),
        ("function(sroa", "unbalanced '('", "function(sroa)"),
        ("sroa)", "unbalanced ')'", "sroa"),
        ("sroa<preserve-cfg", "unbalanced '<'", "sroa<preserve-cfg>"),
        ("a>b", "expected ','", "a"),
        ("function(sroa)x", "expected ','", "function(sroa)"),
        ("(sroa)", "unexpected '('", ""),
        ("sroa, gvn", "whitespace", "sroa,gvn"),
        ("   ", "empty pipeline", ""),
    ],
)
def test_errors_keep_what_parsed(text: str, message: str, parsed: str) -> None:
    nodes, error = parse_pipeline(text)
    assert error is not None and message in error
    assert render(nodes) == parsed


def test_empty_pipeline_is_valid() -> None:
    # opt accepts -passes='' and runs nothing.
    assert parse_pipeline("") == ((), None)
    assert pass_names("") == []


def test_deep_nesting_is_refused_not_crashed() -> None:
    text = "function(" * 5000 + "sroa" + ")" * 5000
    nodes, error = parse_pipeline(text)
    assert error is not None and "nested" in error
    assert render(nodes).startswith("function(function(")
