#!/bin/sh
# Runs every cmocka test binary; prints a closing "N passed, N failed" line.
build=$1; shift
pass=0; fail=0; failed=""
for t in "$@"; do
    if "$t"; then pass=$((pass + 1)); else fail=$((fail + 1)); failed="$failed $(basename "$t")"; fi
done
[ -n "$failed" ] && echo "failed test programs:$failed"
echo "test programs: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
