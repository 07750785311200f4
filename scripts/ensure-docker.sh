#!/usr/bin/env bash
# Make sure a Docker engine answers. Installs Debian's docker.io when the daemon binary is missing and,
# when no daemon answers, starts one in the background with no bridge network (DESIGN.md §5): every
# container we run uses --network host, so all traffic stays on 127.0.0.1.
set -euo pipefail

if docker info >/dev/null 2>&1; then
  exit 0
fi

if ! command -v dockerd >/dev/null 2>&1; then
  echo "[setup] installing docker.io from Debian" >&2
  export DEBIAN_FRONTEND=noninteractive
  if [ ! -x /usr/sbin/policy-rc.d ] || ! grep -q 'exit 101' /usr/sbin/policy-rc.d; then
    printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
    chmod +x /usr/sbin/policy-rc.d
  fi
  apt-get update -qq
  apt-get install -y -qq docker.io >/dev/null
fi

log="${TMPDIR:-/tmp}/aegis-dockerd.log"
echo "[setup] starting dockerd (log: $log)" >&2
nohup dockerd --bridge=none --iptables=false --ip-forward=false --ip-masq=false >"$log" 2>&1 &

for _ in $(seq 1 120); do
  if docker info >/dev/null 2>&1; then
    echo "[setup] docker engine is up" >&2
    exit 0
  fi
  sleep 0.5
done
echo "[setup] docker engine did not answer within 60 s; see $log" >&2
exit 1
