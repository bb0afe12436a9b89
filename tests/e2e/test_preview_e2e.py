"""The preview through a real LSP client (VS Code and Neovim capabilities): hover on a pass
and on a define line, errors, ``irlens/pipelineSteps``, and, with a FAKE model backend,
``irlens/previewUpdated`` carrying an exact match and a reported difference."""

from __future__ import annotations

import pytest
import pytest_lsp
from lsprotocol import types
from pytest_lsp import ClientServerConfig, LanguageClient

from lsp_server.llvm.toolchain import Toolchain
from tests.support.data import EXAMPLES
from tests.support.llvm import opt_output
from tests.support.lsp_session import CLIENTS, SERVER, initialize_params, open_document
from tests.support.openai_fake import FakeOpenAIServer, scripted_responder

EXAMPLE = (EXAMPLES / "example.ll").read_text()
LINES = EXAMPLE.splitlines()
RUN = next(i for i, line in enumerate(LINES) if "RUN:" in line)


def _pass(name: str) -> types.Position:
    return types.Position(line=RUN, character=LINES[RUN].index(name) + 1)


async def _hover(client: LanguageClient, uri: str, position: types.Position) -> types.Hover | None:
    return await client.text_document_hover_async(
        types.HoverParams(text_document=types.TextDocumentIdentifier(uri=uri), position=position)
    )


def _markdown(hover: types.Hover | None) -> str:
    assert hover is not None
    assert isinstance(hover.contents, types.MarkupContent)
    assert hover.contents.kind == types.MarkupKind.Markdown
    return hover.contents.value


async def test_hover_on_a_pass_shows_its_diff_counts_and_sizes(client) -> None:
    uri = EXAMPLES.joinpath("example.ll").as_uri()
    open_document(client, uri, EXAMPLE)
    position = _pass("instcombine")
    hover = await _hover(client, uri, position)
    text = _markdown(hover)
    assert text.startswith("**instcombine** · pass 3 of 4")
    assert "| binary size (text+data) |" in text and "```diff" in text
    assert hover is not None and hover.range is not None
    start = LINES[RUN].index("instcombine")
    assert hover.range.start == types.Position(line=RUN, character=start)
    assert hover.range.end == types.Position(line=RUN, character=start + len("instcombine"))


async def test_hover_on_a_define_line_and_on_nothing(client) -> None:
    uri = "file:///tmp/irlens-test/hover-define.ll"
    open_document(client, uri, EXAMPLE)
    line = next(i for i, t in enumerate(LINES) if t.startswith("define") and "@scale_samples" in t)
    text = _markdown(await _hover(client, uri, types.Position(line=line, character=25)))
    assert text.startswith("**default<Oz>** · `@scale_samples`")
    body = next(i for i, t in enumerate(LINES) if "alloca" in t)
    # Off a pass and a define line the index's hover answers: on a value, its type...
    value = _markdown(await _hover(client, uri, types.Position(line=body, character=3)))
    assert value.startswith("**value**")
    # ...and on the blanks before it, nothing.
    assert await _hover(client, uri, types.Position(line=body, character=0)) is None


async def test_hover_explains_what_it_cannot_preview(client) -> None:
    uri = "file:///tmp/irlens-test/hover-broken.ll"
    broken = EXAMPLE.replace("early-cse", "early-csx").replace("ret i32 %", "retrn i32 %", 1)
    open_document(client, uri, broken)
    # "early-csx" is as long as "early-cse", so the pass sits where it did.
    text = _markdown(await _hover(client, uri, _pass("early-cse")))
    assert "**Cannot preview**: the IR does not parse" in text
    open_document(
        client,
        "file:///tmp/irlens-test/hover-unknown.ll",
        EXAMPLE.replace("early-cse", "early-csx"),
    )
    text = _markdown(
        await _hover(client, "file:///tmp/irlens-test/hover-unknown.ll", _pass("early-cse"))
    )
    assert "unknown pass 'early-csx' (did you mean early-cse" in text


async def test_pipeline_steps_request(client) -> None:
    uri = "file:///tmp/irlens-test/steps.ll"
    open_document(client, uri, EXAMPLE)
    result = await client.protocol.send_request_async(
        "irlens/pipelineSteps",
        {"textDocument": {"uri": uri}, "function": "crc32"},
    )
    assert result.pipeline == "function(sroa,early-cse,instcombine,simplifycfg)"
    assert result.function == "crc32" and result.error is None
    assert [(s.on, s.changed) for s in result.steps] == [
        ("crc32", True),
        ("crc32", False),
        ("crc32", True),
        ("crc32", True),
    ]
    assert result.steps[0].ir.startswith("define dso_local i32 @crc32(")
    assert result.steps[1].ir is None
    assert result.final == result.steps[3].ir


# -- with a FAKE model backend --------------------------------------------------------------


def _answer(ir: str) -> str:
    return (
        f"The LLVM-IR will have instruction count 1 and binary sise 1 bytes:\n\n<code>{ir}</code>"
    )


@pytest.fixture(scope="module")
def answers(toolchain: Toolchain) -> dict[str, str]:
    """An exact answer for sroa (opt's own output) and a wrong one for early-cse."""
    sroa = opt_output(toolchain, opt_output(toolchain, EXAMPLE), "sroa")
    early_cse = opt_output(toolchain, opt_output(toolchain, EXAMPLE, "function(sroa)"), "early-cse")
    wrong = early_cse.replace("define dso_local i32 @main()", "define dso_local i32 @main() #9", 1)
    assert wrong != early_cse
    return {"opt -p 'sroa'": _answer(sroa), "opt -p 'early-cse'": _answer(wrong)}


@pytest.fixture
def fake_model(answers):
    with FakeOpenAIServer(scripted_responder(answers)) as fake:
        # Far longer than the 50 ms hover budget: every prediction arrives afterwards.
        fake.delay_seconds = 1.0
        yield fake


@pytest_lsp.fixture(params=CLIENTS, config=ClientServerConfig(server_command=SERVER))
async def model_client(request, lsp_client: LanguageClient):
    fake = request.getfixturevalue("fake_model")
    options = {"model": {"url": fake.url}, "preview": {"timeBudgetMs": 50}}
    await lsp_client.initialize_session(initialize_params(request.param, options))
    yield lsp_client
    await lsp_client.shutdown_session()


async def _prediction_via_update(client: LanguageClient, uri: str, name: str) -> tuple[str, object]:
    """Hover ``name``: the hover says the prediction is running, the update brings it."""
    update = client.wait_for_notification("irlens/previewUpdated")
    first = _markdown(await _hover(client, uri, _pass(name)))
    assert "prediction still running" in first and "```diff" in first
    params = await update
    assert params.uri == uri
    assert params.function == "crc32"
    assert params.position.line == RUN
    return params.markdown, params.data.prediction


async def test_exact_prediction_arrives_as_preview_updated(model_client) -> None:
    uri = "file:///tmp/irlens-test/model-exact.ll"
    open_document(model_client, uri, EXAMPLE)
    markdown, prediction = await _prediction_via_update(model_client, uri, "sroa")
    assert "**Model** (`fake-llm-compiler`): **exact match** with opt 19." in markdown
    assert prediction.status == "match"
    again = _markdown(await _hover(model_client, uri, _pass("sroa")))
    assert "**exact match**" in again


async def test_wrong_prediction_is_reported_as_differing(model_client) -> None:
    uri = "file:///tmp/irlens-test/model-wrong.ll"
    open_document(model_client, uri, EXAMPLE)
    markdown, prediction = await _prediction_via_update(model_client, uri, "early-cse")
    assert "**differs** from opt 19." in markdown and "in 1 line" in markdown
    assert prediction.status == "differs"
    assert prediction.firstDifference.model == "define dso_local i32 @main() #9 #0 {"
    again = _markdown(await _hover(model_client, uri, _pass("early-cse")))
    assert "**differs**" in again
