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
lib="$repo/scripts/lib/rootfs.sh"
image_label="aegisops-image"
# shellcheck source=../../scripts/lib/rootfs.sh
source "$lib"

node_bin="$(readlink -f "$(command -v node)")"
node_version="$("$node_bin" --version)"
# The inputs: every file the package ships (git's view of the tree), the lock file and this script.
hash="$(
  cd "$repo"
  {
    git ls-files -s -- bin agent tools runbooks prompts evals server core store cli lab deploy package.json package-lock.json tsconfig.json tsconfig.build.json scripts/build.mjs scripts/lib 2>/dev/null || true
    git diff HEAD 2>/dev/null || true
    cat "$here/build-local.sh" "$lib"
    echo "$node_version $node_bin"
  } | sha256sum | cut -d' ' -f1
)"
if image_up_to_date "$tag" "$hash"; then
  say "$tag is up to date (${hash:0:12})"
  exit 0
fi

ctx="$(mktemp -d "${TMPDIR:-/tmp}/aegisops-image.XXXXXX")"
trap 'rm -rf "$ctx"' EXIT
root="$ctx/rootfs"
mkdir -p "$root/app" "$root/etc" "$ctx/data"

say "packing the package (npm pack builds dist/)"
tarball="$(cd "$repo" && npm pack --silent --pack-destination "$ctx" | tail -n 1)"
tar -xzf "$ctx/$tarball" -C "$ctx"
cp -a "$ctx/package/." "$root/app/"
cp "$repo/package-lock.json" "$root/app/"
# The lock file names the simulator's workspace folder (lab/kube-sim, package @aegisops/kube-sim); the tarball
# bundles its built copy, which goes where the lock file expects it so `npm ci` links it.
mkdir -p "$root/app/lab"
mv "$root/app/node_modules/@aegisops/kube-sim" "$root/app/lab/kube-sim"

say "installing production dependencies"
# --ignore-scripts: the native addon is not compiled again; this checkout's build of the same version
# (same node, same lock file) is copied in below.
(cd "$root/app" && npm ci --omit=dev --ignore-scripts --no-audit --no-fund --prefer-offline >/dev/null)
rm -f "$root/app/package-lock.json"
cp -a "$repo/node_modules/better-sqlite3/build" "$root/app/node_modules/better-sqlite3/"

put_node_and_libs "$node_bin" "$root/app/node_modules"
put_busybox sh wget
ln -sf "$node_bin" "$root/bin/node" 2>/dev/null || true
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

build_image "$tag" "$ctx" "$hash"
