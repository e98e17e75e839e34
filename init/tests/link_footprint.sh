#!/usr/bin/env bash
# keel-init's footprint as PID 1 (docs/BENCHMARKS.md, "keel-init at scale"): it maps only
# libc and libsystemd, links no iostreams or locale code, and stays at most 1.5 MB stripped.
# Usage: link_footprint.sh PATH_TO_KEEL_INIT
set -euo pipefail
bin=$1
fail=0
allowed="libsystemd.so.0 libc.so.6 ld-linux-x86-64.so.2"
for lib in $(readelf -d "$bin" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p'); do
  if [[ " $allowed " != *" $lib "* ]]; then
    echo "FAIL: keel-init needs $lib; only $allowed are expected (see init/CMakeLists.txt)"
    fail=1
  fi
done
# std::locale comes with iostreams, std::filesystem or fmt's {:L}: each drags in libstdc++'s
# locale facets (hundreds of KiB that PID 1 keeps resident).
if nm -C "$bin" | grep -qE 'std::locale::classic|std::ios_base::Init'; then
  echo "FAIL: keel-init links libstdc++'s locale/iostream code; use keel::sys::read_file or sys::list_dir"
  fail=1
fi
stripped=$(mktemp)
trap 'rm -f "$stripped"' EXIT
strip -o "$stripped" "$bin"
size=$(stat -c %s "$stripped")
if ((size > 1500000)); then
  echo "FAIL: keel-init is $size bytes stripped; the target is at most 1.5 MB"
  fail=1
fi
((fail == 0)) && echo "PASS: keel-init needs only $allowed; $size bytes stripped"
exit $fail
