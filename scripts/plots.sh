#!/bin/sh
# `make plots`: PNGs from a sweep (scripts/sweep.sh), with gnuplot and awk only.
#
#   scripts/plots.sh [SWEEP_DIR [PLOT_DIR]]
#
# SWEEP_DIR (default results/sweep-seed000) must hold sweep.tsv and one
# directory per point. For the default directory the seed 000 sweep is run
# first when it is missing or older than build/tlbsim. Writes into PLOT_DIR
# (default results/plots):
#   ipi-rate.png   ipi_received per second over simulated time, one panel per
#                  scenario, one line per run (from each timeseries.tsv)
#   ipi-bars.png   interrupts/s per run (sweep.tsv), with the published values
#   cpu-time.png   CPU time categories per run, % of all CPUs x window (vmstat.txt)
# and the data + variable files gnuplot reads into PLOT_DIR/data/; re-render one
# plot with e.g.  gnuplot -c plots/ipi-bars.gp results/plots/data/ipi-bars.vars.gp
set -eu

ROOT=$(cd "$(dirname "$0")/.." && pwd -P)
DEFAULT_SWEEP=results/sweep-seed000
SWEEP=${1:-$DEFAULT_SWEEP}
PLOTS=${2:-results/plots}
SWEEP=${SWEEP%/}
PLOTS=${PLOTS%/}
TLBSIM=${TLBSIM:-$ROOT/build/tlbsim}

die() { printf 'plots: error: %s\n' "$*" >&2; exit 1; }
# a gnuplot single-quoted string
gq() { printf "'%s'" "$(printf '%s' "$1" | sed "s/'/''/g")"; }

command -v gnuplot >/dev/null 2>&1 || die "gnuplot not found (Debian: apt-get install gnuplot-nox)"

if [ "$SWEEP" = "$DEFAULT_SWEEP" ] && [ $# -eq 0 ]; then
    if [ ! -f "$SWEEP/sweep.tsv" ]; then
        echo "plots: no $SWEEP/sweep.tsv; running the default seed 000 sweep (short windows)" >&2
        sh "$ROOT/scripts/sweep.sh" -o "$SWEEP"
    elif [ -x "$TLBSIM" ] && [ -n "$(find "$TLBSIM" -newer "$SWEEP/sweep.tsv")" ]; then
        echo "plots: $TLBSIM is newer than $SWEEP/sweep.tsv; re-running the default sweep" >&2
        sh "$ROOT/scripts/sweep.sh" -o "$SWEEP"
    fi
fi
[ -f "$SWEEP/sweep.tsv" ] || die "no $SWEEP/sweep.tsv; make one with scripts/sweep.sh -o $SWEEP SCENARIO.yaml ..."

DATA=$PLOTS/data
mkdir -p "$DATA"
rm -f "$DATA"/*.dat "$DATA"/*.vars.gp

if gnuplot -e 'set terminal' 2>&1 | grep -q '^ *pngcairo '; then
    TERM_GP='pngcairo noenhanced font "Sans,10"'
else
    TERM_GP='png noenhanced'
fi

# Published interrupts/s (shared/docs/validation-targets.md): Gorman's vmstat
# `in` column, i.e. every interrupt, which tlbsim counts as `interrupts`.
PUBLISHED='seed000-mmap-read-4node	per_page	x86-4s-48c	900000	T1c
seed000-mmap-read-4node	batch_full	x86-4s-48c	180000	T1c
seed000-mmap-read-1socket	per_page	x86-1s-8c	500000	T2
seed000-mmap-read-1socket	batch_full	x86-1s-8c	45000	T2'

# ---- runs.tsv: one row per point, with its label and scenario index ----
# columns: n point scenario sidx label interrupts_per_s published
printf '%s\n' "$PUBLISHED" >"$DATA/published.tsv"
awk -F'\t' -v OFS='\t' '
    FNR == NR { pub[$1 SUBSEP $2 SUBSEP $3] = $4; next }
    FNR == 1 {
        for (i = 1; i <= NF; i++) { col[$i] = i; if (!k1 && $i ~ /_per_s$/) k1 = i }
        if (!col["point"] || !col["scenario"] || !col["interrupts_per_s"] || !k1) {
            print "plots: sweep.tsv: missing columns" > "/dev/stderr"; exit 1 }
        for (i = 5; i < k1; i++) key[i] = $i
        next
    }
    {
        n++; row[n] = $0
        if (!(($2, $4) in seenm)) { seenm[$2, $4] = 1; if (++nm_s[$2] > nm) nm = nm_s[$2] }
        if (!($2 in sidx)) sidx[$2] = ++ns
    }
    END {
        for (r = 1; r <= n; r++) {
            split(row[r], f, "\t")
            lab = f[3]
            if (nm > 1) lab = lab " " f[4]
            for (i = 5; i < k1; i++) lab = lab " " key[i] "=" f[i]
            p = pub[f[2] SUBSEP f[3] SUBSEP f[4]]
            print r, f[1], f[2], sidx[f[2]], lab, f[col["interrupts_per_s"]], (p == "" ? "NaN" : p)
        }
    }' "$DATA/published.tsv" "$SWEEP/sweep.tsv" >"$DATA/runs.tsv"
NRUNS=$(wc -l <"$DATA/runs.tsv" | tr -d ' ')
[ "$NRUNS" -gt 0 ] || die "$SWEEP/sweep.tsv has no rows"
NSCEN=$(awk -F'\t' '$4 > m { m = $4 } END { print m }' "$DATA/runs.tsv")
SCENS=$(awk -F'\t' '!($3 in s) { s[$3]; printf "%s%s", sep, $3; sep = " " }' "$DATA/runs.tsv")

# ---- (a) ipi-rate: blocks of (time_ms, ipi_received/s), one file per scenario ----
# A run without any TLB interrupt has nothing to draw on a log axis: it is
# left out and counted in the panel title.
: >"$DATA/ipi-rate.lst"
while IFS='	' read -r _ point _ sidx label _ _; do
    ts=$SWEEP/$point/timeseries.tsv
    [ -f "$ts" ] || die "missing $ts"
    if awk -F'\t' -v label="$label" -v f="$ts" '
        NR == 1 {
            sub(/^# */, "")
            for (i = 1; i <= NF; i++) if ($i == "ipi_received") c = i
            if (!c) { print "plots: " f ": no ipi_received column" > "/dev/stderr"; exit 1 }
            printf "\"%s\" \"ipi_received/s\"\n", label; next
        }
        /^#/ || NF < c { next }
        { t[++n] = $1; v[n] = $c }
        # Each bucket as a horizontal segment [t, t + bucket); a bucket with
        # no interrupts leaves a gap (one blank line; two would end the block).
        END {
            if (!c) exit 1
            w = (n > 1 ? t[2] - t[1] : 1); gap = 1
            for (i = 1; i <= n; i++) {
                if (v[i] + 0 > 0) { printf "%s\t%s\n%s\t%s\n", t[i], v[i], t[i] + w, v[i]; gap = 0; any = 1 }
                else if (!gap) { printf "\n"; gap = 1 }
            }
            for (b = (gap && any); b < 2; b++) printf "\n"
            if (!any) exit 3
        }' "$ts" >"$DATA/ipi-rate.blk"; then
        cat "$DATA/ipi-rate.blk" >>"$DATA/ipi-rate-$sidx.dat"
        printf '%s\tdrawn\t%s\n' "$sidx" "$label" >>"$DATA/ipi-rate.lst"
    else
        rc=$?
        [ "$rc" -eq 3 ] || die "cannot read $ts"
        printf '%s\tempty\t%s\n' "$sidx" "$label" >>"$DATA/ipi-rate.lst"
    fi
done <"$DATA/runs.tsv"
rm -f "$DATA/ipi-rate.blk"
NBLOCKS=$(awk -F'\t' '$2 == "drawn" { c[$1]++ } END { for (s = 1; s <= '"$NSCEN"'; s++) printf "%s%d", (s > 1 ? " " : ""), c[s] }' "$DATA/ipi-rate.lst")
NEMPTY=$(awk -F'\t' '$2 == "empty" { c[$1]++ } END { for (s = 1; s <= '"$NSCEN"'; s++) printf "%s%d", (s > 1 ? " " : ""), c[s] }' "$DATA/ipi-rate.lst")
KEYCHARS=$(awk -F'\t' '$2 == "drawn" && length($3) > m { m = length($3) } END { print m + 0 }' "$DATA/ipi-rate.lst")
MACHS=$(for s in $SCENS; do
    awk -F'\t' -v s="$s" '$2 == s && !($4 in m) { m[$4]; x = x (x == "" ? "" : ",") $4 } END { printf "%s ", x }' "$SWEEP/sweep.tsv"
done)
YR=$(cat "$DATA"/ipi-rate-*.dat 2>/dev/null | awk '$2 + 0 > 0 { if (!lo || $2 < lo) lo = $2; if ($2 > hi) hi = $2 }
    END { if (!hi) { print "1 10"; exit }
          printf "%g %g\n", 10 ^ int(log(lo) / log(10) - (lo < 1)), 10 ^ (int(log(hi) / log(10) + 1e-9) + 1) }')
{
    echo "term = $(gq "$TERM_GP")"
    echo "out = $(gq "$PLOTS/ipi-rate.png")"
    echo "prefix = $(gq "$DATA/ipi-rate-")"
    echo "scens = $(gq "$SCENS")"
    echo "machs = $(gq "$MACHS")"
    echo "nblocks = $(gq "$NBLOCKS")"
    echo "nempty = $(gq "$NEMPTY")"
    echo "keychars = $KEYCHARS"
    echo "ymin = ${YR% *}; ymax = ${YR#* }"
} >"$DATA/ipi-rate.vars.gp"

# ---- (b) ipi-bars: x position per run, a gap between scenarios ----
awk -F'\t' -v OFS='\t' '
    function si(v) { return v >= 1e6 ? sprintf("%.2fM", v / 1e6) : v >= 1e4 ? sprintf("%.0fK", v / 1e3) : v >= 1e3 ? sprintf("%.1fK", v / 1e3) : sprintf("%.0f", v) }
    { if (NR > 1 && $3 != prev) x++; prev = $3
      split($5, w, " ")
      print x + 0, w[1], $3, $6, $7, si($6), ($7 == "NaN" ? "" : "paper " si($7)); x++ }' "$DATA/runs.tsv" >"$DATA/ipi-bars.dat"
POLICIES=$(awk -F'\t' '{ split($5, w, " "); if (!(w[1] in s)) { s[w[1]]; printf "%s%s", sep, w[1]; sep = " " } }' "$DATA/runs.tsv")
{
    echo "term = $(gq "$TERM_GP")"
    echo "out = $(gq "$PLOTS/ipi-bars.png")"
    echo "data = $(gq "$DATA/ipi-bars.dat")"
    echo "policies = $(gq "$POLICIES")"
    echo "nruns = $NRUNS"
    awk -F'\t' '
        function gs(s) { gsub(/"/, "\\\"", s); return "\"" s "\"" }
        # a tic label: one line per word (policy, machine, key=value), counted in nl
        function tl(s,  k, i, w) {
            k = split(s, w, " "); if (k > nl) nl = k
            for (i = 1; i <= k; i++) if (length(w[i]) > mc) mc = length(w[i])
            gsub(/ /, "\\n", s); return gs(s)
        }
        FNR == NR { lab[$1] = $5; next }
        { x[FNR] = $1
          for (i = 4; i <= 5; i++) if ($i != "NaN" && $i + 0 > 0) { if ($i + 0 > hi) hi = $i + 0; if (!lo || $i + 0 < lo) lo = $i + 0 }
          if (!($3 in first)) { first[$3] = $1; order[++ns] = $3 }; last[$3] = $1
          cnt[$3]++; m[$3, cnt[$3]] = $4; pp[$3, cnt[$3]] = $5; pol[$3, cnt[$3]] = $2 }
        END {
            printf "set xtics ("
            for (i = 1; i <= FNR; i++) printf "%s%s %d", (i > 1 ? ", " : ""), tl(lab[i]), x[i]
            printf ")\nnlines = %d\nmaxchars = %d\n", nl, mc
            for (k = 1; k <= ns; k++) {
                sc = order[k]; t = sc
                # two runs: their ratio, the form the published targets take
                if (cnt[sc] == 2 && m[sc, 2] > 0) {
                    t = t sprintf("\\n%s / %s: tlbsim %.1fx", pol[sc, 1], pol[sc, 2], m[sc, 1] / m[sc, 2])
                    if (pp[sc, 1] != "NaN" && pp[sc, 2] != "NaN") t = t sprintf(", paper %.1fx", pp[sc, 1] / pp[sc, 2])
                }
                printf "set label %d %s at first %g, graph 0 center offset 0, %g\n", k, gs(t), (first[sc] + last[sc]) / 2, -(nl + 1.5)
            }
            if (!hi) { hi = 10; lo = 1 }
            # one spare decade on top for the key
            printf "xmax = %d\nymin = %g\nymax = %g\n", x[FNR], 10 ^ int(log(lo / 3) / log(10) - (lo < 3)), 10 ^ (int(log(hi) / log(10) + 1e-9) + 2)
        }' "$DATA/runs.tsv" "$DATA/ipi-bars.dat"
} >"$DATA/ipi-bars.vars.gp"

# ---- (c) cpu-time: % of (CPUs x window) per category, one row per run ----
while IFS='	' read -r n point _ _ _ _ _; do
    d=$SWEEP/$point
    ncpu=$(sed -n 's/^  "n_cpus": *\([0-9]*\),*$/\1/p' "$d/results.json" | head -n 1)
    dur=$(sed -n 's/^  "duration_ns": *\([0-9]*\),*$/\1/p' "$d/results.json" | head -n 1)
    if [ -z "$ncpu" ] || [ -z "$dur" ]; then die "$d/results.json: no n_cpus or duration_ns"; fi
    awk -v n="$n" -v tot="$ncpu * $dur" -v ncpu="$ncpu" -v dur="$dur" '
        $1 ~ /^cpu_time_.*_ns$/ { c = $1; sub(/^cpu_time_/, "", c); sub(/_ns$/, "", c)
                                   printf "%s\t%s\t%.4f\n", n, c, 100 * $2 / (ncpu * dur) }' "$d/vmstat.txt"
done <"$DATA/runs.tsv" >"$DATA/cpu-time.long"
awk -F'\t' '
    { if (!($2 in seen)) { seen[$2]; cat[++nc] = $2 } v[$1, $2] = $3; if ($3 > 0) used[$2] = 1; if ($1 > nr) nr = $1 }
    END {
        printf "run"
        for (j = 1; j <= nc; j++) if (cat[j] in used) printf "\t%s", cat[j]
        printf "\n"
        for (r = 1; r <= nr; r++) {
            printf "%d", r
            for (j = 1; j <= nc; j++) if (cat[j] in used) printf "\t%s", v[r, cat[j]]
            printf "\n"
        }
    }' "$DATA/cpu-time.long" >"$DATA/cpu-time.dat"
rm -f "$DATA/cpu-time.long"
{
    echo "term = $(gq "$TERM_GP")"
    echo "out = $(gq "$PLOTS/cpu-time.png")"
    echo "data = $(gq "$DATA/cpu-time.dat")"
    echo "nruns = $NRUNS"
    echo "ncol = $(head -n 1 "$DATA/cpu-time.dat" | awk -F'\t' '{ print NF }')"
    awk -F'\t' '
        function gs(s) { gsub(/"/, "\\\"", s); return "\"" s "\"" }
        # a tic label: one line per word (policy, machine, key=value), counted in nl
        function tl(s,  k, i, w) {
            k = split(s, w, " "); if (k > nl) nl = k
            for (i = 1; i <= k; i++) if (length(w[i]) > mc) mc = length(w[i])
            gsub(/ /, "\\n", s); return gs(s)
        }
        { lab[NR] = $5; s = $3; if (!(s in first)) { first[s] = NR - 1; order[++ns] = s }; last[s] = NR - 1 }
        END {
            printf "set xtics ("
            for (i = 1; i <= NR; i++) printf "%s%s %d", (i > 1 ? ", " : ""), tl(lab[i]), i - 1
            printf ")\nnlines = %d\nmaxchars = %d\n", nl, mc
            for (k = 1; k <= ns; k++)
                printf "set label %d %s at first %g, graph 0 center offset 0, %g\n", k, gs(order[k]), (first[order[k]] + last[order[k]]) / 2, -(nl + 1.5)
        }' "$DATA/runs.tsv"
} >"$DATA/cpu-time.vars.gp"

for p in ipi-rate ipi-bars cpu-time; do
    gnuplot -c "$ROOT/plots/$p.gp" "$DATA/$p.vars.gp" || die "gnuplot failed on plots/$p.gp"
    echo "plots: wrote $PLOTS/$p.png" >&2
done
