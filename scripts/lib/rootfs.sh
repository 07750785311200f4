# Shared by the FROM-scratch image builds (lab/chaos-app/build-image.sh, deploy/docker/build-local.sh): no
# image registry is reachable here, so an image is this host's node binary, the libraries ldd lists for
# it, a static busybox and the app, assembled into a rootfs and built with the classic builder.
# Source it; it defines functions only. Callers set `root` (the rootfs directory) before calling them.

say() { echo "[${image_label:-image}] $*" >&2; }

# True when the image `tag` already carries the inputs' hash (label aegis.build-hash).
image_up_to_date() {
  local tag="$1" hash="$2" current
  current="$(docker image inspect --format '{{ index .Config.Labels "aegis.build-hash" }}' "$tag" 2>/dev/null || true)"
  [ "$current" = "$hash" ]
}

# Copy a file's content to the same path inside the rootfs; symlinks are resolved so the path the loader
# asks for exists as a real file. A file already there is kept.
put() {
  local src="$1" dest="$root$1"
  [ -e "$dest" ] && return 0
  mkdir -p "$(dirname "$dest")"
  cp -L "$src" "$dest"
}

# Put node and every library ldd lists for it (and for the native addons found under the given
# directories) into the rootfs. ldd prints "lib => /path (0x..)" for libraries and "/path (0x..)" for the
# dynamic loader; the vDSO has no path.
put_node_and_libs() {
  local node_bin="$1"
  shift
  put "$node_bin"
  while read -r lib; do put "$lib"; done < <(
    {
      ldd "$node_bin"
      local dir
      for dir in "$@"; do
        find "$dir" \( -name '*.node' -o -name '*.so' \) -exec ldd {} \; 2>/dev/null
      done
    } | awk '{ for (i = 1; i <= NF; i++) if ($i ~ /^\//) { print $i; break } }' | sort -u
  )
}

# A static busybox as /bin/busybox, linked under the names given (sh, wget ...), and a world-writable /tmp.
put_busybox() {
  [ -x /bin/busybox ] || { say "busybox-static is missing (apt-get install busybox-static)"; exit 1; }
  mkdir -p "$root/bin" "$root/tmp"
  chmod 1777 "$root/tmp"
  cp /bin/busybox "$root/bin/busybox"
  local tool
  for tool in "$@"; do ln -sf busybox "$root/bin/$tool"; done
}

# Build `ctx` (a Dockerfile beside rootfs/) as `tag`. The engine may be old and buildx absent: the classic
# builder works everywhere; its output (and its deprecation notice) is shown only when the build fails.
# The previous build loses its tag; it is dropped unless a container still uses it, so reruns do not pile
# up 100 MB dangling images.
build_image() {
  local tag="$1" ctx="$2" hash="$3" old_id out
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
}
