"""The pytest-lsp client fixture, parametrised over recorded VS Code and Neovim capabilities.

Every test below this folder gets the ``e2e`` tier marker.
"""

from __future__ import annotations

import pytest
import pytest_lsp
from pytest_lsp import ClientServerConfig, LanguageClient

from tests.support.lsp_session import CLIENTS, SERVER, initialize_params
from tests.support.tiers import mark_tier


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    mark_tier(items, __file__)


@pytest_lsp.fixture(params=CLIENTS, config=ClientServerConfig(server_command=SERVER))
async def client(request, lsp_client: LanguageClient):
    """A session in LLVM-only mode (no model configured)."""
    await lsp_client.initialize_session(initialize_params(request.param))
    yield lsp_client
    await lsp_client.shutdown_session()
