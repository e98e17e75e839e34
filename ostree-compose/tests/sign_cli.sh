#!/usr/bin/env bash
# keel-compose keygen and sign on a real repository: the signature verifies with the
# public key, is refused with another key, and keygen never overwrites a secret key.
set -euo pipefail
COMPOSE=$1
T=$(mktemp -d /tmp/keel-sign-cli.XXXXXX)
trap 'rm -rf "$T"' EXIT
mkdir -p "$T/tree/usr" && echo v1 >"$T/tree/usr/version"
ostree init --repo="$T/repo" --mode=archive
ostree commit --repo="$T/repo" -b keel/x86_64/test --tree=dir="$T/tree" -s v1 >/dev/null
"$COMPOSE" keygen --secret "$T/release.key" --public "$T/release.pub"
"$COMPOSE" keygen --secret "$T/other.key" --public "$T/other.pub"
[[ $(stat -c %a "$T/release.key") == 600 ]] || { echo "FAIL: secret key mode $(stat -c %a "$T/release.key")"; exit 1; }
if "$COMPOSE" keygen --secret "$T/release.key" --public "$T/x.pub" 2>"$T/err"; then
  echo "FAIL: keygen overwrote a secret key"; exit 1
fi
grep -q "never overwrites" "$T/err" || { echo "FAIL: no clear error: $(cat "$T/err")"; exit 1; }
"$COMPOSE" sign --repo "$T/repo" --key "$T/release.key" --verify "$T/release.pub" keel/x86_64/test
if "$COMPOSE" sign --repo "$T/repo" --key "$T/other.key" --verify "$T/release.pub" \
  keel/x86_64/test 2>"$T/err"; then
  : # the commit now has two signatures, one of them by release.key: still valid
else
  echo "FAIL: a second signature broke verification: $(cat "$T/err")"; exit 1
fi
ostree show --repo="$T/repo" --print-detached-metadata-key=ostree.sign.ed25519 keel/x86_64/test \
  | grep -Eq "^\[(\[byte 0x|b['\"])" || { echo "FAIL: no ostree.sign.ed25519 aay in the detached metadata"; exit 1; }
echo "sign cli: PASS"
