#!/usr/bin/env bash
# deploy/compose.yaml without containers: two `toluna-sandbox serve` processes on one PostgreSQL database (one
# sandbox), and nginx in front of them with deploy/nginx.conf. Runs in the foreground until Ctrl-C or SIGTERM, then
# stops everything it started. The database must exist (createdb); deploy/README.md has the whole walk-through.
#
#   TOLUNA_SANDBOX_DB=postgresql://sandbox:PASSWORD@127.0.0.1:5432/sandbox \
#   TOLUNA_SANDBOX_ADMIN_TOKEN=$(openssl rand -hex 24) \
#   PUBLIC_URL=https://sandbox.example.com deploy/run-local.sh
#
# Settings (environment):
#   TOLUNA_SANDBOX_DB           required: postgresql://USER[:PASSWORD]@HOST:PORT/DBNAME
#   TOLUNA_SANDBOX_ADMIN_TOKEN  required: the token every control API client sends in X-Sandbox-Token
#   LISTEN_HOST, LISTEN_PORT    where nginx listens (default 127.0.0.1, 8080; 0.0.0.0 for other machines)
#   PUBLIC_URL                  the address partners use, put in invite links (default http://LISTEN_HOST:LISTEN_PORT)
#   SANDBOX_PORTS               the two sandboxes' ports on 127.0.0.1 (default "8081 8082")
#   SCENARIO                    scenario file (default: fixtures/scenarios/default.yaml of this repository)
#   WORKERS                     granian worker processes per sandbox (default 2)
#   RUN_DIR                     logs, pid files and nginx's rendered configuration (default: a new temporary directory)
#   TOLUNA_SANDBOX              the command (default: toluna-sandbox on PATH, else this repository's .venv)
#   NGINX                       the nginx binary (default: nginx on PATH, else /usr/sbin/nginx)
#
# RUN_DIR then holds sandbox-a.log, sandbox-b.log, nginx.log (one access line per request, with upstream=ADDRESS),
# and sandbox-a.pid, sandbox-b.pid, nginx.pid: each sandbox runs in its own process group (kill -- -PID stops it and
# its workers). Run it as a normal user: nginx's workers then share the user and its directories.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(dirname "$HERE")

fail() {
    echo "run-local.sh: $*" >&2
    exit 2
}

: "${TOLUNA_SANDBOX_DB:?is not set. Fix: TOLUNA_SANDBOX_DB=postgresql://USER:PASSWORD@HOST:5432/sandbox (createdb sandbox first)}"
: "${TOLUNA_SANDBOX_ADMIN_TOKEN:?is not set. Fix: TOLUNA_SANDBOX_ADMIN_TOKEN=\$(openssl rand -hex 24); clients send it in X-Sandbox-Token}"
case "$TOLUNA_SANDBOX_DB" in
    postgresql://* | postgres://*) ;;
    *) fail "TOLUNA_SANDBOX_DB must be a postgresql:// URL: two processes share one sandbox only through PostgreSQL." ;;
esac
export TOLUNA_SANDBOX_DB TOLUNA_SANDBOX_ADMIN_TOKEN  # read by serve: neither shows in `ps`

LISTEN_HOST=${LISTEN_HOST:-127.0.0.1}
LISTEN_PORT=${LISTEN_PORT:-8080}
PUBLIC_URL=${PUBLIC_URL:-http://$LISTEN_HOST:$LISTEN_PORT}
read -r PORT_A PORT_B _ <<<"${SANDBOX_PORTS:-8081 8082}"
[[ -n "${PORT_B:-}" ]] || fail "SANDBOX_PORTS needs two ports, e.g. SANDBOX_PORTS=\"8081 8082\"."
SCENARIO=${SCENARIO:-$ROOT/fixtures/scenarios/default.yaml}
[[ -f "$SCENARIO" ]] || fail "no scenario file $SCENARIO. Fix: SCENARIO=path/to/scenario.yaml"
WORKERS=${WORKERS:-2}
RUN_DIR=${RUN_DIR:-$(mktemp -d "${TMPDIR:-/tmp}/toluna-sandbox-deploy.XXXXXX")}
mkdir -p "$RUN_DIR/nginx"
if [[ -z "${TOLUNA_SANDBOX:-}" ]]; then
    TOLUNA_SANDBOX=$(command -v toluna-sandbox || echo "$ROOT/.venv/bin/toluna-sandbox")
fi
read -r -a SANDBOX_CMD <<<"$TOLUNA_SANDBOX"
NGINX=${NGINX:-$(command -v nginx || echo /usr/sbin/nginx)}
[[ -x "$NGINX" ]] || fail "nginx not found ($NGINX). Fix: apt-get install nginx-light, or NGINX=/path/to/nginx"
command -v curl >/dev/null || fail "curl not found (it checks that each sandbox answers). Fix: apt-get install curl"

pids=()
stop_all() {
    trap - EXIT INT TERM
    for pid in "${pids[@]}"; do
        kill -TERM -- "-$pid" 2>/dev/null || true  # the process group: serve and its workers, or nginx's
    done
    wait 2>/dev/null || true
}
trap stop_all EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
set -m  # each background command gets its own process group, so one sandbox can be stopped with its workers

# One sandbox process; returns once it answers (the first one has loaded the scenario by then).
start_sandbox() {
    local name=$1 port=$2
    "${SANDBOX_CMD[@]}" serve --host 127.0.0.1 --port "$port" --scenario "$SCENARIO" \
        --workers "$WORKERS" --public-url "$PUBLIC_URL" --require-token >"$RUN_DIR/$name.log" 2>&1 &
    local pid=$!
    pids+=("$pid")
    echo "$pid" >"$RUN_DIR/$name.pid"
    for _ in $(seq 600); do
        if curl -fsS -o /dev/null -H "X-Sandbox-Token: $TOLUNA_SANDBOX_ADMIN_TOKEN" \
            "http://127.0.0.1:$port/_sandbox/health" 2>/dev/null; then
            return 0
        fi
        kill -0 "$pid" 2>/dev/null || fail "$name exited: $(tail -n 20 "$RUN_DIR/$name.log")"
        sleep 0.1
    done
    fail "$name did not answer on port $port within 60 s: see $RUN_DIR/$name.log"
}

# The first loads the scenario (or resumes the state the database holds); the second, started after it, finds the
# same scenario stored and resumes it too, so it never reloads what the first one may already be serving.
start_sandbox sandbox-a "$PORT_A"
start_sandbox sandbox-b "$PORT_B"

# nginx.conf with the upstream ports and the public port of this machine; every other line as compose uses it.
conf=$RUN_DIR/nginx/nginx.conf
sed -e "s/server sandbox-a:8080 /server 127.0.0.1:$PORT_A /" \
    -e "s/server sandbox-b:8080 /server 127.0.0.1:$PORT_B /" \
    -e "s/listen 80;/listen $LISTEN_HOST:$LISTEN_PORT;/" "$HERE/nginx.conf" >"$conf"
for want in "server 127.0.0.1:$PORT_A " "server 127.0.0.1:$PORT_B " "listen $LISTEN_HOST:$LISTEN_PORT;"; do
    grep -qF "$want" "$conf" || fail "could not set '$want' in $conf: deploy/nginx.conf lost the line it replaces"
done
"$NGINX" -p "$RUN_DIR/nginx/" -c nginx.conf -e stderr -t -q || fail "nginx refused $conf (above)"
: >"$RUN_DIR/nginx.log"  # appended to: nginx reopens its stdout for the access log, and writes errors to stderr
"$NGINX" -p "$RUN_DIR/nginx/" -c nginx.conf -e stderr -g 'daemon off;' >>"$RUN_DIR/nginx.log" 2>&1 &
pids+=("$!")
echo "$!" >"$RUN_DIR/nginx.pid"
for _ in $(seq 100); do
    if curl -fsS -o /dev/null -H "X-Sandbox-Token: $TOLUNA_SANDBOX_ADMIN_TOKEN" \
        "http://$LISTEN_HOST:$LISTEN_PORT/_sandbox/health" 2>/dev/null; then
        break
    fi
    kill -0 "${pids[-1]}" 2>/dev/null || fail "nginx exited: $(tail -n 20 "$RUN_DIR/nginx.log")"
    sleep 0.1
done

echo "toluna-sandbox: ready at $PUBLIC_URL (nginx on $LISTEN_HOST:$LISTEN_PORT; sandboxes on 127.0.0.1:$PORT_A and" \
    "127.0.0.1:$PORT_B; logs and pids in $RUN_DIR). Ctrl-C stops everything."
wait  # until every process has stopped, or a signal
