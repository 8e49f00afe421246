#!/bin/sh
# The one dependency rule: the engine (sim/) never includes models/.
set -eu
if grep -rnE '#include[[:space:]]*"(\.\./)?models/' sim; then
    echo "lint: sim/ must not include models/" >&2; exit 1
fi
# Size budget: list (do not fail on) source files over 500 lines.
find sim models cli -name '*.[ch]' -exec wc -l {} + | awk '$2 != "total" && $1 > 500 {print "lint: over budget: " $2 " (" $1 " lines)"}'
echo "lint: ok"
