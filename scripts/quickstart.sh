#!/usr/bin/env bash
# Installs the dependencies, builds tierfs, formats a volume on the embedded default (sqlite3 metadata
# file + a local directory as the bucket) unless one is there already, and mounts it in the background.
#   TIERFS_DATA_DIR    where meta.db, bucket/ and cache/ live   (default /var/lib/tierfs)
#   TIERFS_MOUNTPOINT  where to mount                             (default /mnt/tierfs)
#   TIERFS_VOLUME      volume name for a new volume               (default tierfs)
#   TIERFS_BIN         use this binary instead of building        (e.g. an installed one)
set -euo pipefail
cd "$(dirname "$0")/.."

data=${TIERFS_DATA_DIR:-/var/lib/tierfs}
mp=${TIERFS_MOUNTPOINT:-/mnt/tierfs}
name=${TIERFS_VOLUME:-tierfs}
meta="sqlite3://$data/meta.db"

if [ "$(id -u)" -ne 0 ]; then
  echo "quickstart.sh: run as root (a root shell, or sudo bash $0): it installs packages and mounts" >&2
  exit 1
fi

bash scripts/install-deps.sh

if [ -n "${TIERFS_BIN:-}" ]; then
  bin=$TIERFS_BIN
else
  echo "--- building (Release) into build/"
  cmake -G Ninja -S . -B build -DCMAKE_BUILD_TYPE=Release >/dev/null
  ninja -C build -j "${TIERFS_BUILD_JOBS:-$(nproc)}" | tail -n 1
  bin=$PWD/build/src/cli/tierfs
fi
[ -x "$bin" ] || { echo "quickstart.sh: $bin is not an executable" >&2; exit 1; }

mkdir -p "$data" "$mp"
if [ -e "$data/meta.db" ]; then
  # An existing file must be a volume: never format over it.
  "$bin" status "$meta" >/dev/null 2>"$data/status.err" || {
    echo "quickstart.sh: $data/meta.db exists but is not a usable volume:" >&2
    tail -n 1 "$data/status.err" >&2; exit 1; }
  echo "--- using the existing volume in $data"
else
  echo "--- formatting volume '$name' ($meta, bucket $data/bucket/)"
  "$bin" format "$meta" "$name" --storage file --bucket "$data/bucket/" >"$data/format.log" 2>&1 ||
    { tail -n 5 "$data/format.log" >&2; echo "quickstart.sh: format failed (log: $data/format.log)" >&2; exit 1; }
fi

if mountpoint -q "$mp"; then
  echo "--- $mp is already mounted; leaving it as it is"
else
  echo "--- mounting at $mp"
  "$bin" mount "$meta" "$mp" -d --cache-dir "$data/cache" >"$data/mount.log" 2>&1 ||
    { tail -n 5 "$data/mount.log" >&2; echo "quickstart.sh: mount failed (log: $data/mount.log)" >&2; exit 1; }
fi
mountpoint -q "$mp" || { echo "quickstart.sh: $mp is not mounted" >&2; exit 1; }

cat <<MSG

tierfs is mounted at $mp (metadata $data/meta.db, data $data/bucket/).
  use it:     ls $mp; cp -r /etc $mp/; cat $mp/.stats
  inspect:    $bin status $meta;  $bin info $mp/<file>
  unmount:    $bin umount $mp
  mount again: $bin mount $meta $mp -d
MSG
