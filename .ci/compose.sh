#!/usr/bin/env bash
# compose.yaml's primary/standby pair, brought up with Debian's podman-compose from the image
# .ci/container.sh built (CENTREX_IMAGE_TAG, default localhost/centrex:ci), on loopback only:
# centrex-1 on 127.0.0.1 (primary), centrex-2 on 127.0.0.2 (standby), free ports, generated
# configurations (random secret and token) in a temporary folder named by CENTREX_PAIR_DIR.
# Checks: both answer SIP OPTIONS and GET /health; the primary serves, the standby does not
# and its replication link is up; a customer added on the primary shows up on the standby.
# Then `down -v`: containers, pod, volumes and the folder go. Each wait is bounded; the whole
# run stops itself after CENTREX_COMPOSE_TIMEOUT seconds (default 300).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
export CONTAINERS_CONF="$root/.ci/containers.conf"
image=${CENTREX_IMAGE_TAG:-localhost/centrex:ci}
limit=${CENTREX_COMPOSE_TIMEOUT:-300}
project=centrex-pair-$$
t0=$SECONDS
phase() { echo "=== compose: $1 ($((SECONDS - t0)) s so far)"; }
fail() {
  echo "compose: $*" >&2
  exit 1
}
# The whole run is bounded: past the limit, this shell is told to stop (and cleans up).
(sleep "$limit" && kill -TERM $$ 2>/dev/null) &
watchdog=$!

if ! command -v podman-compose >/dev/null; then
  phase "apt-get install podman-compose"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends podman-compose >/dev/null
fi
podman image exists "$image" || fail "no image $image: build it first (.ci/container.sh does)"

work=$(mktemp -d "${TMPDIR:-/tmp}/centrex-pair.XXXXXX")
export CENTREX_IMAGE=$image CENTREX_PAIR_DIR=$work
# podman-compose 1.0.3 (Debian 12) joins every container to the project's network, even one
# with network_mode: host, and podman refuses both ("cannot set multiple networks without
# bridge network mode"). Fixed upstream in 1.0.4; here a podman wrapper drops the project
# network from a host-networked container's arguments (and the network is removed below).
cat >"$work/podman" <<'WRAP'
#!/usr/bin/env bash
host=0 prev=
for a in "$@"; do
  if [ "$prev" = --network ] && [ "$a" = host ]; then host=1; fi
  prev=$a
done
if [ "$host" -eq 0 ]; then exec podman "$@"; fi
args=() skip=0
for a in "$@"; do
  if [ "$skip" -eq 1 ]; then skip=0; continue; fi
  case $a in --net | --network-alias) skip=1; continue ;; esac
  args+=("$a")
done
exec podman "${args[@]}"
WRAP
chmod 755 "$work/podman"
compose() { timeout 120 podman-compose --no-ansi --podman-path "$work/podman" -p "$project" -f compose.yaml "$@"; }
cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  if [ "$rc" -ne 0 ]; then
    for n in 1 2; do
      echo "--- centrex-$n (last lines)"
      podman logs --tail 20 "${project}_centrex-${n}_1" 2>&1 || true
    done
  fi
  compose down -v -t 5 >/dev/null 2>&1 || true
  # Whatever down left (an interrupted up): by the project's label and names.
  podman ps -aq --filter "label=io.podman.compose.project=$project" | xargs -r podman rm -f >/dev/null 2>&1 || true
  podman pod rm -f "pod_$project" >/dev/null 2>&1 || true
  podman volume rm -f "${project}_centrex-1" "${project}_centrex-2" >/dev/null 2>&1 || true
  podman network rm -f "${project}_default" >/dev/null 2>&1 || true
  rm -rf "$work"
  kill "$watchdog" 2>/dev/null || true
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 124' INT TERM

# Free ports: SIP, replication, health and API per node; disjoint relay ranges.
read -r sip1 rep1 hel1 api1 sip2 rep2 hel2 api2 < <(node -e '
  const net = require("net");
  const one = (host) => new Promise((ok) => { const s = net.createServer().listen(0, host, () => { const p = s.address().port; s.close(() => ok(p)); }); });
  (async () => { const out = [];
    for (const host of ["127.0.0.1", "127.0.0.2"]) for (let i = 0; i < 4; i++) out.push(await one(host));
    console.log(out.join(" ")); })();')
secret=$(openssl rand -hex 16)
token=$(openssl rand -hex 16)
node_config() { # name role address sip rep hel api peer peer-address peer-sip peer-rep peer-hel media-min
  cat >"$work/$1.yaml" <<EOF
node: { name: $1 }
store: { path: /var/lib/centrex/centrex.db }
sip:
  listen:
    - { transport: udp, address: $3, port: $4 }
    - { transport: tcp, address: $3, port: $4 }
media: { portMin: ${13}, portMax: $((${13} + 199)) }
admin:
  address: $3
  port: $7
  tokens: [{ name: ci, token: "$token" }]
failover:
  role: $2
  secret: "$secret"
  replication: { address: $3, port: $5 }
  health: { address: $3, port: $6 }
  peer: { name: $8, host: $9, sipPort: ${10}, replicationPort: ${11}, healthPort: ${12} }
EOF
  chmod 644 "$work/$1.yaml"
}
node_config centrex-1 primary 127.0.0.1 "$sip1" "$rep1" "$hel1" "$api1" centrex-2 127.0.0.2 "$sip2" "$rep2" "$hel2" 40000
node_config centrex-2 standby 127.0.0.2 "$sip2" "$rep2" "$hel2" "$api2" centrex-1 127.0.0.1 "$sip1" "$rep1" "$hel1" 40200

phase "up ($image, project $project)"
compose up -d --no-build >/dev/null

# GET /health of a node's API until `jq`-free check $2 (a node -e predicate on the report) holds.
health() { curl -s --max-time 2 "http://$1/health" || true; }
wait_for() { # what url predicate
  local body=""
  for _ in $(seq 1 120); do
    body=$(health "$2")
    if [ -n "$body" ] && node -e "const r = JSON.parse(process.argv[1]); process.exit(($3) ? 0 : 1)" "$body" 2>/dev/null; then
      echo "$1: $body"
      return 0
    fi
    sleep 0.5
  done
  fail "$1 not reached in 60 s; last /health: ${body:-no answer}"
}
phase "primary serving"
wait_for "centrex-1 (primary)" "127.0.0.1:$api1" 'r.ok && r.checks.role.role === "primary" && r.checks.role.detail === "serving"'
phase "standby replicating"
wait_for "centrex-2 (standby)" "127.0.0.2:$api2" 'r.ok && r.checks.role.role === "standby" && r.checks.role.detail === "not serving" && r.checks.replication.ok'

phase "SIP OPTIONS to both"
podman exec "${project}_centrex-1_1" node /opt/centrex/healthcheck.mjs 127.0.0.1 "$sip1" || fail "centrex-1: no SIP answer"
podman exec "${project}_centrex-2_1" node /opt/centrex/healthcheck.mjs 127.0.0.2 "$sip2" || fail "centrex-2: no SIP answer"

phase "a change on the primary reaches the standby"
domain="pair-$$.example"
curl -sf --max-time 5 -H "authorization: Bearer $token" -H "content-type: application/json" \
  -d "{\"name\":\"Pair check\",\"domain\":\"$domain\"}" "http://127.0.0.1:$api1/customers" >/dev/null ||
  fail "centrex-1: POST /customers refused"
for i in $(seq 1 40); do
  if curl -sf --max-time 2 -H "authorization: Bearer $token" "http://127.0.0.2:$api2/customers" | grep -q "\"$domain\""; then
    echo "centrex-2 has $domain after $((i * 250)) ms at most"
    break
  fi
  [ "$i" -eq 40 ] && fail "centrex-2: $domain not replicated in 10 s"
  sleep 0.25
done

phase "down"
compose down -v -t 5 >/dev/null
left=$(podman ps -aq --filter "label=io.podman.compose.project=$project" | wc -l)
[ "$left" -eq 0 ] || fail "$left container(s) left after down"
if podman volume exists "${project}_centrex-1" || podman volume exists "${project}_centrex-2"; then
  fail "volumes left after down -v"
fi
podman network rm "${project}_default" >/dev/null 2>&1 || true # made by up, left by down (1.0.3)
podman network exists "${project}_default" && fail "network ${project}_default left"
phase "done"
