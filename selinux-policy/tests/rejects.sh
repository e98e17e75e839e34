#!/bin/bash
# Builds a copy of the policy with one defect and checks build-policy's verdict.
# usage: rejects.sh syntax|neverallow|none SRC_DIR FILE.cil...
#   syntax:     a stray ')' in rules.cil -> fails, naming rules.cil and the line
#   neverallow: container_t may write /usr (os_t) -> fails, naming the neverallow and the rule
#   none:       the policy as it is -> compiles, and file_contexts labels keel-init init_exec_t
set -u
defect=$1 src=$2; shift 2
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
for f in "$@"; do cp "$src/$f" "$tmp/$f"; done
line=$(($(wc -l < "$tmp/rules.cil") + 1))
case $defect in
  syntax) echo '(allow container_t os_t file (read)))' >> "$tmp/rules.cil" ;;
  neverallow) echo '(allow container_t os_t (file (write)))' >> "$tmp/rules.cil" ;;
  none) ;;
  *) echo "FAIL: unknown defect $defect"; exit 1 ;;
esac
files=(); for f in "$@"; do files+=("$tmp/$f"); done
"$src/build-policy" "$tmp/out" "${files[@]}" > "$tmp/log" 2>&1
rc=$?
cat "$tmp/log"
expect() {  # expect REGEX: the log must match it
  grep -Eq -- "$1" "$tmp/log" || { echo "FAIL: no line matching '$1' in the output above"; exit 1; }
}
case $defect in
  syntax)
    [ $rc -ne 0 ] || { echo "FAIL: a syntax error compiled"; exit 1; }
    expect "line $line of .*rules\.cil"
    expect "selinux-policy: secilc rejected the policy" ;;
  neverallow)
    [ $rc -ne 0 ] || { echo "FAIL: a neverallow violation compiled"; exit 1; }
    expect "neverallow check failed at .*neverallow\.cil:[0-9]+"
    expect "allow at .*rules\.cil:$line"
    expect "selinux-policy: secilc rejected the policy" ;;
  none)
    [ $rc -eq 0 ] || { echo "FAIL: the policy does not compile"; exit 1; }
    [ -s "$tmp/out/policy.33" ] || { echo "FAIL: no policy.33"; exit 1; }
    grep -Eq '^/usr/bin/keel-init[[:space:]]+--[[:space:]]+system_u:object_r:init_exec_t:s0$' \
      "$tmp/out/file_contexts" || { echo "FAIL: file_contexts lacks keel-init"; exit 1; } ;;
esac
echo "PASS selinux.$defect"
