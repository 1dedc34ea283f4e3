#!/usr/bin/env bash
# Runs the tests: scripts/test.sh [fast|full|all|soak]   (default: all = fast tier, then full tier)
#   fast: install deps, build, unit tests (ctest -L unit), e2e tests not marked `full` or `soak`
#   full: install deps, build, e2e tests marked `full` (the whole Linux tree)
#   all:  install deps, build, unit tests, then the fast and full e2e tests in one pytest run
#   soak: install deps, build, the long randomised e2e runs (marked `soak`; ~20 minutes, not in CI)
# The last line printed is the combined count, e.g. "tests: 212 passed, 0 failed, 0 skipped".
# Environment: TIERFS_BIN (binary under test; default build/src/cli/tierfs), TIERFS_BUILD_JOBS,
# TIERFS_SKIP_BUILD=1 (test an existing binary), PYTEST_ARGS (extra pytest arguments).
set -uo pipefail
cd "$(dirname "$0")/.."
tier=${1:-all}
case "$tier" in fast|full|all|soak) ;; *) echo "usage: $0 [fast|full|all|soak]" >&2; exit 2 ;; esac
start=$(date +%s)
out=$(mktemp -d /tmp/e2e-testsh.XXXXXX)
trap 'rm -rf "$out"' EXIT

finish() {  # finish PASSED FAILED SKIPPED: print the one summary line, exit by it
  echo "elapsed: $(( $(date +%s) - start ))s (unit tests and end-to-end tests together)"
  # The closing line, in the plain form CI reads: "tests: N passed, N failed, N skipped".
  echo "tests: $1 passed, $2 failed, $3 skipped"
  [ "$2" -eq 0 ] && exit 0 || exit 1
}

bash scripts/install-deps.sh || { echo "dependency installation failed" >&2; finish 0 1 0; }

if [ "${TIERFS_SKIP_BUILD:-0}" != 1 ]; then
  echo "--- build"
  cmake -G Ninja -S . -B build -DCMAKE_BUILD_TYPE=Release >"$out/cmake.log" 2>&1 ||
    { cat "$out/cmake.log" >&2; echo "cmake configure failed" >&2; finish 0 1 0; }
  ninja -C build -j "${TIERFS_BUILD_JOBS:-$(nproc)}" >"$out/ninja.log" 2>&1 ||
    { tail -n 60 "$out/ninja.log" >&2; echo "build failed" >&2; finish 0 1 0; }
fi

# juicefs is installed above: a test that needs it fails instead of skipping when it is not
# there (unit tests: tests/juicefs_required.h; e2e: the jfs fixture).
export TIERFS_REQUIRE_JUICEFS=${TIERFS_REQUIRE_JUICEFS:-1}

u_pass=0 u_fail=0 u_skip=0
if { [ "$tier" = fast ] || [ "$tier" = all ]; } && [ -d build ]; then
  echo "--- unit tests (ctest -L unit)"
  ctest --test-dir build --output-on-failure -L unit 2>&1 | tee "$out/ctest.log"
  ctest_rc=${PIPESTATUS[0]}
  # "100% tests passed, 0 tests failed out of 42"; skipped ones are listed as "  7 - Name (Skipped)"
  if line=$(grep -E '[0-9]+ tests failed out of [0-9]+' "$out/ctest.log" | tail -n 1); then
    total=$(sed -E 's/.* out of ([0-9]+).*/\1/' <<<"$line")
    u_fail=$(sed -E 's/.* ([0-9]+) tests failed.*/\1/' <<<"$line")
    u_skip=$(grep -cE '^[[:space:]]*[0-9]+ - .*\(Skipped\)$' "$out/ctest.log" || true)
    u_pass=$(( total - u_fail - u_skip ))
  elif ! grep -q "No tests were found" "$out/ctest.log"; then
    u_fail=1
  fi
  [ "$ctest_rc" -ne 0 ] && [ "$u_fail" -eq 0 ] && u_fail=1
fi

echo "--- end-to-end tests ($tier)"
case "$tier" in
  fast) marker=(-m "not full and not soak") ;;
  full) marker=(-m "full and not soak") ;;
  all)  marker=(-m "not soak") ;;
  soak) marker=(-m soak) ;;
esac
# One pytest run; per-test timeout so a hung FUSE call fails its test instead of the whole CI job.
# shellcheck disable=SC2086
python3 -m pytest tests/e2e "${marker[@]}" --timeout "${TIERFS_TEST_TIMEOUT:-1500}" \
  --junitxml="$out/e2e.xml" ${PYTEST_ARGS:-} 2>&1 | tee "$out/pytest.log"
rc=${PIPESTATUS[0]}
read -r e_pass e_fail e_skip < <(python3 - "$out/e2e.xml" <<'PY'
import sys, xml.etree.ElementTree as ET
try:
    root = ET.parse(sys.argv[1]).getroot()
except Exception:
    print(0, 1, 0); sys.exit()
t = f = s = 0
for ts in ([root] if root.tag == "testsuite" else root.iter("testsuite")):
    t += int(ts.get("tests", 0)); f += int(ts.get("failures", 0)) + int(ts.get("errors", 0))
    s += int(ts.get("skipped", 0))
print(t - f - s, f, s)
PY
)
if [ "$rc" -eq 5 ]; then echo "pytest collected no tests: that is a failure" >&2; e_fail=$(( e_fail + 1 )); fi
if [ "$rc" -ne 0 ] && [ "$e_fail" -eq 0 ]; then e_fail=1; fi
echo "unit: $u_pass passed, $u_fail failed, $u_skip skipped; e2e: $e_pass passed, $e_fail failed, $e_skip skipped"
finish $(( u_pass + e_pass )) $(( u_fail + e_fail )) $(( u_skip + e_skip ))
