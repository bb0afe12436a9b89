#!/usr/bin/env bash
# Quick start 2: set up everything the tests need, then run the whole suite:
# lint and types, unit tests, the real LLVM tools, the daemon with a tiny model, end-to-end
# LSP sessions, Neovim headless, and the VS Code extension.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh --dev
export PATH="$PWD/.venv/bin:$PATH"

echo "== lint and types"
ruff check lsp_server tests bench
ruff format --check lsp_server tests bench
mypy --strict lsp_server

echo "== pytest"
python -m pytest -q -p no:cacheprovider "$@"

if [ -x scripts/test_clients.sh ]; then
  echo "== VS Code extension"
  scripts/test_clients.sh
fi
