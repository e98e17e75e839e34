#!/usr/bin/env bash
# Publishing and updating over HTTP, host-side (root, no QEMU): keel-compose release
# publishes the composed image (v1) and a one-container change of it (v2) into a repository
# that Debian's nginx serves on loopback; a fresh sysroot installs v1 from it, then
# `keelctl update` takes it to v2 through the static delta: the bytes downloaded must be
# under 2% of the image. Then four tampered publications (a commit signed with another key,
# an unsigned commit, a modified file object, a modified delta part) are each refused with
# a clear error and change nothing on the host, and `keelctl rollback` makes v1 the default
# again without touching /var.
# usage: nginx_update.sh KEEL_COMPOSE KEELCTL BUILD_REPO
set -euo pipefail
COMPOSE=$1 KEELCTL=$2 BUILD_REPO=$3
BRANCH=keel/x86_64/default
fail() { echo "FAIL: $*"; exit 1; }
ostree --repo="$BUILD_REPO" rev-parse "$BRANCH" >/dev/null 2>&1 ||
  fail "no $BRANCH in $BUILD_REPO: compose the default image first (make image)"
command -v nginx >/dev/null || fail "nginx is not installed: run scripts/install-deps"

T=$(mktemp -d /tmp/keel-update-nginx.XXXXXX)
chmod 755 "$T"
NGINX_PID=
cleanup() {
  if [[ -n $NGINX_PID ]]; then kill "$NGINX_PID" 2>/dev/null || true; wait "$NGINX_PID" 2>/dev/null || true; fi
  # OSTree makes deployment directories immutable (chattr +i).
  chattr -i "$T"/sysroot/ostree/deploy/*/deploy/* 2>/dev/null || true
  rm -rf "$T"
}
trap cleanup EXIT
S=$T/sysroot
json() { python3 -c "import json,sys; d=json.load(sys.stdin); print(eval(sys.argv[1]))" "$1"; }
# What must not change when an update is refused: deployments, refs, the boot entries.
host_state() {
  ostree admin status --sysroot="$S"
  ostree refs --repo="$S/ostree/repo" | sort | while read -r r; do echo "$r $(ostree rev-parse --repo="$S/ostree/repo" "$r")"; done
  ls "$S/ostree/deploy/keel/deploy"
  cat "$S"/boot/loader/entries/*.conf
}
var_state() { (cd "$S/ostree/deploy/keel/var" && find lib/keel/volumes log -type f -exec sha256sum {} + | sort); }

# --- Keys, the source repository, v1 and v2 ----------------------------------------------
"$COMPOSE" keygen --secret "$T/release.key" --public "$T/release.pub" >/dev/null
"$COMPOSE" keygen --secret "$T/other.key" --public "$T/other.pub" >/dev/null
mkdir -p "$T/keys" && cp "$T/release.pub" "$T/keys/"
ostree init --repo="$T/build" --mode=archive
ostree pull-local --repo="$T/build" "$BUILD_REPO" "$BRANCH" >/dev/null
V1=$(ostree show --repo="$T/build" --print-metadata-key=version "$BRANCH" | tr -d "'")
V2=$V1.1 V3=$V1.2

# A new release of the tree: one container's definition changed, os-release says VERSION.
derive() {  # derive VERSION COMMAND
  local o=$T/overlay-$1
  mkdir -p "$o/usr/lib/keel/containers"
  ostree cat --repo="$T/build" "$BRANCH" /usr/lib/keel/containers/hello.toml |
    sed "s|^command = .*|command = [\"/bin/sh\", \"-c\", \"echo $2\"]|" >"$o/usr/lib/keel/containers/hello.toml"
  ostree cat --repo="$T/build" "$BRANCH" /usr/lib/os-release |
    sed "s/^VERSION_ID=.*/VERSION_ID=\"$1\"/; s/^VERSION=.*/VERSION=\"$1\"/" >"$o/usr/lib/os-release"
  ostree commit --repo="$T/build" -b "$BRANCH" --tree=ref="$BRANCH" --tree=dir="$o" \
    --selinux-policy-from-base --add-metadata-string=version="$1" -s "test $1" >/dev/null
}

release() {  # release REPO VERSION KEY
  "$COMPOSE" release --repo "$1" --from "$T/build:$BRANCH" --key "$3" --version "$2"
}
release "$T/www/pub" "$V1" "$T/release.key" >"$T/release-v1.out" || { cat "$T/release-v1.out"; fail "release $V1"; }
IMAGE_BYTES=$(du -sb --apparent-size "$T/www/pub/objects" | cut -f1)
derive "$V2" "Hello from $V2"
release "$T/www/pub" "$V2" "$T/release.key" | tee "$T/release-v2.out"
grep -q "container changed hello" "$T/release-v2.out" || fail "the changelog does not name the changed container"
grep -q "^Static delta from $V1: " "$T/release-v2.out" || fail "no static delta from $V1"

# The attackers' copies, each one release further than pub, made before anything is served.
derive "$V3" "Hello from $V3"
for name in wrongkey unsigned modified modified-delta; do cp -a "$T/www/pub" "$T/www/$name"; done
release "$T/www/wrongkey" "$V3" "$T/other.key" >/dev/null
ostree commit --repo="$T/www/unsigned" -b "$BRANCH" --tree=ref="$BRANCH" \
  --add-metadata-string=version="$V3" -s "unsigned $V3" >/dev/null
ostree summary -u --repo="$T/www/unsigned"
for name in modified modified-delta; do release "$T/www/$name" "$V3" "$T/release.key" >/dev/null; done
# A file object of v3 that v2 lacks, replaced by another valid object (v2's copy of the file).
new_obj=$(ostree ls -C --repo="$T/www/modified" "$BRANCH" /usr/lib/keel/containers/hello.toml | awk '{print $5}')
old_obj=$(ostree ls -C --repo="$T/www/pub" "$BRANCH" /usr/lib/keel/containers/hello.toml | awk '{print $5}')
cp "$T/www/pub/objects/${old_obj:0:2}/${old_obj:2}.filez" "$T/www/modified/objects/${new_obj:0:2}/${new_obj:2}.filez"
# Without deltas the client fetches objects one by one (an attacker may drop them).
rm -rf "$T/www/modified/deltas" "$T/www/modified/delta-indexes"
ostree summary -u --repo="$T/www/modified"
# In the other copy, one byte flipped in each part of the deltas to v3.
parts=$(find "$T/www/modified-delta/deltas" -type f -name 0 -newer "$T/www/pub/summary")
[[ -n $parts ]] || fail "no delta part to modify"
for part in $parts; do printf '\xff' | dd of="$part" bs=1 seek=100 conv=notrunc status=none; done

# --- nginx on loopback, bounded, always stopped --------------------------------------------
mkdir -p "$T/nginx"
for attempt in 1 2 3 4 5; do
  PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  cat >"$T/nginx/nginx.conf" <<EOF
daemon off;
master_process off;
user root;
pid $T/nginx/nginx.pid;
error_log $T/nginx/error.log;
events { worker_connections 64; }
http {
  access_log $T/nginx/access.log;
  client_body_temp_path $T/nginx/body;
  proxy_temp_path $T/nginx/proxy;
  fastcgi_temp_path $T/nginx/fastcgi;
  uwsgi_temp_path $T/nginx/uwsgi;
  scgi_temp_path $T/nginx/scgi;
  default_type application/octet-stream;
  server { listen 127.0.0.1:$PORT; root $T/www; }
}
EOF
  timeout 600 nginx -p "$T/nginx" -c "$T/nginx/nginx.conf" -e "$T/nginx/error.log" &
  NGINX_PID=$!
  for _ in $(seq 50); do
    python3 -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:$PORT/pub/config', timeout=1)" 2>/dev/null && break
    sleep 0.2
  done
  python3 -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:$PORT/pub/config', timeout=1)" 2>/dev/null && break
  kill "$NGINX_PID" 2>/dev/null || true; wait "$NGINX_PID" 2>/dev/null || true; NGINX_PID=
done
[[ -n $NGINX_PID ]] || { cat "$T/nginx/error.log"; fail "nginx did not start"; }
URL=http://127.0.0.1:$PORT
echo "nginx serves $T/www at $URL"

# --- A fresh sysroot with v1, as an installer would write it --------------------------------
mkdir -p "$S"
ostree admin init-fs "$S" >/dev/null
ostree admin os-init keel --sysroot="$S" >/dev/null
ostree remote add --repo="$S/ostree/repo" --no-gpg-verify keel "$URL/pub/"
start=$(date +%s.%N)
ostree pull --repo="$S/ostree/repo" keel "$BRANCH@$(ostree rev-parse --repo="$T/www/pub" "$BRANCH^")" >"$T/pull-v1.out"
ostree admin deploy --sysroot="$S" --os=keel "keel:$BRANCH" >/dev/null
echo "installed $V1: $(tail -1 "$T/pull-v1.out") in $(python3 -c "print(round($(date +%s.%N) - $start, 1))") s"
mkdir -p "$S/ostree/deploy/keel/var/lib/keel/volumes/app/data" "$S/ostree/deploy/keel/var/log/keel"
echo "precious" >"$S/ostree/deploy/keel/var/lib/keel/volumes/app/data/db"
echo "[ 1.0] hello" >"$S/ostree/deploy/keel/var/log/keel/hello.log"
VAR_BEFORE=$(var_state)
# A change the host made to /etc: OSTree's three-way merge carries it into v2.
v1_dir=$(ls -d "$S"/ostree/deploy/keel/deploy/*.0)
echo "host-change" >"$v1_dir/etc/keel/marker"
cat >"$T/update.toml" <<EOF
url = "$URL/pub/"
trusted_keys = ["$T/keys"]
EOF
K=("$KEELCTL" --sysroot "$S" --config "$T/update.toml")

# --- v1 -> v2 through the static delta -------------------------------------------------------
"${K[@]}" update check | tee "$T/check.out"
grep -q "Published: $V2" "$T/check.out" || fail "update check does not offer $V2"
grep -q "container changed hello" "$T/check.out" || fail "update check shows no changelog"
: >"$T/nginx/access.log"
"${K[@]}" --json update download >"$T/download.json"
BYTES=$(json 'd["downloaded"]["bytes"] + d["fetched"]["bytes"]' <"$T/download.json")
DELTA=$(json 'd["downloaded"]["static_delta"]' <"$T/download.json")
[[ $DELTA == True ]] || fail "the download did not use the static delta: $(cat "$T/download.json")"
grep -q "GET /pub/deltas/" "$T/nginx/access.log" || fail "nginx served no delta"
! grep -q "GET /pub/objects/.*\.filez" "$T/nginx/access.log" || fail "file objects were fetched one by one"
PCT=$(python3 -c "print(f'{100 * $BYTES / $IMAGE_BYTES:.3f}')")
echo "downloaded $V1 -> $V2: $BYTES bytes ($PCT% of the image's $IMAGE_BYTES bytes of objects) through the static delta"
python3 -c "import sys; sys.exit(0 if $BYTES < 0.02 * $IMAGE_BYTES else 1)" || fail "$BYTES bytes is not under 2% of $IMAGE_BYTES"
"${K[@]}" update apply | tee "$T/apply.out"
"${K[@]}" --json status >"$T/status.json"
[[ $(json 'd["deployments"][0]["version"]' <"$T/status.json") == "$V2" ]] || fail "$V2 is not the default: $(cat "$T/status.json")"
[[ $(json 'd["deployments"][1]["version"]' <"$T/status.json") == "$V1" ]] || fail "$V1 is not kept for rollback"
v2_dir=$S/ostree/deploy/keel/deploy/$(json 'd["deployments"][0]["checksum"]' <"$T/status.json").$(json 'd["deployments"][0]["serial"]' <"$T/status.json")
[[ $(cat "$v2_dir/etc/keel/marker" 2>/dev/null) == host-change ]] || fail "/etc was not merged into $V2"
grep -q "echo Hello from $V2" "$v2_dir/usr/lib/keel/containers/hello.toml" || fail "$V2's container definition is not deployed"
[[ $(var_state) == "$VAR_BEFORE" ]] || fail "/var changed during the update"
echo "ok: $V2 deployed as the default, $V1 kept, /etc merged, /var untouched"

# --- Tampered publications: refused, nothing changes -----------------------------------------
refused() {  # refused NAME EXPECTED-MESSAGE
  sed -i "s|^url = .*|url = \"$URL/$1/\"|" "$T/update.toml"
  local before after
  before=$(host_state)
  if "${K[@]}" update apply >"$T/$1.out" 2>"$T/$1.err"; then
    cat "$T/$1.out"; fail "$1: the update was applied"
  fi
  grep -q "$2" "$T/$1.err" || { cat "$T/$1.err"; fail "$1: the error does not say: $2"; }
  after=$(host_state)
  [[ $before == "$after" ]] || { diff <(echo "$before") <(echo "$after"); fail "$1: the host changed"; }
  [[ $(var_state) == "$VAR_BEFORE" ]] || fail "$1: /var changed"
  echo "ok: $1 refused: $(cat "$T/$1.err")"
}
refused wrongkey "none of its 1 ed25519 signature(s) verifies with the 1 trusted key(s)"
refused unsigned "is not signed"
refused modified "does not match the signed commit; nothing was deployed: .*Corrupted file object"
refused modified-delta "does not match the signed commit; nothing was deployed: .*modified-delta/: "
sed -i "s|^url = .*|url = \"$URL/pub/\"|" "$T/update.toml"

# --- Rollback ---------------------------------------------------------------------------------
"${K[@]}" rollback | tee "$T/rollback.out"
"${K[@]}" --json status >"$T/status.json"
[[ $(json 'd["deployments"][0]["version"]' <"$T/status.json") == "$V1" ]] || fail "rollback did not make $V1 the default"
[[ $(json 'd["last_rollback"]["to"]["version"]' <"$T/status.json") == "$V1" ]] || fail "the rollback was not recorded"
[[ $(var_state) == "$VAR_BEFORE" ]] || fail "/var changed during the rollback"
"${K[@]}" status

# --- Policies: `keelctl update auto` ----------------------------------------------------------
default_version() { "${K[@]}" --json status | json 'd["deployments"][0]["version"]'; }
policy() { printf 'url = "%s/pub/"\ntrusted_keys = ["%s/keys"]\n%s\n' "$URL" "$T" "$1" >"$T/update.toml"; }
policy 'policy = "manual"'
"${K[@]}" update auto | grep -q "policy is manual" || fail "manual policy acted"
[[ $(default_version) == "$V1" ]] || fail "manual policy changed the default"
policy "policy = \"pinned\"
version = \"$V2\""
"${K[@]}" update auto
[[ $(default_version) == "$V2" ]] || fail "pinned $V2: the default is $(default_version)"
# Pinned to the older release: found by walking back from the signed head, and deployed.
policy "policy = \"pinned\"
version = \"$V1\""
"${K[@]}" update auto
[[ $(default_version) == "$V1" ]] || fail "pinned $V1: the default is $(default_version)"
# Automatic goes forward; outside its window it stages and leaves the reboot to the window.
hour=$(( ($(date -u +%-H) + 12) % 24 ))
policy "policy = \"automatic\"
[window]
start = \"$(printf %02d "$hour"):00\"
duration = \"1h\""
"${K[@]}" update auto | tee "$T/auto.out"
[[ $(default_version) == "$V2" ]] || fail "automatic: the default is $(default_version)"
grep -q "boots in the next maintenance window, from " "$T/auto.out" || fail "automatic did not wait for its window"
[[ $(var_state) == "$VAR_BEFORE" ]] || fail "/var changed during the policy runs"
echo "ok: policies manual, pinned (forward and back) and automatic with a window"
echo "update nginx: PASS"
