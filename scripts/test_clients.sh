#!/usr/bin/env bash
# The VS Code extension's checks: install its npm packages, check package.json's settings against
# lsp_server/config.py, type-check, bundle (the extension, the panel, and the server it carries in
# bundled/libs), unit tests, the panel in headless Chromium, the .vsix, and the .vsix in a real VS
# Code (code-server, with no irlens settings). (The Neovim client is tested by pytest:
# tests/clients/test_neovim.py.)
#
# The real-editor test installs Node 24 and code-server through npm into ~/.cache/irlens-e2e the
# first time (minutes; see vscode-ext/scripts/install-code-server.sh). IRLENS_E2E=0 leaves it out.
set -euo pipefail
cd "$(dirname "$0")/../vscode-ext"

node_major=$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)
if [ "$node_major" -lt 20 ]; then
  echo "test_clients: Node 20 or newer is needed (found: $(node --version 2>/dev/null || echo none))" >&2
  exit 1
fi
if ! command -v "${CHROMIUM_PATH:-/usr/bin/chromium}" >/dev/null; then
  echo "test_clients: Chromium is needed for the panel test: apt-get install chromium" >&2
  exit 1
fi

# npm ci only when the lock file changed since the last install.
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "== npm ci"
  npm ci --no-audit --no-fund --loglevel=error
fi

if [ -x ../.venv/bin/python ]; then
  # Absolute: the scripts run it from other directories.
  export IRLENS_PYTHON=${IRLENS_PYTHON:-$(cd .. && pwd)/.venv/bin/python}
fi
echo "== settings: package.json against lsp_server/config.py"
node scripts/sync-config.mjs --check

echo "== tsc --noEmit"
npx --no-install tsc --noEmit -p .
npx --no-install tsc --noEmit -p test

echo "== build"
node scripts/build.mjs

echo "== unit tests"
node --test out/test/unit/

echo "== panel in headless Chromium"
node --test out/test/panel/

echo "== package"
npx --no-install vsce package --no-dependencies --allow-missing-repository --out irlens.vsix
ls -l irlens.vsix
python3 - <<'PY'
import zipfile
names = zipfile.ZipFile("irlens.vsix").namelist()
assert "extension/bundled/libs/lsp_server/__main__.py" in names, "the .vsix carries the server"
assert "extension/bundled/libs/pygls/__init__.py" in names, "the .vsix carries pygls"
assert not [n for n in names if "__pycache__" in n or n.endswith((".so", ".pyd"))], "no compiled files"
print(f"irlens.vsix: {len(names)} files, the server in extension/bundled/libs")
PY

if [ "${IRLENS_E2E:-1}" = 0 ]; then
  echo "== real editor: left out (IRLENS_E2E=0)"
  exit 0
fi
echo "== real editor: code-server with irlens.vsix and no irlens settings"
e2e_start=$(date +%s)
code_server_dir=$(scripts/install-code-server.sh)
echo "code-server ready in $(( $(date +%s) - e2e_start )) s ($code_server_dir)"
CODE_SERVER="$code_server_dir/bin/code-server" NODE24="$code_server_dir/bin" node scripts/e2e-code-server.mjs
echo "real editor: $(( $(date +%s) - e2e_start )) s in all"
