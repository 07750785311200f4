#!/usr/bin/env bash
# One-time (idempotent) setup: Debian packages, a running Docker engine, npm dependencies.
# Needs root (or sudo) for the system packages. Safe to run again: it skips what is already there.
set -euo pipefail
cd "$(dirname "$0")/.."

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi

# Debian services must not start on install (they would listen on 0.0.0.0): policy-rc.d says no.
if [ ! -x /usr/sbin/policy-rc.d ] || ! grep -q 'exit 101' /usr/sbin/policy-rc.d; then
  printf '#!/bin/sh\nexit 101\n' | $SUDO tee /usr/sbin/policy-rc.d >/dev/null
  $SUDO chmod +x /usr/sbin/policy-rc.d
fi

missing=()
command -v dockerd >/dev/null 2>&1 || missing+=(docker.io)
[ -x /bin/busybox ] || missing+=(busybox-static)
command -v prometheus >/dev/null 2>&1 || missing+=(prometheus)
command -v prometheus-alertmanager >/dev/null 2>&1 || missing+=(prometheus-alertmanager)
# The Compose file (deploy/compose) is tested with Debian's docker-compose (1.29; the v2 plugin is not in Debian 12).
command -v docker-compose >/dev/null 2>&1 || missing+=(docker-compose)
# The dashboard's browser test drives Debian's Chromium through playwright-core (no browser download).
[ -x /usr/bin/chromium ] || missing+=(chromium)
# PostgreSQL tests start their own throwaway cluster from the server binaries (no service is started).
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || missing+=(postgresql)
if [ ${#missing[@]} -gt 0 ]; then
  echo "[setup] installing ${missing[*]} from Debian" >&2
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
fi

$SUDO bash scripts/ensure-docker.sh
# The chaos lab's target image (FROM scratch: the host's node binary, no registry needed).
bash lab/chaos-app/build-image.sh

if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "[setup] installing npm packages (better-sqlite3 compiles from source: about a minute)" >&2
  npm ci --no-audit --no-fund
else
  echo "[setup] npm packages are up to date" >&2
fi
# The dashboard's bundle (server/dashboard/assets): esbuild, well under a second.
npm run --silent build:dashboard
echo "[setup] done" >&2
