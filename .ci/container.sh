#!/usr/bin/env bash
# The container image, built and run as CI's last step: a Debian 12 base made here from
# Debian's archive (mmdebstrap --variant=minbase | podman import: no registry), the image
# built on it (docker/Containerfile), started with host networking on a free loopback port,
# then test/container.e2e.ts registers a SIPp phone to it and places a call; last, the same
# image runs compose.yaml's primary/standby pair on loopback (.ci/compose.sh). Each phase
# prints its time. Nothing is cached between runs; everything made here is removed.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
export CONTAINERS_CONF="$root/.ci/containers.conf"
tag=${CENTREX_IMAGE_TAG:-localhost/centrex:ci}
base=localhost/centrex-ci-base
name=centrex-ci-$$
work=$(mktemp -d "${TMPDIR:-/tmp}/centrex-container.XXXXXX")
phase() { echo "=== container: $1 ($((SECONDS - t0)) s so far)"; }
cleanup() {
  podman rm -f -v "$name" >/dev/null 2>&1 || true # -v: its anonymous volume (/var/lib/centrex) too
  podman rmi -f "$tag" "$base" >/dev/null 2>&1 || true
  podman image prune -f --filter label=org.centrex.stage=build >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT
t0=$SECONDS
missing=()
for c in podman mmdebstrap runc; do command -v "$c" >/dev/null || missing+=("$c"); done
if [ ${#missing[@]} -gt 0 ]; then
  phase "apt-get install ${missing[*]}"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" uidmap >/dev/null
fi
phase "base image from Debian's archive"
mmdebstrap --quiet --variant=minbase bookworm - | podman import - "$base" >/dev/null
phase "image build"
# The npm registry is reached through the machine's CA bundle (npm's own cafile setting here).
cafile=$(npm config get cafile 2>/dev/null || true)
secret=()
if [ -n "$cafile" ] && [ "$cafile" != null ] && [ -s "$cafile" ]; then secret=(--secret "id=npmca,src=$cafile"); fi
podman build --quiet --network host "${secret[@]}" --build-arg "BASE=$base" -f docker/Containerfile -t "$tag" .
podman image ls "$tag"
phase "run"
port=$(node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})')
podman run -d --name "$name" --network host "$tag" \
  start --db /var/lib/centrex/centrex.db --sip-address 127.0.0.1 --sip-port "$port" >/dev/null
for _ in $(seq 1 60); do
  if podman logs "$name" 2>&1 | grep -q '"event":"started"'; then break; fi
  sleep 0.5
done
podman logs "$name" 2>&1 | tail -3
podman exec "$name" node /opt/centrex/healthcheck.mjs 127.0.0.1 "$port"
[ "$(podman exec "$name" id -un)" = centrex ] || { echo "the switch does not run as centrex"; exit 1; }
phase "end-to-end"
CENTREX_CONTAINER=$name CENTREX_CONTAINER_SIP=127.0.0.1:$port \
  node node_modules/uvu/bin.js -r tsx test 'container\.e2e\.ts$'
phase "primary/standby pair (compose.yaml, podman-compose)"
CENTREX_IMAGE_TAG=$tag bash .ci/compose.sh
phase "done"
