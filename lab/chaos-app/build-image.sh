#!/usr/bin/env bash
# Build the lab target image (default tag aegis-target:dev) FROM scratch: no image registry is reachable
# here, so the image carries the host's node binary, the libraries ldd lists for it, a static busybox
# (for HEALTHCHECK's wget) and app.mjs. Skips the build when the image already carries the same inputs'
# hash, so reruns are instant. The rootfs steps are shared with deploy/docker/build-local.sh
# (scripts/lib/rootfs.sh).
# Note: Debian's busybox before 1.36.1-5 is built without wget's -T option and segfaults when given it;
# bound a health check with the HEALTHCHECK timeout (or `timeout 1 wget ...`) instead.
# Usage: lab/chaos-app/build-image.sh [tag]
set -euo pipefail

tag="${1:-aegis-target:dev}"
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
script="$here/$(basename "${BASH_SOURCE[0]}")"
lib="$here/../../scripts/lib/rootfs.sh"
app="$here/app.mjs"
image_label="aegis-target"
# shellcheck source=../../scripts/lib/rootfs.sh
source "$lib"

node_bin="$(readlink -f "$(command -v node)")"
node_version="$("$node_bin" --version)"
hash="$( { cat "$app" "$script" "$lib"; echo "$node_version $node_bin"; } | sha256sum | cut -d' ' -f1)"

if image_up_to_date "$tag" "$hash"; then
  say "$tag is up to date (${hash:0:12})"
  exit 0
fi

if ! dpkg -s busybox-static >/dev/null 2>&1 || [ ! -x /bin/busybox ]; then
  say "installing busybox-static from Debian"
  export DEBIAN_FRONTEND=noninteractive
  apt-get install -y -qq busybox-static >/dev/null 2>&1 || { apt-get update -qq && apt-get install -y -qq busybox-static >/dev/null; }
fi

ctx="$(mktemp -d "${TMPDIR:-/tmp}/aegis-target-build.XXXXXX")"
trap 'rm -rf "$ctx"' EXIT
root="$ctx/rootfs"
say "assembling rootfs in $ctx (node $node_version from $node_bin)"

put_node_and_libs "$node_bin"
put_busybox sh wget timeout
mkdir -p "$root/app"
cp "$app" "$root/app/app.mjs"

cat >"$ctx/Dockerfile" <<EOF
FROM scratch
COPY rootfs/ /
ENV PORT=8081
LABEL aegis.build-hash="$hash"
STOPSIGNAL SIGTERM
ENTRYPOINT ["$node_bin", "/app/app.mjs"]
EOF

build_image "$tag" "$ctx" "$hash"
