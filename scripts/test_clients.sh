#!/usr/bin/env bash
# The VS Code extension's checks: install its npm packages, check package.json's settings against
# lsp_server/config.py, type-check, bundle, unit tests, the panel in headless Chromium, and the
# .vsix. (The Neovim client is tested by pytest: tests/clients/test_neovim.py.)
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
npx --no-install vsce package --no-dependencies --out irlens.vsix
ls -l irlens.vsix
