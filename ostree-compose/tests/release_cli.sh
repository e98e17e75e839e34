#!/usr/bin/env bash
# keel-compose release on small trees: the first release creates the repository, the next
# ones chain to it with a changelog, a signature and static deltas; refused releases (same
# or older version, missing key, unknown branch, a version the tree was not composed as)
# and a release that fails half-way leave what is published byte for byte as it was.
set -euo pipefail
COMPOSE=$1
T=$(mktemp -d /tmp/keel-release-cli.XXXXXX)
trap 'rm -rf "$T"' EXIT
B=keel/x86_64/test
fail() { echo "FAIL: $*"; exit 1; }
published() { (cd "$T/pub" && sha256sum summary refs/heads/$B && ls -R deltas delta-indexes 2>/dev/null); }
commit() {  # commit VERSION CONTAINER-TEXT PACKAGES
  mkdir -p "$T/tree/usr/lib/keel/containers" "$T/tree/usr/lib/keel/images/busybox"
  printf '%s\n' "$2" >"$T/tree/usr/lib/keel/containers/hello.toml"
  printf '# list\n%s\n' "$3" >"$T/tree/usr/lib/keel/packages"
  echo '{}' >"$T/tree/usr/lib/keel/images/busybox/index.json"
  head -c 300000 /dev/urandom >"$T/tree/usr/big-$1"
  ostree commit --repo="$T/build" -b $B --tree=dir="$T/tree" --add-metadata-string=version="$1" -s "$1" >/dev/null
}
refused() {  # refused MESSAGE ARGS...: fails, says MESSAGE, publishes nothing new
  local msg=$1; shift
  local before; before=$(published)
  if "$COMPOSE" release "$@" >"$T/out" 2>&1; then cat "$T/out"; fail "release $* succeeded"; fi
  grep -qF -- "$msg" "$T/out" || { cat "$T/out"; fail "no '$msg' in the error"; }
  [[ $(published) == "$before" ]] || fail "release $* changed what is published"
  echo "ok: refused: $(grep error "$T/out" | head -1)"
}
ostree init --repo="$T/build" --mode=archive
"$COMPOSE" keygen --secret "$T/k.key" --public "$T/k.pub" >/dev/null

# A first release that fails creates nothing.
commit 1.0.0 'image = "busybox"' 'libc6 2.36-9 amd64'
if "$COMPOSE" release --repo "$T/pub" --from "$T/build:$B" --key "$T/nokey" --version 1.0.0 2>"$T/err"; then
  fail "released without a key"
fi
grep -q "keel-compose keygen" "$T/err" || { cat "$T/err"; fail "the missing key error does not say what to do"; }
[[ ! -e $T/pub && ! -e $T/pub.tmp ]] || fail "a failed first release left a repository behind"

"$COMPOSE" release --repo "$T/pub" --from "$T/build:$B" --key "$T/k.key" --version 1.0.0 | tee "$T/out"
grep -q "first release on $B" "$T/out" || fail "no first-release changelog"
commit 1.1.0 'image = "busybox"
command = ["echo", "hi"]' 'libc6 2.36-10 amd64
curl 7.88 amd64'
"$COMPOSE" release --repo "$T/pub" --from "$T/build:$B" --key "$T/k.key" --version 1.1.0 | tee "$T/out"
log=$(ostree log --repo="$T/pub" $B)
[[ $(grep -c '^commit ' <<<"$log") == 2 ]] || fail "1.1.0's parent is not 1.0.0: $log"
grep -q "^Version: 1.1.0" <<<"$log" || fail "no version 1.1.0"
changelog=$(ostree show --repo="$T/pub" --print-metadata-key=keel.changelog $B)
for want in "package added curl 7.88" "package libc6 2.36-9 -> 2.36-10" "container changed hello"; do
  grep -qF "$want" <<<"$changelog" || fail "the changelog lacks '$want': $changelog"
done
ostree show --repo="$T/pub" --print-detached-metadata-key=ostree.sign.ed25519 $B | grep -q . ||
  fail "1.1.0 is not signed"
ostree summary --view --repo="$T/pub" | grep -q "Version (ostree.commit.version): 1.1.0" ||
  fail "the summary does not list 1.1.0"
# Deltas from 1.0.0's release commit (hosts that installed it from here) and from the
# commit it was composed as (hosts installed from 1.0.0's disk image hold that one).
v100=$(ostree rev-parse --repo="$T/pub" "$B^")
v100_src=$(ostree show --repo="$T/pub" --print-metadata-key=keel.source-commit "$v100" | tr -d "'")
deltas=$(ostree static-delta list --repo="$T/pub")
[[ $(grep -c -- - <<<"$deltas") == 2 ]] || fail "expected two deltas (from 1.0.0 and its composed commit): $deltas"
for from in "$v100" "$v100_src"; do
  grep -q -- "^$from-$(ostree rev-parse --repo="$T/pub" $B)$" <<<"$deltas" || fail "no delta from $from: $deltas"
done
ostree fsck --repo="$T/pub" >/dev/null

refused "version 1.1.0 is published already" --repo "$T/pub" --from "$T/build:$B" --key "$T/k.key" --version 1.1.0
commit 1.0.5 'image = "busybox"' 'libc6 2.36-10 amd64'
refused "is not newer than the latest release 1.1.0" --repo "$T/pub" --from "$T/build:$B" --key "$T/k.key" --version 1.0.5
refused "was composed as version 1.0.5" --repo "$T/pub" --from "$T/build:$B" --key "$T/k.key" --version 2.0.0
refused "no branch or commit keel/x86_64/nope" --repo "$T/pub" --from "$T/build:keel/x86_64/nope" --key "$T/k.key" --version 2.0.0
refused "not a release version" --repo "$T/pub" --from "$T/build:$B" --key "$T/k.key" --version v2

# Half-way: the commit and its signature are written, the delta cannot be. Clients still
# see 1.1.0 only; the next release goes through.
commit 1.2.0 'image = "busybox"' 'libc6 2.36-11 amd64'
mv "$T/pub/deltas" "$T/deltas.saved" && touch "$T/pub/deltas"
refused "generating the static delta" --repo "$T/pub" --from "$T/build:$B" --key "$T/k.key" --version 1.2.0
rm "$T/pub/deltas" && mv "$T/deltas.saved" "$T/pub/deltas"
ostree fsck --repo="$T/pub" >/dev/null
"$COMPOSE" release --repo "$T/pub" --from "$T/build:$B" --key "$T/k.key" --version 1.2.0 --deltas 2 >/dev/null
[[ $(ostree static-delta list --repo="$T/pub" | grep -c -- "-$(ostree rev-parse --repo="$T/pub" $B)") == 4 ]] ||
  fail "expected deltas from 1.1.0 and 1.0.0 (each release and composed commit) to 1.2.0"
echo "release cli: PASS"
