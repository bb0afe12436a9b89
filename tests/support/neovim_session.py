"""Drive a real headless Neovim with the irlens plugin from editors/nvim.

Each run starts `nvim --headless --clean -u <init.lua> FILE`, where init.lua puts the plugin on
the runtimepath and calls `require('irlens').setup()` with the server started as
`python -m lsp_server serve`. A Lua scenario then waits (vim.wait, bounded) for what it needs and
writes a JSON report that the test reads. The subprocess timeout only bounds a hung editor; no
test asserts on time.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

from tests.support.data import ROOT

PLUGIN = ROOT / "editors" / "nvim"

#: Bounds a hung editor or server; scenarios wait on events well inside it.
NVIM_TIMEOUT_S = 120

INIT_LUA = """
vim.opt.runtimepath:prepend({plugin})
vim.opt.swapfile = false
_G.irlens_messages = {{}}
vim.notify = function(message, level)
  table.insert(_G.irlens_messages, {{ message = message, level = level }})
end
require('irlens').setup({{
  cmd = {cmd},
  settings = {settings},
}})
"""

PRELUDE = """
local report = {{ messages = {{}} }}
local function finish()
  report.messages = _G.irlens_messages
  local file = io.open({out}, 'w')
  file:write(vim.fn.json_encode(report))
  file:close()
  vim.cmd('qa!')
end
local function client_ready()
  return vim.wait(60000, function()
    local client = require('irlens').client(0)
    return client ~= nil and client.server_capabilities ~= nil and next(client.server_capabilities) ~= nil
  end, 20)
end
local ok, err = pcall(function()
  report.filetype = vim.bo.filetype
{body}
end)
if not ok then
  report.lua_error = tostring(err)
end
finish()
"""


def lua_string(text: str) -> str:
    """A Lua string literal for any text (json strings are valid Lua strings for our inputs)."""
    return json.dumps(text, ensure_ascii=False)


def lua_value(value: Any) -> str:
    """A Lua table/value literal for JSON-like Python data."""
    if isinstance(value, dict):
        items = ", ".join(f"[{lua_string(k)}] = {lua_value(v)}" for k, v in value.items())
        return "{" + items + "}"
    if isinstance(value, list | tuple):
        return "{" + ", ".join(lua_value(v) for v in value) + "}"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    return lua_string(str(value))


def nvim_path() -> str:
    """The nvim binary; CI installs it, so a missing one fails the test instead of skipping."""
    found = shutil.which("nvim")
    if found is None:
        raise AssertionError(
            "nvim is not installed (apt-get install neovim; scripts/setup.sh does)"
        )
    return found


def run_scenario(
    tmp_path: Path,
    document: Path,
    body: str,
    settings: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Open ``document`` in headless Neovim, run the Lua ``body``, return its JSON report."""
    out = tmp_path / "report.json"
    init = tmp_path / "init.lua"
    scenario = tmp_path / "scenario.lua"
    cmd = [sys.executable, "-m", "lsp_server", "serve", "--no-cache"]
    init.write_text(
        INIT_LUA.format(
            plugin=lua_string(str(PLUGIN)),
            cmd=lua_value(cmd),
            settings=lua_value(settings or {}),
        )
    )
    scenario.write_text(PRELUDE.format(out=lua_string(str(out)), body=body))
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
        "XDG_STATE_HOME": str(tmp_path / "state"),
        "XDG_CACHE_HOME": str(tmp_path / "cache"),
        "XDG_DATA_HOME": str(tmp_path / "data"),
    }
    proc = subprocess.run(
        [
            nvim_path(),
            *("--headless", "--clean", "-u", str(init), str(document)),
            *("-c", f"luafile {scenario}"),
        ],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=NVIM_TIMEOUT_S,
        check=False,
    )
    if not out.exists():
        raise AssertionError(
            f"nvim wrote no report (exit {proc.returncode})\n"
            f"stdout: {proc.stdout[-2000:]}\nstderr: {proc.stderr[-2000:]}"
        )
    report: dict[str, Any] = json.loads(out.read_text())
    if "lua_error" in report:
        raise AssertionError(f"the Lua scenario failed: {report['lua_error']}")
    return report
