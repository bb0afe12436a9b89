#!/usr/bin/env bash
# Quick start 1: set up, then show irlens at work on a bundled example (LLVM-only mode:
# no GPU and no model weights needed).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
exec .venv/bin/irlens demo "$@"
