#!/usr/bin/env bash
# Starts a real CKAN 2.12 for ogpipe's conformance tests, on 127.0.0.1 and free ports.
#
#   tests/ckan/serve.sh MODE            fresh: new database, index, uploads, sysadmin, token, org
#   tests/ckan/serve.sh MODE restart    CKAN again on the same port, database and token (after a
#                                       kill): Redis and the Solr stand-in are started again too
#                                       if they are down
#
# MODE: core      CKAN's own plugins only (unknown dataset keys are dropped)
#       scheming  ckanext-scheming with tests/ckan/bilingual.yaml and ckanext-ogpipetest's
#                 fluent-style validators (translated fields, required languages)
#       registry  scheming, plus ckanext-ogpipetest's Registry-like mode (private forced on every
#                 create and update; date_published read back as "YYYY-MM-DD 00:00:00")
#
# Environment: OGPIPE_CKAN_HOME (default /tmp/ogpipe-ckan), OGPIPE_CKAN_MAX_MB (upload limit in
# MB, default 10), OGPIPE_CKAN_START_SECS (how long to wait for CKAN, default 120).
# Writes $OGPIPE_CKAN_HOME/MODE.env (OGPIPE_TEST_CKAN_URL, _TOKEN, _ORG, _PID_FILE, _REQUEST_LOG,
# ...) and prints it. Logs stay in $OGPIPE_CKAN_HOME/MODE/. Run tests/ckan/setup.sh first.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
HOME_DIR="${OGPIPE_CKAN_HOME:-/tmp/ogpipe-ckan}"
VENV="$HOME_DIR/venv"
MAX_MB="${OGPIPE_CKAN_MAX_MB:-10}"
START_SECS="${OGPIPE_CKAN_START_SECS:-120}"
ORG="csis-scrs"
ADMIN="ogpipe_admin"
DB_ROLE="ogpipe_ckan"
DB_PASSWORD="ogpipe_ckan_test"

die() { echo "serve.sh: $*" >&2; exit 1; }
step() { echo "serve.sh: $*" >&2; }
t0=$(date +%s)

MODE="${1:-}"
ACTION="${2:-start}"
case "$MODE" in
    core|scheming|registry) ;;
    *) die "usage: serve.sh core|scheming|registry [restart] (got '${MODE}')" ;;
esac
case "$ACTION" in
    start|restart) ;;
    *) die "usage: serve.sh $MODE [restart] (got '$ACTION')" ;;
esac
[[ "$MAX_MB" =~ ^[0-9]+$ ]] || die "OGPIPE_CKAN_MAX_MB must be a whole number of MB (got '$MAX_MB')"
[ "$(id -u)" = 0 ] || die "must run as root (it starts PostgreSQL and runs psql as its user)"
[ -x "$VENV/bin/ckan" ] || die "no CKAN in $VENV: run tests/ckan/setup.sh first"

DIR="$HOME_DIR/$MODE"
INI="$DIR/ckan.ini"
STATE="$DIR/state"
ENV_FILE="$HOME_DIR/$MODE.env"
# One database per mode and per OGPIPE_CKAN_HOME, so that two set-ups on one machine (two
# checkouts, or CI beside a developer's) never drop each other's database.
DB="ogpipe_ckan_${MODE}_$(printf '%s' "$HOME_DIR" | cksum | cut -d' ' -f1)"
CKAN=("$VENV/bin/ckan" -c "$INI")
PY="$VENV/bin/python"

free_port() {
    "$PY" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

alive() { [ -f "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }

# Waits up to $2 seconds for command $3... to succeed; $1 names what is awaited.
wait_for() {
    local what="$1" secs="$2"; shift 2
    local deadline=$(( $(date +%s) + secs ))
    until "$@" >/dev/null 2>&1; do
        [ "$(date +%s)" -lt "$deadline" ] || return 1
        sleep 0.3
    done
    step "$what up after $(( $(date +%s) - t0 )) s"
}

ensure_postgres() {
    command -v pg_lsclusters >/dev/null || die "PostgreSQL is not installed: run tests/ckan/setup.sh"
    local line ver name status
    line="$(pg_lsclusters -h | head -n1 || true)"
    if [ -z "$line" ]; then
        ver="$(ls /usr/lib/postgresql | sort -V | tail -n1)"
        step "creating PostgreSQL cluster $ver main"
        pg_createcluster "$ver" main >&2 || die "pg_createcluster $ver main failed"
        line="$(pg_lsclusters -h | head -n1)"
    fi
    read -r ver name PGPORT status _ <<<"$line"
    if [ "$status" != "online" ]; then
        step "starting PostgreSQL $ver $name"
        timeout 60 pg_ctlcluster "$ver" "$name" start >&2 || die "pg_ctlcluster $ver $name start failed (see /var/log/postgresql/)"
    fi
    wait_for "postgres" 30 pg_isready -q -h 127.0.0.1 -p "$PGPORT" \
        || die "PostgreSQL $ver $name not ready on 127.0.0.1:$PGPORT after 30 s"
}

psql_admin() { runuser -u postgres -- psql -p "$PGPORT" -v ON_ERROR_STOP=1 -qAt "$@"; }

start_redis() {
    redis-server --bind 127.0.0.1 --port "$REDIS_PORT" --save '' --appendonly no \
        --daemonize yes --pidfile "$DIR/redis.pid" --logfile "$DIR/redis.log" --dir "$DIR" \
        || die "redis-server did not start on 127.0.0.1:$REDIS_PORT (see $DIR/redis.log)"
    wait_for "redis" 20 redis-cli -h 127.0.0.1 -p "$REDIS_PORT" ping \
        || die "redis not answering on 127.0.0.1:$REDIS_PORT after 20 s (see $DIR/redis.log)"
}

start_solr() {
    local schema
    schema="$("$PY" -c 'import ckan, os; print(os.path.join(os.path.dirname(ckan.__file__), "config/solr/schema.xml"))')"
    [ -f "$schema" ] || die "CKAN's solr schema not found at $schema"
    rm -f "$DIR/solr.port"
    setsid "$PY" "$HERE/solr_standin.py" --schema "$schema" --port "${SOLR_PORT:-0}" \
        --data "$DIR/solr-data.json" --port-file "$DIR/solr.port" --log "$DIR/solr.log" \
        >>"$DIR/solr.log" 2>&1 </dev/null &
    echo $! >"$DIR/solr.pid"
    wait_for "solr stand-in" 20 test -s "$DIR/solr.port" \
        || die "the Solr stand-in did not start (see $DIR/solr.log)"
    SOLR_PORT="$(cat "$DIR/solr.port")"
}

start_ckan() {
    : >>"$DIR/ckan.log"
    setsid "${CKAN[@]}" run -H 127.0.0.1 -p "$CKAN_PORT" --disable-reloader --threaded \
        >>"$DIR/ckan.log" 2>&1 </dev/null &
    echo $! >"$DIR/ckan.pid"
    if ! wait_for "ckan" "$START_SECS" curl -fsS -m 5 "http://127.0.0.1:$CKAN_PORT/api/3/action/status_show"; then
        alive "$DIR/ckan.pid" && kill "$(cat "$DIR/ckan.pid")" 2>/dev/null || true
        tail -n 30 "$DIR/ckan.log" >&2 || true
        die "CKAN did not answer status_show on 127.0.0.1:$CKAN_PORT within $START_SECS s (log: $DIR/ckan.log)"
    fi
}

write_ini() {
    "${VENV}/bin/ckan" generate config "$INI" >/dev/null 2>&1 || die "ckan generate config $INI failed"
    local plugins="activity" extra=()
    case "$MODE" in
        # A GC-style portal knows the Government of Canada licences (the Registry sets
        # licenses_group_url to its own list); core CKAN keeps its default list.
        scheming) plugins="activity scheming_datasets ogpipetest"
            extra=("licenses_group_url=file://$HERE/licenses.json") ;;
        registry) plugins="activity scheming_datasets ogpipetest"
            extra=("ckanext.ogpipetest.registry_mode=true" "licenses_group_url=file://$HERE/licenses.json") ;;
    esac
    # Edited with configparser, not `ckan config-tool`: every ckan command loads the whole app,
    # which already wants Solr, the database and the settings being written.
    "$PY" - "$INI" "$DIR/requests.log" \
        "sqlalchemy.url=postgresql://$DB_ROLE:$DB_PASSWORD@127.0.0.1:$PGPORT/$DB" \
        "ckan.site_url=http://127.0.0.1:$CKAN_PORT" \
        "solr_url=http://127.0.0.1:$SOLR_PORT/solr/ckan" \
        "ckan.redis.url=redis://127.0.0.1:$REDIS_PORT/0" \
        "ckan.storage_path=$DIR/storage" \
        "ckan.max_resource_size=$MAX_MB" \
        "ckan.plugins=$plugins" \
        "scheming.dataset_schemas=file://$HERE/bilingual.yaml" \
        "scheming.presets=ckanext.scheming:presets.json ckanext.ogpipetest:presets.json" \
        "scheming.dataset_fallback=false" \
        "ckan.site_id=ogpipe-test-$MODE" \
        "ckan.auth.create_user_via_web=false" \
        "${extra[@]}" <<'PYEOF'
import configparser, sys
ini, request_log, *pairs = sys.argv[1:]
cp = configparser.RawConfigParser(strict=False)
cp.optionxform = str  # keys are case-sensitive (SECRET_KEY)
cp.read(ini)
for pair in pairs:
    k, v = pair.split("=", 1)
    cp.set("app:main", k, v)
# werkzeug's access log, one line per request, in a file of its own so tests can count calls.
cp.set("handlers", "keys", "console, requests")
cp["handler_requests"] = {"class": "FileHandler", "args": repr((request_log, "a")),
                          "level": "NOTSET", "formatter": "generic"}
cp.set("logger_werkzeug", "level", "INFO")
cp.set("logger_werkzeug", "handlers", "requests")
with open(ini, "w") as f:
    cp.write(f)
PYEOF
}

api() {  # api ACTION JSON: POST with the token, prints the body, fails on success=false
    local out
    out="$(curl -sS -m 30 -H "Authorization: $TOKEN" -H 'Content-Type: application/json' \
        -d "$2" "http://127.0.0.1:$CKAN_PORT/api/3/action/$1")" || die "$1 failed: no answer"
    "$PY" -c 'import json,sys; d=json.loads(sys.argv[1]); sys.exit(0 if d.get("success") else 1)' "$out" \
        || die "$1 refused: $out"
    printf '%s' "$out"
}

write_env() {
    local tmp="$ENV_FILE.tmp"
    cat >"$tmp" <<EOF
OGPIPE_TEST_CKAN_MODE=$MODE
OGPIPE_TEST_CKAN_HOME=$HOME_DIR
OGPIPE_TEST_CKAN_URL=http://127.0.0.1:$CKAN_PORT
OGPIPE_TEST_CKAN_TOKEN=$TOKEN
OGPIPE_TEST_CKAN_ORG=$ORG
OGPIPE_TEST_CKAN_PID_FILE=$DIR/ckan.pid
OGPIPE_TEST_CKAN_REQUEST_LOG=$DIR/requests.log
OGPIPE_TEST_CKAN_LOG=$DIR/ckan.log
OGPIPE_TEST_CKAN_MAX_MB=$MAX_MB
OGPIPE_TEST_CKAN_INI=$INI
OGPIPE_TEST_CKAN_SERVE=$HERE/serve.sh
OGPIPE_TEST_CKAN_STOP=$HERE/stop.sh
EOF
    mv "$tmp" "$ENV_FILE"
    cat "$ENV_FILE"
}

ensure_postgres

if [ "$ACTION" = restart ]; then
    [ -f "$STATE" ] || die "no running $MODE set-up to restart in $DIR: run serve.sh $MODE first"
    # shellcheck disable=SC1090
    . "$STATE"
    if alive "$DIR/ckan.pid"; then
        "$HERE/stop.sh" "$MODE" ckan
    fi
    alive "$DIR/redis.pid" || start_redis
    alive "$DIR/solr.pid" || start_solr
    start_ckan
    step "$MODE restarted on 127.0.0.1:$CKAN_PORT in $(( $(date +%s) - t0 )) s"
    write_env
    exit 0
fi

"$HERE/stop.sh" "$MODE" >/dev/null 2>&1 || true
rm -rf "$DIR" "$ENV_FILE"
mkdir -p "$DIR/storage"

REDIS_PORT="$(free_port)"
start_redis
SOLR_PORT=0
start_solr

step "database $DB (fresh)"
psql_admin -c "SELECT 1 FROM pg_roles WHERE rolname = '$DB_ROLE'" | grep -q 1 \
    || psql_admin -c "CREATE ROLE $DB_ROLE LOGIN PASSWORD '$DB_PASSWORD'"
psql_admin -c "DROP DATABASE IF EXISTS $DB WITH (FORCE)"
psql_admin -c "CREATE DATABASE $DB OWNER $DB_ROLE ENCODING 'utf-8' TEMPLATE template0"

CKAN_PORT="$(free_port)"
write_ini
timeout 300 "${CKAN[@]}" db init >>"$DIR/setup.log" 2>&1 || { tail -n 30 "$DIR/setup.log" >&2; die "ckan db init failed (log: $DIR/setup.log)"; }
step "database initialised after $(( $(date +%s) - t0 )) s"
timeout 120 "${CKAN[@]}" sysadmin add "$ADMIN" --create email="$ADMIN@example.invalid" \
    password="ogpipe-admin-$(date +%s%N)" >>"$DIR/setup.log" 2>&1 </dev/null \
    || { tail -n 30 "$DIR/setup.log" >&2; die "ckan sysadmin add $ADMIN failed (log: $DIR/setup.log)"; }
TOKEN="$(timeout 120 "${CKAN[@]}" user token add "$ADMIN" ogpipe-tests 2>>"$DIR/setup.log" | tail -n1 | tr -d '[:space:]')"
[[ "$TOKEN" == eyJ* ]] || die "ckan user token add printed no token (log: $DIR/setup.log)"

cat >"$STATE" <<EOF
CKAN_PORT=$CKAN_PORT
REDIS_PORT=$REDIS_PORT
SOLR_PORT=$SOLR_PORT
TOKEN=$TOKEN
EOF

start_ckan
api organization_create "{\"name\": \"$ORG\", \"title\": \"Canadian Security Intelligence Service\"}" >/dev/null
step "$MODE ready on 127.0.0.1:$CKAN_PORT in $(( $(date +%s) - t0 )) s (upload limit $MAX_MB MB)"
write_env
