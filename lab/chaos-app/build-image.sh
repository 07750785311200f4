#!/usr/bin/env bash
# Build the lab target image (default tag aegis-target:dev) FROM scratch: no image registry is reachable
# here, so the image carries the host's node binary, the libraries ldd lists for it, a static busybox
# (for HEALTHCHECK's wget) and app.mjs. Skips the build when the image already carries the same inputs'
# hash, so reruns are instant.
# Note: Debian's busybox before 1.36.1-5 is built without wget's -T option and segfaults when given it;
# bound a health check with the HEALTHCHECK timeout (or `timeout 1 wget ...`) instead.
# Usage: lab/chaos-app/build-image.sh [tag]
set -euo pipefail

tag="${1:-aegis-target:dev}"
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
script="$here/$(basename "${BASH_SOURCE[0]}")"
app="$here/app.mjs"

say() { echo "[aegis-target] $*" >&2; }

node_bin="$(readlink -f "$(command -v node)")"
node_version="$("$node_bin" --version)"
hash="$( { cat "$app" "$script"; echo "$node_version $node_bin"; } | sha256sum | cut -d' ' -f1)"

current="$(docker image inspect --format '{{ index .Config.Labels "aegis.build-hash" }}' "$tag" 2>/dev/null || true)"
if [ "$current" = "$hash" ]; then
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

# Copy a file's content to the same path inside the rootfs; symlinks are resolved so the path the
# loader asks for exists as a real file.
put() {
  local src="$1" dest="$root$1"
  mkdir -p "$(dirname "$dest")"
  cp -L "$src" "$dest"
}

put "$node_bin"
# ldd prints "lib => /path (0x..)" for libraries and "/path (0x..)" for the dynamic loader; the vDSO has no path.
while read -r lib; do
  put "$lib"
done < <(ldd "$node_bin" | awk '{ for (i = 1; i <= NF; i++) if ($i ~ /^\//) { print $i; break } }')

mkdir -p "$root/bin" "$root/app" "$root/tmp"
chmod 1777 "$root/tmp"
cp /bin/busybox "$root/bin/busybox"
ln -s busybox "$root/bin/sh"
ln -s busybox "$root/bin/wget"
ln -s busybox "$root/bin/timeout"
cp "$app" "$root/app/app.mjs"

cat >"$ctx/Dockerfile" <<EOF
FROM scratch
COPY rootfs/ /
ENV PORT=8081
LABEL aegis.build-hash="$hash"
STOPSIGNAL SIGTERM
ENTRYPOINT ["$node_bin", "/app/app.mjs"]
EOF

old_id="$(docker image inspect --format '{{ .Id }}' "$tag" 2>/dev/null || true)"
say "building $tag"
# The engine is 20.10 and buildx may be absent: the classic builder works everywhere. Its output (and
# its deprecation notice) is shown only when the build fails.
if ! out="$(DOCKER_BUILDKIT=0 docker build --quiet --tag "$tag" "$ctx" 2>&1)"; then
  echo "$out" >&2
  exit 1
fi
# The previous build loses its tag; drop it unless a container still uses it, so reruns do not pile up
# 100 MB dangling images.
if [ -n "$old_id" ] && [ "$(docker image inspect --format '{{ .Id }}' "$tag")" != "$old_id" ]; then
  docker rmi "$old_id" >/dev/null 2>&1 || true
fi
say "built $tag (${hash:0:12})"
