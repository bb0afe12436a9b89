#!/usr/bin/env bash
# Installs what the real-editor test needs, through npm, into a cache folder kept between runs:
# Node 24 (code-server's engine; the node-linux-<arch> package) and code-server itself, at pinned
# versions. A fresh install takes minutes (code-server builds native modules); a warm one returns
# at once. Prints the folder on stdout; the e2e test finds bin/node and bin/code-server there.
#
#   IRLENS_E2E_CACHE   where to install (default ~/.cache/irlens-e2e)
set -euo pipefail

NODE_VERSION=24.22.3
CODE_SERVER_VERSION=4.139.1

case "$(uname -m)" in
  x86_64) arch=x64 ;;
  aarch64 | arm64) arch=arm64 ;;
  *) echo "install-code-server: no Node 24 package for $(uname -m)" >&2; exit 1 ;;
esac
os=$(uname -s | tr '[:upper:]' '[:lower:]')

cache=${IRLENS_E2E_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/irlens-e2e}
dir="$cache/node-$NODE_VERSION-code-server-$CODE_SERVER_VERSION"
if [ -x "$dir/bin/code-server" ] && [ -x "$dir/bin/node" ]; then
  echo "$dir"
  exit 0
fi

# Install into a scratch folder and rename it at the end, so an interrupted install is never
# mistaken for a finished one.
rm -rf "$dir.partial"
mkdir -p "$dir.partial/bin" "$dir.partial/node" "$dir.partial/code-server"
npm_quiet=(--no-audit --no-fund --loglevel=error)
# Node and code-server in folders of their own: one npm install would prune the other's package.
echo "install-code-server: node-$os-$arch@$NODE_VERSION" >&2
(cd "$dir.partial/node" && npm init -y >/dev/null && npm install "${npm_quiet[@]}" "node-$os-$arch@$NODE_VERSION" >&2)
node_home="$dir.partial/node/node_modules/node-$os-$arch"
ln -s "../node/node_modules/node-$os-$arch/bin/node" "$dir.partial/bin/node"
echo "install-code-server: code-server@$CODE_SERVER_VERSION (builds native modules: minutes)" >&2
(cd "$dir.partial/code-server" && npm init -y >/dev/null \
  && PATH="$node_home/bin:$PATH" npm install "${npm_quiet[@]}" "code-server@$CODE_SERVER_VERSION" >&2)
ln -s ../code-server/node_modules/.bin/code-server "$dir.partial/bin/code-server"
cd "$cache"
rm -rf "$dir"
mv "$dir.partial" "$dir"
echo "$dir"
