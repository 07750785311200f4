#!/usr/bin/env bash
# Build the AegisOps image (default tag aegisops:dev) FROM scratch, for machines that cannot pull a base
# image (ours cannot). It holds what the Dockerfile's image holds: the packed package (npm pack: built
# JavaScript and data files, no TypeScript), its production dependencies, this host's node binary and the
# shared libraries ldd lists for node and the native addons, busybox for HEALTHCHECK's wget, and a
# non-root user (uid 10001). Skips the build when the image already carries the same inputs' hash.
# Usage: deploy/docker/build-local.sh [tag]
set -euo pipefail

tag="${1:-aegisops:dev}"
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
say() { echo "[aegisops-image] $*" >&2; }

node_bin="$(readlink -f "$(command -v node)")"
node_version="$("$node_bin" --version)"
# The inputs: every file the package ships (git's view of the tree), the lock file and this script.
hash="$(
  cd "$repo"
  {
    git ls-files -s -- bin agent tools runbooks prompts evals server core store cli lab deploy package.json package-lock.json tsconfig.json tsconfig.build.json scripts/build.mjs 2>/dev/null || true
    git diff HEAD 2>/dev/null || true
    cat "$here/build-local.sh"
    echo "$node_version $node_bin"
  } | sha256sum | cut -d' ' -f1
)"
current="$(docker image inspect --format '{{ index .Config.Labels "aegis.build-hash" }}' "$tag" 2>/dev/null || true)"
if [ "$current" = "$hash" ]; then
  say "$tag is up to date (${hash:0:12})"
  exit 0
fi
[ -x /bin/busybox ] || { say "busybox-static is missing (apt-get install busybox-static)"; exit 1; }

ctx="$(mktemp -d "${TMPDIR:-/tmp}/aegisops-image.XXXXXX")"
trap 'rm -rf "$ctx"' EXIT
root="$ctx/rootfs"
mkdir -p "$root/app" "$root/bin" "$root/tmp" "$root/etc" "$ctx/data"

say "packing the package (npm pack builds dist/)"
tarball="$(cd "$repo" && npm pack --silent --pack-destination "$ctx" | tail -n 1)"
tar -xzf "$ctx/$tarball" -C "$ctx"
cp -a "$ctx/package/." "$root/app/"
cp "$repo/package-lock.json" "$root/app/"

say "installing production dependencies"
# --ignore-scripts: the native addon is not compiled again; this checkout's build of the same version
# (same node, same lock file) is copied in below.
(cd "$root/app" && npm ci --omit=dev --ignore-scripts --no-audit --no-fund --prefer-offline >/dev/null)
rm -f "$root/app/package-lock.json"
cp -a "$repo/node_modules/better-sqlite3/build" "$root/app/node_modules/better-sqlite3/"

# Copy a file's content to the same path inside the rootfs; symlinks resolved so the loader finds it.
put() {
  local src="$1" dest="$root$1"
  [ -e "$dest" ] && return 0
  mkdir -p "$(dirname "$dest")"
  cp -L "$src" "$dest"
}
put "$node_bin"
while read -r lib; do put "$lib"; done < <(
  {
    ldd "$node_bin"
    find "$root/app/node_modules" \( -name '*.node' -o -name '*.so' \) -exec ldd {} \; 2>/dev/null
  } | awk '{ for (i = 1; i <= NF; i++) if ($i ~ /^\//) { print $i; break } }' | sort -u
)
ln -sf "$node_bin" "$root/bin/node" 2>/dev/null || true
cp /bin/busybox "$root/bin/busybox"
for tool in sh wget; do ln -sf busybox "$root/bin/$tool"; done
chmod 1777 "$root/tmp"
printf 'root:x:0:0:root:/root:/bin/sh\naegis:x:10001:10001:aegis:/data:/bin/sh\n' >"$root/etc/passwd"
printf 'root:x:0:\naegis:x:10001:\n' >"$root/etc/group"

version="$(node -p 'require(process.argv[1]).version' "$root/app/package.json")"
revision="$(cd "$repo" && git rev-parse HEAD 2>/dev/null || echo unknown)"
cat >"$ctx/Dockerfile" <<DOCKERFILE
FROM scratch
COPY --chown=0:0 rootfs/ /
# /data belongs to the runtime user, so a named volume mounted there (Docker copies the image directory's
# owner into a new volume) is writable by it.
COPY --chown=10001:10001 data/ /data/
ENV NODE_ENV=production AEGIS_HOST=0.0.0.0 AEGIS_PORT=8080 AEGIS_DB=/data/aegis.db PATH=/bin
WORKDIR /data
USER 10001:10001
EXPOSE 8080
VOLUME ["/data"]
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=3 CMD wget -q -O /dev/null "http://127.0.0.1:\${AEGIS_PORT:-8080}/healthz" || exit 1
LABEL org.opencontainers.image.title="AegisOps" \\
      org.opencontainers.image.description="Autonomous incident responder for Docker and Kubernetes" \\
      org.opencontainers.image.version="$version" \\
      org.opencontainers.image.revision="$revision" \\
      org.opencontainers.image.licenses="Apache-2.0" \\
      aegis.build-hash="$hash"
STOPSIGNAL SIGTERM
ENTRYPOINT ["$node_bin", "/app/bin/aegis.js"]
CMD ["serve"]
DOCKERFILE

old_id="$(docker image inspect --format '{{ .Id }}' "$tag" 2>/dev/null || true)"
say "building $tag"
if ! out="$(DOCKER_BUILDKIT=0 docker build --quiet --tag "$tag" "$ctx" 2>&1)"; then
  echo "$out" >&2
  exit 1
fi
if [ -n "$old_id" ] && [ "$(docker image inspect --format '{{ .Id }}' "$tag")" != "$old_id" ]; then
  docker rmi "$old_id" >/dev/null 2>&1 || true
fi
say "built $tag (${hash:0:12})"
