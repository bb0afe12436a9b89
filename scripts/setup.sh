#!/usr/bin/env bash
# Set irlens up on a Debian or Ubuntu machine: LLVM from the distribution, Python in .venv.
#
#   scripts/setup.sh          what the language server and the CLI need (no torch)
#   scripts/setup.sh --dev    also the test tools: torch (CPU) and transformers for the daemon
#                             tests, Neovim and Chromium for the editor tests, Node packages
#
# It is safe to run again: it installs only what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

dev=0
[ "${1:-}" = "--dev" ] && dev=1

sudo=""
if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
export DEBIAN_FRONTEND=noninteractive

apt_updated=0
apt_install() {
  if [ "$apt_updated" = 0 ]; then
    echo "setup: apt-get update"
    $sudo apt-get update -qq
    apt_updated=1
  fi
  echo "setup: apt-get install $*"
  $sudo apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

# LLVM: the newest llvm-NN the distribution has (LLM Compiler was trained with 17; Debian 12
# has 19). Skip the install when a new enough one is already there.
have_llvm() {
  for v in 21 20 19 18 17 16 15; do
    if command -v "opt-$v" >/dev/null && command -v "llc-$v" >/dev/null \
      && command -v "llvm-mc-$v" >/dev/null && command -v "clang-$v" >/dev/null \
      && { [ "$dev" = 0 ] || command -v "FileCheck-$v" >/dev/null; }; then
      echo "$v"; return 0
    fi
  done
  return 1
}
if ! llvm_version=$(have_llvm); then
  [ "$apt_updated" = 1 ] || { $sudo apt-get update -qq; apt_updated=1; }
  for v in 21 20 19 18 17 16 15; do
    if apt-cache show "llvm-$v" >/dev/null 2>&1; then llvm_version=$v; break; fi
  done
  if [ -z "${llvm_version:-}" ]; then
    echo "setup: no llvm-15 or newer in this distribution's packages; install LLVM yourself and set llvm.binDir" >&2
    exit 1
  fi
  apt_install "llvm-$llvm_version" "llvm-$llvm_version-tools" "clang-$llvm_version"
fi
echo "setup: LLVM $llvm_version"

if [ "$dev" = 1 ]; then
  command -v nvim >/dev/null || apt_install neovim
  command -v chromium >/dev/null || apt_install chromium
  command -v node >/dev/null || apt_install nodejs npm
  # Graphviz's dot renders `irlens cfg --format svg` (and its test).
  command -v dot >/dev/null || apt_install graphviz
  # The real-editor test builds code-server's native modules (vscode-ext/scripts/install-code-server.sh).
  [ -f /usr/include/gssapi/gssapi.h ] || apt_install libkrb5-dev
  command -v g++ >/dev/null && command -v make >/dev/null || apt_install build-essential
fi

# Python: a virtual environment in .venv.
python=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  if ! "$python" -m venv .venv 2>/dev/null; then
    apt_install python3-venv
    rm -rf .venv
    "$python" -m venv .venv
  fi
fi
pip=(.venv/bin/python -m pip install -q --disable-pip-version-check)
if [ "$dev" = 1 ]; then
  # Pinned: an unpinned torch pulls gigabytes of CUDA packages; 2.13.0 is a CPU build here.
  .venv/bin/python -c "import torch" 2>/dev/null || "${pip[@]}" "torch==2.13.0"
  "${pip[@]}" -e ".[dev,model]"
else
  "${pip[@]}" -e .
fi
echo "setup: done (.venv/bin/irlens)"
