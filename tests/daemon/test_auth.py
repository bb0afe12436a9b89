"""The API-key rule: loopback by default; any other address needs a key, checked as a bearer token."""

from __future__ import annotations

import argparse
import logging

import httpx
import pytest

from lsp_server.daemon import options
from tests.support.daemon import API_KEY, RunningDaemon


def _parse(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    options.add_arguments(parser)
    return parser.parse_args(list(argv))


@pytest.mark.parametrize("host", ["0.0.0.0", "::", "192.168.1.20", "example.org"])
def test_a_non_loopback_bind_without_a_key_refuses_to_start(
    host: str, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(options.API_KEY_ENV, raising=False)
    args = _parse("--model", "/nonexistent/model", "--host", host)
    with caplog.at_level(logging.ERROR):
        status = options.run(args)
    assert status == 2
    assert "refusing to bind" in caplog.text
    assert "--api-key" in caplog.text


@pytest.mark.parametrize("host", ["127.0.0.1", "127.0.0.2", "::1", "localhost"])
def test_loopback_needs_no_key(host: str) -> None:
    assert options.bind_problem(host, None) is None


def test_a_key_from_the_environment_allows_a_public_bind(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(options.API_KEY_ENV, "from-env")
    settings = options.settings_from_args(_parse("--model", "m", "--host", "0.0.0.0"))
    assert settings.api_key == "from-env"
    assert options.bind_problem(settings.host, settings.api_key) is None


async def test_requests_need_the_bearer_token(keyed_daemon: RunningDaemon) -> None:
    url = f"{keyed_daemon.url}/v1/completions"
    body = {"prompt": "x", "max_tokens": 2}
    async with httpx.AsyncClient() as client:
        missing = await client.post(url, json=body)
        assert missing.status_code == 401
        assert missing.json()["error"]["code"] == "invalid_api_key"
        wrong = await client.post(url, json=body, headers={"Authorization": "Bearer nope"})
        assert wrong.status_code == 401
        right = await client.post(url, json=body, headers={"Authorization": f"Bearer {API_KEY}"})
        assert right.status_code == 200
        assert (await client.get(f"{keyed_daemon.url}/v1/models")).status_code == 401
        assert (await client.get(f"{keyed_daemon.url}/metrics")).status_code == 401
        # Health stays open for probes and says nothing secret.
        assert (await client.get(f"{keyed_daemon.url}/health")).status_code == 200
