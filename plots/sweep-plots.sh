#!/bin/sh
# Draws the charts of a finished sweep (tlbsim sweep), as PNG and SVG:
#   ipi-rate     shootdown IPIs/s over time, a panel per machine, a line per policy
#   bars         IPIs/s, flushes/s and app throughput per machine and policy
#   latency-cdf  CDF of shootdown latency, a panel per machine, a line per policy
#   cost-cpus    shootdown cost against CPUs (needs several machines)
#   cpu-time     CPU time by category per point (stacked)
# Usage: plots/sweep-plots.sh SWEEP_DIR [PLOT_DIR]   (default plots/out)
# A "series" is a policy plus the values of the sweep's other axes; repeats
# are averaged in bars and cost-cpus, and repeat 0 is drawn over time.
# The data gnuplot reads is kept in PLOT_DIR/data/. POSIX sh, awk, gnuplot.
set -eu

die() { printf 'sweep-plots: error: %s\n' "$*" >&2; exit 2; }

[ $# -ge 1 ] && [ $# -le 2 ] || die "usage: plots/sweep-plots.sh SWEEP_DIR [PLOT_DIR]"
SWEEP=${1%/}
OUT=${2:-plots/out}
HERE=$(cd "$(dirname "$0")" && pwd -P)
TSV=$SWEEP/sweep.tsv
[ -f "$TSV" ] || die "$TSV not found (run tlbsim sweep first)"
command -v gnuplot >/dev/null 2>&1 || die "gnuplot not found (scripts/prereq.sh installs it)"
DATA=$OUT/data
mkdir -p "$DATA"
rm -f "$DATA"/*.dat

# runs.tsv: point series machine_label ncpus nsockets repeat, then the
# metrics, with machines ordered by CPUs and series by first appearance.
NEEDED="point policy machine repeat ncpus nsockets ipi_received_per_s tlb_flush_per_s \
app_accesses_per_s shootdown_p99_ns cpu_app_pct cpu_reclaim_pct cpu_fault_pct cpu_irq_pct \
cpu_flush_wait_pct cpu_flush_local_pct cpu_dsb_stall_pct cpu_migration_pct cpu_sched_pct cpu_idle_pct"
awk -F'\t' -v OFS='\t' -v needed="$NEEDED" '
    NR == 1 {
        for (i = 1; i <= NF; i++) { col[$i] = i; name[i] = $i }
        split(needed, need, " ")
        for (k in need) if (!(need[k] in col)) { print "sweep-plots: " FILENAME ": no column " need[k] > "/dev/stderr"; exit 1 }
        next
    }
    {
        s = $col["policy"]
        # other axes: the columns between machine and repeat
        for (i = col["machine"] + 1; i < col["repeat"]; i++) s = s " " name[i] "=" $i
        m = sprintf("%s (%d CPUs, %d socket%s)", $col["machine"], $col["ncpus"], $col["nsockets"], ($col["nsockets"] > 1 ? "s" : ""))
        print $col["point"], s, m, $col["ncpus"], $col["nsockets"], $col["repeat"],
              $col["ipi_received_per_s"], $col["tlb_flush_per_s"], $col["app_accesses_per_s"],
              $col["shootdown_p99_ns"],
              $col["cpu_app_pct"], $col["cpu_reclaim_pct"], $col["cpu_fault_pct"], $col["cpu_irq_pct"],
              $col["cpu_flush_wait_pct"], $col["cpu_dsb_stall_pct"],
              $col["cpu_flush_local_pct"] + $col["cpu_migration_pct"] + $col["cpu_sched_pct"],
              $col["cpu_idle_pct"]
    }' "$TSV" >"$DATA/runs.raw" || die "cannot read $TSV"
[ -s "$DATA/runs.raw" ] || die "$TSV has no rows"
sort -t "$(printf '\t')" -s -k4,4n "$DATA/runs.raw" >"$DATA/runs.tsv"
SERIES=$(awk -F'\t' '!($2 in s) { s[$2]; print $2 }' "$DATA/runs.raw")
MACHS=$(awk -F'\t' '!($3 in s) { s[$3]; print $3 }' "$DATA/runs.tsv")
NSER=$(printf '%s\n' "$SERIES" | wc -l | tr -d ' ')
NMACH=$(printf '%s\n' "$MACHS" | wc -l | tr -d ' ')

# ---- per machine: shootdown IPIs/s over time, latency CDF (repeat 0) ----
k=0
printf '%s\n' "$MACHS" | while IFS= read -r mach; do
    k=$((k + 1))
    printf '%s\n' "$SERIES" | while IFS= read -r ser; do
        point=$(awk -F'\t' -v s="$ser" -v m="$mach" '$2 == s && $3 == m && $6 == 0 { print $1; exit }' "$DATA/runs.tsv")
        ts=$SWEEP/$point/timeseries.tsv
        lat=$SWEEP/$point/latency.tsv
        printf '%s\n' "$ser" >>"$DATA/rate-$k.dat"
        printf '%s\n' "$ser" >>"$DATA/cdf-$k.dat"
        if [ -n "$point" ] && [ -f "$ts" ] && [ -f "$lat" ]; then
            # a bucket without interrupts is NaN (a gap on the log axis)
            awk -F'\t' 'NR == 1 { sub(/^# */, ""); for (i = 1; i <= NF; i++) if ($i == "ipi_received") c = i; next }
                c { printf "%s\t%s\n", $1, ($c + 0 > 0 ? $c : "NaN") }' "$ts" >>"$DATA/rate-$k.dat"
            awk -F'\t' '$1 == "shootdown_latency_ns" { if (!n++ && $2 > 0) printf "%s\t0\n", $2; printf "%s\t%s\n", $3, $5 }
                END { if (!n) print "NaN\tNaN" }' "$lat" >>"$DATA/cdf-$k.dat"
        else
            printf 'NaN\tNaN\n' >>"$DATA/rate-$k.dat"
            printf 'NaN\tNaN\n' >>"$DATA/cdf-$k.dat"
        fi
        printf '\n\n' >>"$DATA/rate-$k.dat"
        printf '\n\n' >>"$DATA/cdf-$k.dat"
    done
done

# ---- tables over machines x series: means over repeats ----
table() { # column-in-runs.tsv zero-is-missing > file
    awk -F'\t' -v OFS='\t' -v c="$1" -v z="$2" -v series="$SERIES" '
        BEGIN { ns = split(series, S, "\n") }
        { if (!($3 in seen)) { seen[$3]; M[++nm] = $3 } sum[$3, $2] += $c; cnt[$3, $2]++ }
        END {
            printf "machine"; for (j = 1; j <= ns; j++) printf "\t%s", S[j]; printf "\n"
            for (i = 1; i <= nm; i++) {
                lab = M[i]; sub(/ \(/, "\\n(", lab)
                printf "\"%s\"", lab
                for (j = 1; j <= ns; j++) {
                    v = cnt[M[i], S[j]] ? sum[M[i], S[j]] / cnt[M[i], S[j]] : "NaN"
                    printf "\t%s", (v == "NaN" || (z && v <= 0)) ? "NaN" : sprintf("%.6g", v)
                }
                printf "\n"
            }
        }' "$DATA/runs.tsv"
}
table 7 1 >"$DATA/bars-ipi.dat"
table 8 1 >"$DATA/bars-flush.dat"
table 9 0 >"$DATA/bars-app.dat"

# cost.dat: per series, rows by CPUs: ncpus nsockets shootdown-CPU% p99 IPIs/s/CPU
printf '%s\n' "$SERIES" | while IFS= read -r ser; do
    printf '%s\n' "$ser"
    awk -F'\t' -v OFS='\t' -v s="$ser" '$2 == s {
            k = $4; if (!(k in n)) ord[++no] = k
            n[k]++; so[k] = $5; cost[k] += $14 + $15 + $16; p99[k] += $10; ipi[k] += $7 / $4 }
        END { for (i = 1; i <= no; i++) { k = ord[i]
                  printf "%d\t%d\t%.4f\t%s\t%s\n", k, so[k], cost[k] / n[k],
                         (p99[k] > 0 ? p99[k] / n[k] : "NaN"), (ipi[k] > 0 ? sprintf("%.6g", ipi[k] / n[k]) : "NaN") } }' "$DATA/runs.tsv"
    printf '\n\n'
done >"$DATA/cost.dat"

# cpu.dat: one stacked bar per point (repeat 0), machines by CPUs
awk -F'\t' -v OFS='\t' 'BEGIN { print "run", "application", "reclaim", "page faults", "interrupts", "flush wait", "DSB stall", "other kernel", "idle" }
    $6 == 0 { print "\"" $2 "\\n" $4 " CPUs, " $5 "s\"", $11, $12, $13, $14, $15, $16, $17, $18 }' "$DATA/runs.tsv" >"$DATA/cpu.dat"
NPTS=$(($(wc -l <"$DATA/cpu.dat") - 1))

# ---- gnuplot, PNG and SVG ----
COLS=$((NMACH > 1 ? 2 : 1))
ROWS=$(((NMACH + COLS - 1) / COLS))
gq() { printf '"%s"' "$(printf '%s' "$1" | sed 's/[\\"]/\\&/g')"; }
MACHWORDS=$(printf '%s\n' "$MACHS" | awk '{ gsub(/"/, ""); printf "%s\"%s\"", (NR > 1 ? " " : ""), $0 }')
draw() { # name size extra-vars
    for t in png svg; do
        term=$t
        [ "$t" = png ] && term=pngcairo
        gnuplot -e "dir=$(gq "$HERE"); data=$(gq "$DATA"); term=$(gq "$term"); size=$(gq "$2"); out=$(gq "$OUT/$1.$t"); $3" \
            "$HERE/$1.gp" || die "gnuplot failed on plots/$1.gp"
    done
    echo "sweep-plots: wrote $OUT/$1.png and $OUT/$1.svg" >&2
}
VARS="nseries=$NSER; nmach=$NMACH; rows=$ROWS; cols=$COLS; machs=$(gq "$MACHWORDS")"
draw ipi-rate "$((COLS * 560 + 200)),$((ROWS * 330 + 60))" "$VARS"
draw bars "$((NMACH * NSER * 30 + 500)),1100" "ncol=$((NSER + 1))"
draw latency-cdf "$((COLS * 560 + 100)),$((ROWS * 330 + 60))" "$VARS"
draw cost-cpus "1500,500" "nseries=$NSER"
draw cpu-time "$((NPTS * 75 + 400)),650" "ncol=9"
