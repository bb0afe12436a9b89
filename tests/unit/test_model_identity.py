"""Which server and model answered: identities from /v1/models, and noticing a server that
was replaced behind the same URL (the cache must not show one checkpoint's answer for another)."""

from __future__ import annotations

import pytest

from lsp_server.model.client import OpenAIClient
from lsp_server.model.identity import ModelIdentity, identity_of
from tests.support.openai_fake import FakeOpenAIServer


def _answer(prompt: str, body: dict) -> str:
    return "unused"


def test_key_changes_with_the_server_and_every_reported_field() -> None:
    base = ModelIdentity("http://a/v1", "m", (("root", "/ckpt/a"),))
    assert base.key == ModelIdentity("http://a/v1", "m", (("root", "/ckpt/a"),)).key
    others = [
        ModelIdentity("http://b/v1", "m", (("root", "/ckpt/a"),)),
        ModelIdentity("http://a/v1", "n", (("root", "/ckpt/a"),)),
        ModelIdentity("http://a/v1", "m", (("root", "/ckpt/b"),)),
        ModelIdentity("http://a/v1", "m", (("root", "/ckpt/a"), ("fingerprint", "f"))),
        ModelIdentity("http://a/v1", "m"),
    ]
    assert len({base.key, *(o.key for o in others)}) == len(others) + 1


def test_created_is_not_part_of_the_identity() -> None:
    # vLLM stamps every /v1/models answer with the time of the request.
    first = ModelIdentity.from_entry("u", "m", {"id": "m", "created": 1, "root": "r"})
    later = ModelIdentity.from_entry("u", "m", {"id": "m", "created": 2, "root": "r"})
    assert first == later
    assert first.label == "`m` from `r` at u"


async def test_client_reports_the_served_fields() -> None:
    fields = {"root": "/models/ft-2", "fingerprint": "0123456789abcdef0123", "parent": None}
    with FakeOpenAIServer(_answer, model="llm-compiler", model_fields=fields) as fake:
        url = fake.url
        client = OpenAIClient(url)
        identity = await client.identity()
        await client.aclose()
    assert identity == ModelIdentity(
        url,
        "llm-compiler",
        (("root", "/models/ft-2"), ("owned_by", "fake"), ("fingerprint", fields["fingerprint"])),
    )
    assert identity.fingerprint == fields["fingerprint"]
    assert "checkpoint 0123456789ab" in identity.label


async def test_a_server_replaced_behind_the_same_url_is_noticed() -> None:
    with FakeOpenAIServer(_answer, model="m", model_fields={"fingerprint": "aaa"}) as first:
        port = first.port
        client = OpenAIClient(first.url)
        before = await client.identity()
    with FakeOpenAIServer(_answer, model="m", model_fields={"fingerprint": "bbb"}, port=port):
        after = await client.identity()
    # Gone: the last identity it gave is kept (a down server changes nothing).
    gone = await client.identity()
    await client.aclose()
    assert before is not None and after is not None
    assert before.server == after.server and before.model == after.model
    assert (before.fingerprint, after.fingerprint) == ("aaa", "bbb")
    assert before.key != after.key
    assert gone == after


async def test_concurrent_callers_share_one_models_request() -> None:
    import asyncio

    with FakeOpenAIServer(_answer) as fake:
        client = OpenAIClient(fake.url)
        found = await asyncio.gather(*(client.identity() for _ in range(5)))
        await client.aclose()
    assert len(set(found)) == 1
    assert fake.gets.count("/v1/models") == 1


async def test_a_backend_without_identity_is_known_by_its_name() -> None:
    class Named:
        model_name = "plain"

    class Nameless:
        model_name = None

    assert await identity_of(Named()) == ModelIdentity("", "plain")
    assert await identity_of(Nameless()) is None


@pytest.mark.parametrize("ttl", [60.0])
async def test_a_fresh_identity_is_not_asked_again(ttl: float) -> None:
    with FakeOpenAIServer(_answer) as fake:
        client = OpenAIClient(fake.url, identity_ttl=ttl)
        await client.identity()
        await client.identity()
        await client.aclose()
    assert fake.gets.count("/v1/models") == 1
