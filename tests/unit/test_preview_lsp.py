"""The preview as LSP values: the hover, ``irlens/previewUpdated``'s payload and
``irlens/pipelineSteps``' request and answer."""

from __future__ import annotations

import pytest
from lsprotocol import types
from pytest_lsp import client_capabilities

from lsp_server.features import hover as feature
from lsp_server.features.arguments import ArgumentError
from lsp_server.features.positions import Lines
from lsp_server.preview.engine import HoverPreview, PreviewUpdate
from lsp_server.preview.steps import Step, Steps
from lsp_server.syntax.span import line_span

# A non-ASCII comment before the pass, so UTF-16 and UTF-8 columns differ from str indices.
TEXT = "; RUN: opt -passes='function(sroa,instcombine)' %s ; é😀\n; 😀 instcombine\n"
PASS = line_span(1, 4, 15)  # "instcombine" after "; 😀 " (str indices)


@pytest.mark.parametrize("client", ["visual-studio-code", "neovim"])
def test_recorded_clients_get_markdown(client: str) -> None:
    assert feature.markup_kind(client_capabilities(client)) == types.MarkupKind.Markdown


def test_plain_text_for_a_client_without_markdown() -> None:
    plain_only = types.ClientCapabilities(
        text_document=types.TextDocumentClientCapabilities(
            hover=types.HoverClientCapabilities(content_format=[types.MarkupKind.PlainText])
        )
    )
    assert feature.markup_kind(plain_only) == types.MarkupKind.PlainText
    assert feature.markup_kind(types.ClientCapabilities()) == types.MarkupKind.Markdown
    assert feature.markup_kind(None) == types.MarkupKind.Markdown


def test_the_hover_covers_the_span_in_the_negotiated_encoding() -> None:
    found = HoverPreview("**instcombine**", PASS, {})
    for encoding, start, end in [("utf-16", 5, 16), ("utf-8", 7, 18), ("utf-32", 4, 15)]:
        hover = feature.hover(found, Lines(TEXT, encoding), types.MarkupKind.Markdown)
        assert hover.contents == types.MarkupContent(
            kind=types.MarkupKind.Markdown, value="**instcombine**"
        )
        assert hover.range == types.Range(
            start=types.Position(line=1, character=start),
            end=types.Position(line=1, character=end),
        )


def test_the_update_payload_has_the_documented_fields() -> None:
    update = PreviewUpdate(
        "file:///t.ll", PASS, "crc32", "instcombine", "now with the verdict", {"kind": "pass"}
    )
    payload = feature.update_payload("file:///t.ll", Lines(TEXT, "utf-16"), update)
    assert payload == {
        "uri": "file:///t.ll",
        "position": {"line": 1, "character": 5},
        "range": {"start": {"line": 1, "character": 5}, "end": {"line": 1, "character": 16}},
        "function": "crc32",
        "pass": "instcombine",
        "markdown": "now with the verdict",
        "data": {"kind": "pass"},
    }


def test_steps_requests_in_every_documented_form() -> None:
    uri = "file:///t.ll"
    assert feature.parse_steps_request({"textDocument": {"uri": uri}}) == feature.StepsRequest(uri)
    assert feature.parse_steps_request({"uri": uri}) == feature.StepsRequest(uri)
    full = feature.parse_steps_request(
        {
            "textDocument": {"uri": uri},
            "position": {"line": 1, "character": 4},
            "function": "crc32",
            "pipeline": "function(sroa)",
        }
    )
    assert full == feature.StepsRequest(
        uri, types.Position(line=1, character=4), "function(sroa)", "crc32"
    )
    # The position is read in the negotiated encoding: UTF-16 column 4 is str index 3.
    assert full.cursor(TEXT, "utf-16") == (1, 3)
    assert full.cursor(TEXT, "utf-32") == (1, 4)
    assert feature.StepsRequest(uri).cursor(TEXT, "utf-16") is None


@pytest.mark.parametrize(
    ("params", "field"),
    [
        (None, "needs a document uri"),
        ({}, "needs a document uri"),
        ([1, 2], "params must be an object"),
        ({"textDocument": {"uri": 3}}, "needs a document uri"),
        ({"uri": "file:///t.ll", "position": {"line": "2", "character": 0}}, "position.line"),
        ({"uri": "file:///t.ll", "pipeline": 7}, "pipeline must be a string"),
        ({"uri": "file:///t.ll", "function": ["f"]}, "function must be a string"),
    ],
)
def test_unusable_steps_requests_name_the_field(params: object, field: str) -> None:
    with pytest.raises(ArgumentError, match=f"^irlens/pipelineSteps.*{field}"):
        feature.parse_steps_request(params)


def test_steps_answers() -> None:
    steps = Steps(
        "function(sroa)",
        "crc32",
        "19.1.7",
        "define ...",
        (Step(0, "SROAPass", "crc32", True, "x"),),
    )
    payload = feature.steps_payload("file:///t.ll", steps)
    assert payload["uri"] == "file:///t.ll"
    assert {k: v for k, v in payload.items() if k != "uri"} == steps.to_json()
    assert feature.steps_failure("p", None, "opt is missing") == {
        "pipeline": "p",
        "function": None,
        "steps": [],
        "error": "opt is missing",
    }
