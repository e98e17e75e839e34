#!/usr/bin/env bash
# A broken image definition must fail with file:line and the fix, and leave no
# repository, output or scratch directory behind. Runs keel-compose for real (root).
set -euo pipefail
COMPOSE=$1 SRC=$2 CACHE=$3
T=$(mktemp -d /tmp/keel-bad-defs.XXXXXX)
trap 'rm -rf "$T"' EXIT
mkdir -p "$T/containers"
cp "$SRC/images/containers/hello.toml" "$SRC/images/containers/network.toml" \
  "$SRC/images/containers/network-udhcpc.script" "$T/containers/"
# 1. A TOML syntax error: an unterminated string on line 9.
sed 's/^version = "0.1.0"/version = "0.1.0/' "$SRC/images/default.toml" >"$T/syntax.toml"
# 2. A package Debian does not have, first in the include list. The expected
#    line comes from the file itself so edits to default.toml keep this honest.
sed 's/^include = \[/include = ["nosuchpkg-keel", /' "$SRC/images/default.toml" >"$T/badpkg.toml"
badline=$(grep -n '"nosuchpkg-keel"' "$T/badpkg.toml" | cut -d: -f1)
[[ -n $badline ]] || { echo "FAIL: could not insert the bad package into $T/badpkg.toml"; exit 1; }

failed=0
check() {  # check NAME EXPECTED-MESSAGE
  local name=$1 expected=$2 status=0
  "$COMPOSE" build "$T/$name.toml" --out "$T/out" --repo "$T/repo" --cache "$CACHE" \
    --work "$T/work" >"$T/$name.log" 2>&1 || status=$?
  if [[ $status -eq 0 ]]; then echo "FAIL $name: keel-compose succeeded"; failed=1; fi
  if grep -qF -- "$expected" "$T/$name.log"; then echo "ok   $name: $expected"
  else echo "FAIL $name: expected '$expected' in:"; cat "$T/$name.log"; failed=1; fi
  for left in out out.tmp repo repo.tmp work; do
    if [[ -e "$T/$left" ]]; then echo "FAIL $name: left $left behind"; failed=1; fi
  done
}
check syntax "$T/syntax.toml:9:17: TOML syntax error"
check badpkg "$T/badpkg.toml:$badline:12: package 'nosuchpkg-keel' does not exist in Debian bookworm"
[[ $failed -eq 0 ]] && echo "2 passed, 0 failed" || { echo "bad definitions: FAILED"; exit 1; }
