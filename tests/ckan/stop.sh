#!/usr/bin/env bash
# Stops what serve.sh MODE started: CKAN, the Solr stand-in and Redis (or only CKAN with
# `stop.sh MODE ckan`, for a kill/restart test). Data and logs stay in $OGPIPE_CKAN_HOME/MODE/
# until the next `serve.sh MODE`. PostgreSQL is the machine's and is left running.
set -euo pipefail

HOME_DIR="${OGPIPE_CKAN_HOME:-/tmp/ogpipe-ckan}"
MODE="${1:-}"
WHAT="${2:-all}"
case "$MODE" in
    core|scheming|registry) ;;
    *) echo "stop.sh: usage: stop.sh core|scheming|registry [ckan] (got '$MODE')" >&2; exit 1 ;;
esac
DIR="$HOME_DIR/$MODE"

# Stops the process in pid file $1: TERM, then KILL after 10 s. Only that pid, never by name,
# and only while its command line still contains $2: a pid file left from an earlier boot may
# name a pid that now belongs to another program.
stop_pid() {
    local file="$1" expect="$2" pid i
    [ -f "$file" ] || return 0
    pid="$(cat "$file")"
    if [[ "$pid" =~ ^[0-9]+$ ]] && kill -0 "$pid" 2>/dev/null \
        && tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -qF -- "$expect"; then
        kill -TERM "$pid" 2>/dev/null || true
        for i in $(seq 1 50); do
            kill -0 "$pid" 2>/dev/null || break
            sleep 0.2
        done
        if kill -0 "$pid" 2>/dev/null; then
            kill -KILL "$pid" 2>/dev/null || true
            sleep 0.2
        fi
        echo "stop.sh: stopped $(basename "$file" .pid) ($pid)" >&2
    fi
    rm -f "$file"
}

stop_pid "$DIR/ckan.pid" "$DIR/ckan.ini"
if [ "$WHAT" != ckan ]; then
    stop_pid "$DIR/solr.pid" "$DIR/solr-data.json"
    stop_pid "$DIR/redis.pid" "redis-server"
fi
