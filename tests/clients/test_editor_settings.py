"""The editors' settings come from lsp_server/config.py and must not drift from it."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

from lsp_server import config
from tests.support.data import ROOT
from tests.support.neovim_session import PLUGIN, nvim_path

PACKAGE_JSON = ROOT / "vscode-ext" / "package.json"
NVIM_CONFIG = ROOT / "editors" / "nvim" / "lsp" / "irlens.lua"


def test_vscode_settings_are_generated_from_config() -> None:
    package = json.loads(PACKAGE_JSON.read_text())
    assert package["contributes"]["configuration"] == config.vscode_configuration(), (
        "vscode-ext/package.json is out of date: run `npm run sync-config` in vscode-ext"
    )


def test_every_server_setting_reaches_vscode_as_irlens_key() -> None:
    properties = json.loads(PACKAGE_JSON.read_text())["contributes"]["configuration"]["properties"]
    for spec in config.schema():
        prop = properties[f"irlens.{spec.key}"]
        assert prop["default"] == spec.default
        assert prop["type"] == spec.type


def test_neovim_config_documents_every_setting_key() -> None:
    text = NVIM_CONFIG.read_text()
    documented = set(re.findall(r"\b([a-z]+\.[a-z][A-Za-z]+)\b", text))
    missing = [spec.key for spec in config.schema() if spec.key not in documented]
    assert missing == [], f"editors/nvim/lsp/irlens.lua does not document {missing}"


def test_neovim_plugin_sends_settings_the_server_accepts(tmp_path: Path) -> None:
    out = tmp_path / "config.json"
    script = tmp_path / "dump.lua"
    script.write_text(
        f"""
vim.opt.runtimepath:prepend({json.dumps(str(PLUGIN))})
local irlens = require('irlens')
irlens.config = vim.tbl_deep_extend('force', irlens.config, {{
  settings = {{ model = {{ url = 'http://127.0.0.1:8787/v1' }}, preview = {{ timeBudgetMs = 900 }}, llvm = {{}} }},
}})
local cfg = irlens.client_config(0)
local file = io.open({json.dumps(str(out))}, 'w')
file:write(vim.fn.json_encode({{ init_options = cfg.init_options, settings = cfg.settings }}))
file:close()
vim.cmd('qa!')
"""
    )
    subprocess.run(
        [nvim_path(), "--headless", "--clean", "-u", "NONE", "-c", f"luafile {script}"],
        cwd=tmp_path,
        capture_output=True,
        timeout=60,
        check=True,
    )
    sent = json.loads(out.read_text())
    for payload in (sent["init_options"], sent["settings"]):
        settings, problems = config.from_dict(payload)
        assert problems == []
        assert settings.model.url == "http://127.0.0.1:8787/v1"
        assert settings.preview.time_budget_ms == 900
    assert sent["init_options"]["llvm"] == {}, "an empty table is sent as an object, not a list"
