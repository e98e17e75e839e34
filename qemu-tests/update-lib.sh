# Shared helpers of the update tests (qemu-tests/010_update, sourced after lib.sh): the
# fixture that composes the update test image and publishes its releases, and Debian's
# nginx serving one publication to the guest. docs/UPDATES.md "QEMU tests".

UPDATE_BRANCH=keel/x86_64/update
UPDATE_V1=0.1.0
UPDATE_V2=0.2.0
# The kinds of v2 the fixture publishes, each in its own repository FIXTURE/www/KIND/keel.
UPDATE_KINDS=(good gate panic)

# update_derive SCRATCH KIND: commits v2 of KIND on UPDATE_BRANCH of the archive repository
# SCRATCH (which holds v1 there), the way update/tests/nginx_update.sh derives a release:
#   good   one container definition changed (hello's greeting)
#   gate   plus a required container whose health check never passes, made a boot gate,
#          with one boot attempt and a 30 s deadline
#   panic  plus an initramfs that is not one: the kernel panics at boot (panic=-1 reboots)
# os-release and the commit's version say UPDATE_V2.
update_derive() {
  local scratch=$1 kind=$2 o
  o=$(mktemp -d)
  mkdir -p "$o/usr/lib/keel/containers"
  ostree cat --repo="$scratch" "$UPDATE_BRANCH" /usr/lib/keel/containers/hello.toml |
    sed "s|^command = .*|command = [\"/bin/sh\", \"-c\", \"echo Hello from $UPDATE_V2\"]|" \
      >"$o/usr/lib/keel/containers/hello.toml"
  ostree cat --repo="$scratch" "$UPDATE_BRANCH" /usr/lib/os-release |
    sed "s/^VERSION_ID=.*/VERSION_ID=\"$UPDATE_V2\"/; s/^VERSION=.*/VERSION=\"$UPDATE_V2\"/" \
      >"$o/usr/lib/os-release"
  case $kind in
    good) ;;
    gate)
      cat >"$o/usr/lib/keel/containers/required.toml" <<'EOF'
# v2's required service, broken: it runs, but its health check never passes.
image = "busybox"
restart = "always"
ready = "healthy"
command = ["/bin/sh", "-c", "echo 'required: started; never healthy'; exec sleep 1000"]
[health]
exec = ["/bin/false"]
interval = "2s"
timeout = "1s"
retries = 1
EOF
      ostree cat --repo="$scratch" "$UPDATE_BRANCH" /usr/lib/keel/boot.toml |
        sed 's/^tries = .*/tries = 1/; s/^deadline = .*/deadline = 30/;
             s/^gates = .*/gates = ["network", "required"]/' >"$o/usr/lib/keel/boot.toml"
      grep -q '^tries = 1$' "$o/usr/lib/keel/boot.toml" || { echo "FAIL: boot.toml has no tries"; return 1; }
      ;;
    panic)
      local kver
      kver=$(ostree ls --repo="$scratch" "$UPDATE_BRANCH" /usr/lib/modules | awk 'NR == 2 {print $5}')
      kver=${kver##*/}
      [[ -n $kver ]] || { echo "FAIL: no kernel in $UPDATE_BRANCH"; return 1; }
      mkdir -p "$o/usr/lib/modules/$kver"
      # Not a cpio archive: the kernel finds no /init, cannot mount root=LABEL= without
      # one, and panics.
      head -c 65536 /dev/zero | tr '\0' 'K' >"$o/usr/lib/modules/$kver/initramfs.img"
      ostree cat --repo="$scratch" "$UPDATE_BRANCH" /usr/lib/keel/boot.toml |
        sed 's/^tries = .*/tries = 1/' >"$o/usr/lib/keel/boot.toml"
      ;;
    *) echo "FAIL: update_derive: unknown kind $kind"; return 1 ;;
  esac
  ostree commit --repo="$scratch" -b "$UPDATE_BRANCH" --tree=ref="$UPDATE_BRANCH" --tree=dir="$o" \
    --selinux-policy-from-base --add-metadata-string=version="$UPDATE_V2" \
    -s "update test $UPDATE_V2 ($kind)" >/dev/null
  rm -rf "$o"
}

# update_fixture COMPOSE SRC_DIR BUILD_DIR: a fresh key pair, the update test image
# (images/update.toml, trusting the key) composed into BUILD_DIR/images/update, and for each
# kind of v2 a publication of v1 and v2 (signed, static delta v1 -> v2) in
# BUILD_DIR/images/update/www/KIND/keel.
update_fixture() {
  local compose=$1 src=$2 build=$3 out=$3/images/update
  local keys=$build/images/update-keys
  rm -rf "$keys" && mkdir -p "$keys"
  "$compose" keygen --secret "$keys/release.key" --public "$keys/release.pub" >/dev/null
  "$compose" build "$src/images/update.toml" --update-key "$keys/release.pub" \
    --out "$out" --repo "$build/repo" --cache "$build/cache/debs" \
    --work "$build/work/update" --binaries "$build/bin"
  update_publish "$compose" "$build"
}

# update_publish COMPOSE BUILD_DIR: the publications of update_fixture, from the composed
# v1 in BUILD_DIR/repo.
update_publish() {
  local compose=$1 build=$2 out=$2/images/update keys=$2/images/update-keys
  local kind scratch
  rm -rf "$out/www" "$out/scratch"
  mkdir -p "$out/www" "$out/scratch"
  for kind in "${UPDATE_KINDS[@]}"; do
    scratch=$out/scratch/$kind
    ostree init --repo="$scratch" --mode=archive
    ostree pull-local --repo="$scratch" "$build/repo" "$UPDATE_BRANCH" >/dev/null
    "$compose" release --repo "$out/www/$kind/keel" --from "$scratch:$UPDATE_BRANCH" \
      --key "$keys/release.key" --version "$UPDATE_V1"
    update_derive "$scratch" "$kind"
    "$compose" release --repo "$out/www/$kind/keel" --from "$scratch:$UPDATE_BRANCH" \
      --key "$keys/release.key" --version "$UPDATE_V2" | tee "$out/www/$kind.release"
    grep -q "^Static delta from $UPDATE_V1: " "$out/www/$kind.release" ||
      { echo "FAIL: no static delta $UPDATE_V1 -> $UPDATE_V2 for $kind"; return 1; }
  done
  update_publish_tampered "$compose" "$build"
  rm -rf "$out/scratch"
  # The size a full install fetches: the objects of v1's publication.
  du -sb --apparent-size "$out/www/good/keel/objects" | cut -f1 >"$out/www/v1-object-bytes"
  # Serving needs only read access, but nginx's worker runs as nobody when not root.
  chmod -R a+rX "$out/www"
}

# update_publish_tampered COMPOSE BUILD_DIR: the attackers' publications that
# qemu.010_update.tampered serves from BUILD_DIR/images/update/www/tampered/NAME/keel, as
# update/tests/nginx_update.sh makes them: each holds v1 as published, signed with the
# release key, and a v2 (the good kind) that the host must refuse before deploying it:
#   wrongkey        v2 signed with a key the image does not trust
#   unsigned        v2 committed (on top of v1, v1's tree) without a signature
#   modified        v2 signed, one of its file objects (hello.toml) replaced by v1's copy
#                   of the file; no deltas, so the client fetches that object on its own
#   modified-delta  v2 signed, one byte flipped in each part of its static deltas
update_publish_tampered() {
  local compose=$1 build=$2 out=$2/images/update keys=$2/images/update-keys
  local scratch=$2/images/update/scratch/tampered www=$2/images/update/www/tampered
  local name repo new_obj old_obj part parts=0
  rm -rf "$www" && mkdir -p "$www"
  ostree init --repo="$scratch" --mode=archive
  ostree pull-local --repo="$scratch" "$build/repo" "$UPDATE_BRANCH" >/dev/null
  "$compose" keygen --secret "$keys/other.key" --public "$keys/other.pub" >/dev/null
  for name in wrongkey unsigned modified modified-delta; do
    "$compose" release --repo "$www/$name/keel" --from "$scratch:$UPDATE_BRANCH" \
      --key "$keys/release.key" --version "$UPDATE_V1" >/dev/null
  done
  update_derive "$scratch" good
  "$compose" release --repo "$www/wrongkey/keel" --from "$scratch:$UPDATE_BRANCH" \
    --key "$keys/other.key" --version "$UPDATE_V2" >/dev/null
  repo=$www/unsigned/keel
  ostree commit --repo="$repo" -b "$UPDATE_BRANCH" --tree=ref="$UPDATE_BRANCH" \
    --add-metadata-string=version="$UPDATE_V2" -s "unsigned $UPDATE_V2" >/dev/null
  ostree summary -u --repo="$repo"
  for name in modified modified-delta; do
    "$compose" release --repo "$www/$name/keel" --from "$scratch:$UPDATE_BRANCH" \
      --key "$keys/release.key" --version "$UPDATE_V2" >/dev/null
  done
  repo=$www/modified/keel
  new_obj=$(ostree ls -C --repo="$repo" "$UPDATE_BRANCH" /usr/lib/keel/containers/hello.toml | awk '{print $5}')
  old_obj=$(ostree ls -C --repo="$repo" "$UPDATE_BRANCH^" /usr/lib/keel/containers/hello.toml | awk '{print $5}')
  [[ -n $new_obj && -n $old_obj && $new_obj != "$old_obj" ]] ||
    { echo "FAIL: hello.toml is the same object in $UPDATE_V1 and $UPDATE_V2 of $repo"; return 1; }
  cp "$repo/objects/${old_obj:0:2}/${old_obj:2}.filez" "$repo/objects/${new_obj:0:2}/${new_obj:2}.filez"
  rm -rf "$repo/deltas" "$repo/delta-indexes"
  ostree summary -u --repo="$repo"
  # Every delta of this repository leads to v2 (v1 is the first release).
  while read -r part; do
    printf '\xff' | dd of="$part" bs=1 seek=100 conv=notrunc status=none
    parts=$((parts + 1))
  done < <(find "$www/modified-delta/keel/deltas" -type f -name '[0-9]*')
  [[ $parts -gt 0 ]] || { echo "FAIL: no static delta part to modify in $www/modified-delta"; return 1; }
  echo "update fixture: tampered publications in $www (wrongkey, unsigned, modified, modified-delta: $parts delta part(s) flipped)"
}

# update_nginx DIR [CONF_DIR]: Debian's nginx serves DIR on a free loopback port
# (unprivileged config in CONF_DIR, default DIR.nginx/, access log CONF_DIR/access.log),
# and KEEL_GUESTFWD makes the guest's http://10.0.2.100/ reach it. Stopped when the
# test's shell exits. UPDATE_NGINX_RATE (nginx's limit_rate, "1k") slows the objects and
# deltas down to that many bytes a second per connection: a slow link, whose download
# lasts long enough for qemu.011_power_cut to cut the power in the middle of it.
# UPDATE_NGINX_PROBE is the path fetched to know nginx is up (default keel/config).
update_nginx() {
  local dir conf attempt port slow= probe=${UPDATE_NGINX_PROBE:-keel/config}
  dir=$(realpath "$1")
  conf=${2:-$dir.nginx}
  if [[ -n ${UPDATE_NGINX_RATE:-} ]]; then
    slow="location /keel/objects/ { limit_rate $UPDATE_NGINX_RATE; }
  location /keel/deltas/ { limit_rate $UPDATE_NGINX_RATE; }"
  fi
  command -v nginx >/dev/null || { echo "FAIL: nginx is not installed: run scripts/install-deps"; exit 1; }
  rm -rf "$conf" && mkdir -p "$conf"
  UPDATE_NGINX_PID=
  trap 'if [[ -n $UPDATE_NGINX_PID ]]; then kill $UPDATE_NGINX_PID 2>/dev/null || true; fi' EXIT
  for attempt in 1 2 3 4 5; do
    port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
    cat >"$conf/nginx.conf" <<EOF
daemon off;
master_process off;
user root;
pid $conf/nginx.pid;
error_log $conf/error.log;
events { worker_connections 64; }
http {
  access_log $conf/access.log;
  client_body_temp_path $conf/body;
  proxy_temp_path $conf/proxy;
  fastcgi_temp_path $conf/fastcgi;
  uwsgi_temp_path $conf/uwsgi;
  scgi_temp_path $conf/scgi;
  default_type application/octet-stream;
  server {
  listen 127.0.0.1:$port; root $dir;
  $slow
  }
}
EOF
    timeout 1200 nginx -p "$conf" -c "$conf/nginx.conf" -e "$conf/error.log" &
    UPDATE_NGINX_PID=$!
    for _ in $(seq 50); do
      kill -0 "$UPDATE_NGINX_PID" 2>/dev/null || break
      python3 -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:$port/$probe', timeout=1)" 2>/dev/null && break
      sleep 0.2
    done
    if python3 -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:$port/$probe', timeout=1)" 2>/dev/null; then
      : >"$conf/access.log"
      KEEL_GUESTFWD="tcp:10.0.2.100:80-cmd:$(dirname "${BASH_SOURCE[0]}")/tcp-relay.py $port"
      echo "host: nginx serves $dir on 127.0.0.1:$port for the guest's http://10.0.2.100/"
      return 0
    fi
    kill "$UPDATE_NGINX_PID" 2>/dev/null || true
    wait "$UPDATE_NGINX_PID" 2>/dev/null || true
    UPDATE_NGINX_PID=
  done
  cat "$conf/error.log"
  echo "FAIL: nginx did not start"
  exit 1
}

# update_served_bytes ACCESS_LOG: the body bytes nginx sent (combined log format, field 10).
update_served_bytes() {
  awk '{n += $10} END {print n + 0}' "$1"
}
