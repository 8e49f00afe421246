#!/bin/sh
# Runs a sweep, then draws its charts: the common use of `tlbsim sweep` and
# plots/sweep-plots.sh in one command (what `make plots` runs).
# Usage: plots/sweep-and-plot.sh [-j N] SPEC.yaml [SWEEP_DIR [PLOT_DIR]]
#   SWEEP_DIR  default: results/sweeps/<spec name> (the default of a spec without out:)
#   PLOT_DIR   default: plots/out
# Finished points are reused (the sweep resumes); delete SWEEP_DIR to redo
# them after changing the simulator. Exit status: the sweep's, else the plots'.
set -eu
HERE=$(cd "$(dirname "$0")" && pwd -P)
TLBSIM=${TLBSIM:-$HERE/../build/tlbsim}
JOBS=""
if [ "${1:-}" = "-j" ]; then
    [ $# -ge 2 ] || { echo "sweep-and-plot: -j needs a number" >&2; exit 2; }
    JOBS="-j $2"
    shift 2
fi
[ $# -ge 1 ] && [ $# -le 3 ] || {
    echo "usage: plots/sweep-and-plot.sh [-j N] SPEC.yaml [SWEEP_DIR [PLOT_DIR]]" >&2
    exit 2
}
SPEC=$1
NAME=$(basename "$SPEC"); NAME=${NAME%.*}
SWEEP=${2:-results/sweeps/$NAME}
PLOTS=${3:-plots/out}
# shellcheck disable=SC2086
"$TLBSIM" sweep "$SPEC" --out "$SWEEP" $JOBS
sh "$HERE/sweep-plots.sh" "$SWEEP" "$PLOTS"
