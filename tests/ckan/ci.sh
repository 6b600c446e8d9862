#!/usr/bin/env bash
# For .ci/run, before `cargo test`: installs the real CKAN test peer and starts it in core and
# scheming mode. The conformance tests find $OGPIPE_CKAN_HOME/{core,scheming}.env at the default
# location, so nothing is exported. Prints how long each part took. Bounded: each step has its
# own timeout inside the scripts, and the whole is capped here.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
t() { date +%s; }
t0=$(t)
timeout 1800 bash "$HERE/setup.sh"
t1=$(t)
# The env files print the token; keep it out of CI's log.
timeout 300 bash "$HERE/serve.sh" core >/dev/null
t2=$(t)
timeout 300 bash "$HERE/serve.sh" scheming >/dev/null
t3=$(t)
echo "tests/ckan/ci.sh: setup $((t1 - t0)) s, core $((t2 - t1)) s, scheming $((t3 - t2)) s" >&2
