#!/usr/bin/env bash
# qemu.compose_update: the update tests' fixture (qemu-tests/update-lib.sh update_fixture):
# a fresh release key pair, images/update.toml composed trusting it, and the publications
# of v1 and each kind of v2 that qemu.010_update.* serve with nginx.
# usage: fixture.sh KEEL_COMPOSE SOURCE_DIR BUILD_DIR
set -euo pipefail
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/../update-lib.sh"
update_fixture "$1" "$2" "$3"
echo "update fixture: $3/images/update, publications in $3/images/update/www"
