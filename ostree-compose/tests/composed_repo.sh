#!/usr/bin/env bash
# The repository `make image` composed passes `ostree fsck`, and its branch's newest
# commit carries the version from images/default.toml.
set -euo pipefail
REPO=$1 SRC=$2
version=$(sed -n 's/^version = "\(.*\)"/\1/p' "$SRC/images/default.toml" | head -1)
ostree fsck --repo="$REPO" | tail -1
log=$(ostree log --repo="$REPO" keel/x86_64/default | head -8)
echo "$log"
grep -q "^Version: $version\$" <<<"$log" || { echo "FAIL: no 'Version: $version' in ostree log"; exit 1; }
echo "ok: commit has version $version"
