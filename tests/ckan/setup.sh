#!/usr/bin/env bash
# Installs what a real CKAN 2.12 test peer needs: Debian's PostgreSQL and Redis, and a Python
# virtual environment with CKAN 2.12, ckanext-scheming 3.1.0 and this project's own test plugin
# (tests/ckan/ckanext-ogpipetest). Idempotent: a second run checks and returns in seconds.
# Run as root on Debian. Reaches only the package registries (apt, PyPI).
set -euo pipefail

HOME_DIR="${OGPIPE_CKAN_HOME:-/tmp/ogpipe-ckan}"
VENV="$HOME_DIR/venv"
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
CKAN_SPEC='ckan[requirements]==2.12.*'
SCHEMING_SPEC='ckanext-scheming==3.1.0'

die() { echo "setup.sh: $*" >&2; exit 1; }
step() { echo "setup.sh: $*" >&2; }
start=$(date +%s)

[ "$(id -u)" = 0 ] || die "must run as root (it installs Debian packages and runs postgres as its user)"

# Debian packages. `dpkg -s` first so that a machine that has them makes no apt call at all.
PKGS=(postgresql redis-server libpq-dev libmagic1 gcc python3-dev python3-venv curl)
missing=()
for p in "${PKGS[@]}"; do
    dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
    step "installing ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    timeout 600 apt-get update -qq || die "apt-get update failed (is the Debian mirror reachable?)"
    # The postgresql package starts a cluster through policy-rc.d where it can; serve.sh starts
    # it itself when it is down, so a failed service start here is not an error.
    timeout 900 apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2 \
        || die "apt-get install ${missing[*]} failed"
fi

# Python 3.10 to 3.13 (CKAN 2.12's range). Debian's /usr/bin/python3 first: a pyenv shim may
# point at a build without the headers psycopg2 needs.
PY=""
for cand in /usr/bin/python3 /usr/bin/python3.13 /usr/bin/python3.12 /usr/bin/python3.11 /usr/bin/python3.10 python3; do
    if command -v "$cand" >/dev/null 2>&1 && "$cand" -c 'import sys, venv; sys.exit(0 if (3,10) <= sys.version_info[:2] <= (3,13) else 1)' 2>/dev/null; then
        PY="$cand"; break
    fi
done
[ -n "$PY" ] || die "no python 3.10 to 3.13 with the venv module found (apt-get install python3-venv)"

mkdir -p "$HOME_DIR"
if [ ! -x "$VENV/bin/python" ]; then
    step "creating $VENV with $PY"
    "$PY" -m venv "$VENV" || die "could not create the virtual environment $VENV"
fi
PIP=("$VENV/bin/pip" --disable-pip-version-check --no-input -q)

if ! "$VENV/bin/python" -c 'import ckan, sys; sys.exit(0 if ckan.__version__.startswith("2.12") else 1)' 2>/dev/null; then
    step "installing $CKAN_SPEC (about a minute: psycopg2 builds from source)"
    timeout 900 "${PIP[@]}" install -U pip setuptools wheel >&2 || die "pip could not upgrade itself"
    timeout 1200 "${PIP[@]}" install "$CKAN_SPEC" >&2 || die "pip install $CKAN_SPEC failed"
fi
if ! "$VENV/bin/pip" show ckanext-scheming 2>/dev/null | grep -q '^Version: 3.1.0$'; then
    step "installing $SCHEMING_SPEC"
    timeout 600 "${PIP[@]}" install "$SCHEMING_SPEC" >&2 || die "pip install $SCHEMING_SPEC failed"
fi
# The project's own plugin is installed from the tree each time (cheap) so an edit takes effect;
# not editable: the ckanext namespace of pkgutil style and setuptools' editable finder do not mix.
timeout 300 "${PIP[@]}" install --no-deps --no-build-isolation --force-reinstall "$HERE/ckanext-ogpipetest" >&2 \
    || die "pip install $HERE/ckanext-ogpipetest failed"

"$VENV/bin/python" -c 'import ckan.cli.cli, ckanext.scheming.plugins, ckanext.ogpipetest.plugin' >&2 || die "$VENV/bin/ckan does not run; remove $VENV and run again"
echo "setup.sh: ready in $(( $(date +%s) - start )) s: $VENV" >&2
