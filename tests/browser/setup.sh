#!/usr/bin/env bash
# Installs what the browser test needs (tests/integration/browser.rs): Debian's headless
# Chromium with its WebDriver, and axe-core from npm into this folder. Idempotent: each
# step is skipped when its result is already there. Run as root (apt-get).
set -euo pipefail
cd "$(dirname "$0")"

if ! command -v chromium >/dev/null 2>&1 || ! command -v chromedriver >/dev/null 2>&1; then
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends chromium chromium-driver fonts-dejavu-core >/dev/null
fi

if [ ! -f node_modules/axe-core/axe.min.js ]; then
    # The lock file pins the version; `npm ci` installs exactly it.
    npm ci --no-audit --no-fund --silent
fi
echo "browser test ready: $(chromium --version 2>/dev/null), axe-core $(node -p "require('./node_modules/axe-core/package.json').version")"
