#!/bin/sh
# Sweep tlbsim over policies x machines x parameter values; see usage() and
# README.md ("Sweeps and plots"). POSIX sh + awk/sed; no Python.
set -eu

ROOT=$(cd "$(dirname "$0")/.." && pwd -P)
METRICS="ipi_received interrupts nr_tlb_remote_flush tlb_flush pages_unmapped pgsteal_kswapd \
pgsteal_direct app_accesses dtlb_load_misses cpu_time_flush_wait_ns cpu_time_irq_ns"
NL='
'
TAB=$(printf '\t')

usage() {
    cat <<'EOF'
Usage: scripts/sweep.sh [options] [SCENARIO.yaml ...]

Runs `tlbsim run --quiet` once per point of the cross product
  scenarios x policies (-p) x machines (-m) x values of each -s key
and writes OUTDIR/<point>/ (the usual result files) and OUTDIR/sweep.tsv
(one row per point; counters as per-simulated-second rates).

  -o OUTDIR     output directory (default results/sweep-<scenario name>, or
                results/sweep when several scenarios are given)
  -j JOBS       parallel runs (default: number of CPUs); results do not depend on it
  -w MS         warmup_ms for every point (default: the scenario's)
  -d MS         duration_ms for every point (default: the scenario's)
  -p "P1 P2"    policies (space or comma separated; default: the scenario's)
  -m "M1 M2"    machine files (default: the scenario's machine); see below
  -s KEY=V1,V2  sweep one --set key over comma-separated values; repeatable,
                the sweep is the cross product (e.g. -s kernel.lru_add_batch=14,31)
  -S KEY=VALUE  --set KEY=VALUE on every point, not part of the point name; repeatable
  -b TLBSIM     simulator binary (default: build/tlbsim of this checkout)
  -n            dry run: print the commands and exit
  -h            this help

Point names: [<scenario>__]<policy>__<machine>[__<key>=<value>...], with
characters outside [A-Za-z0-9._=+-] replaced by '_' (the scenario part only
when several scenarios are swept).

Machines: `--set machine.*` keys apply to the machine file's contents, so the
machine file itself cannot be switched with --set. For -m the script writes a
copy of the scenario with its machine path replaced (absolute) into
OUTDIR/.scenarios/ and runs that. The scenario's own machine overrides
(e.g. `nodes:` naming sockets) are kept and must fit the new machine.

With no SCENARIO: the seed 000 sweep that `make plots` uses, i.e.
  -o results/sweep-seed000 -w 100 -d 100 -p "per_page batch_full"
  configs/scenarios/seed000-mmap-read-4node.yaml
  configs/scenarios/seed000-mmap-read-1socket.yaml
(each of these can still be changed with the options above).
EOF
}

die() { printf 'sweep: error: %s\n' "$*" >&2; exit 2; }
# shell-quote one word
q() { printf "'%s'" "$(printf '%s' "$1" | sed "s/'/'\\\\''/g")"; }
# filesystem-safe name component
safe() { printf '%s' "$1" | sed 's/[^A-Za-z0-9._=+-]/_/g'; }
strip_yaml() { b=$(basename "$1"); b=${b%.yaml}; printf '%s' "${b%.yml}"; }
abspath() { (cd "$(dirname "$1")" && printf '%s/%s' "$(pwd -P)" "$(basename "$1")"); }

OUT="" JOBS="" WARM="" DUR="" POLICIES="" MACHINES="" SWEEPS="" FIXED="" DRY=0
TLBSIM="$ROOT/build/tlbsim"
# Options may come before or after the scenarios (getopts would stop at the first).
SCENS=""
while [ $# -gt 0 ]; do
    opt=$1; shift
    case $opt in
    -n) DRY=1; continue ;;
    -h | --help) usage; exit 0 ;;
    --) for a in "$@"; do SCENS="$SCENS$a$NL"; done; break ;;
    -[ojwdpmsSb]) [ $# -gt 0 ] || die "option $opt needs a value"; val=$1; shift ;;
    -[ojwdpmsSb]?*) val=${opt#-?}; opt=${opt%"$val"} ;;
    -*) usage >&2; die "unknown option '$opt'" ;;
    *) SCENS="$SCENS$opt$NL"; continue ;;
    esac
    case $opt in
    -o) OUT=$val ;;
    -j) JOBS=$val ;;
    -w) WARM=$val ;;
    -d) DUR=$val ;;
    -p) POLICIES="$POLICIES $(printf '%s' "$val" | tr ',' ' ')" ;;
    -m) MACHINES="$MACHINES$NL$(printf '%s' "$val" | tr ' ' '\n')" ;;
    -s) SWEEPS="$SWEEPS$val$NL" ;;
    -S) FIXED="$FIXED$val$NL" ;;
    -b) TLBSIM=$val ;;
    esac
done
set -f; IFS=$NL
# shellcheck disable=SC2086
set -- $SCENS
unset IFS; set +f

if [ $# -eq 0 ]; then
    if [ "$ROOT" = "$(pwd -P)" ]; then sdir=configs/scenarios; else sdir=$ROOT/configs/scenarios; fi
    set -- "$sdir/seed000-mmap-read-4node.yaml" "$sdir/seed000-mmap-read-1socket.yaml"
    [ -n "$OUT" ] || OUT=results/sweep-seed000
    [ -n "$WARM" ] || WARM=100
    [ -n "$DUR" ] || DUR=100
    [ -n "$(printf '%s' "$POLICIES" | tr -d ' ')" ] || POLICIES="per_page batch_full"
fi
NSCEN=$#

# ---- checks ----
[ -x "$TLBSIM" ] || die "simulator '$TLBSIM' not found or not executable (run 'make' first, or pass -b)"
if [ -z "$JOBS" ]; then
    JOBS=$(nproc 2>/dev/null || getconf _NPROCESSORS_ONLN 2>/dev/null || echo 1)
fi
case $JOBS in '' | *[!0-9]* | 0) die "-j wants a positive integer, got '$JOBS'" ;; esac
for v in "$WARM" "$DUR"; do
    case $v in *[!0-9.]*) die "-w/-d want milliseconds, got '$v'" ;; esac
done
for s in "$@"; do [ -f "$s" ] || die "scenario '$s' not found"; done
POLICIES=$(printf '%s' "$POLICIES" | tr -s ' ' | sed 's/^ //; s/ $//')
MACHINES=$(printf '%s\n' "$MACHINES" | sed '/^$/d')
printf '%s\n' "$MACHINES" | while IFS= read -r m; do
    [ -z "$m" ] || [ -f "$m" ] || die "machine file '$m' not found"
done
# -s specs: KEY=V1,V2,... ; policy and machine have their own options
SWEEPS=$(printf '%s' "$SWEEPS" | sed '/^$/d')
SKEYS=""
if [ -n "$SWEEPS" ]; then
    SKEYS=$(printf '%s\n' "$SWEEPS" | awk '{
        eq = index($0, "=")
        k = substr($0, 1, eq - 1); vals = substr($0, eq + 1)
        if (eq < 2 || vals == "" || vals ~ /(^,|,,|,$)/) { print "bad -s \"" $0 "\": want KEY=V1,V2,..." > "/dev/stderr"; exit 1 }
        if (k == "policy.name" || k == "machine" || k == "machine.path") { print "-s " k ": use -p for policies and -m for machine files" > "/dev/stderr"; exit 1 }
        if (k in seen) { print "-s " k " given twice" > "/dev/stderr"; exit 1 }
        seen[k] = 1; print k }') || die "bad -s option"
fi
printf '%s' "$FIXED" | sed '/^$/d' | while IFS= read -r f; do
    case $f in ?*=*) ;; *) die "bad -S '$f': want KEY=VALUE" ;; esac
done

if [ -z "$OUT" ]; then
    if [ "$NSCEN" -eq 1 ]; then OUT=results/sweep-$(strip_yaml "$1"); else OUT=results/sweep; fi
fi
OUT=${OUT%/}
mkdir -p "$OUT"
STATE=$OUT/.sweep
rm -rf "$STATE" "$OUT/.scenarios"
mkdir -p "$STATE"

# cross product of the -s values: one line per combination, KEY=VALUE<TAB>...
printf '%s\n' "$SWEEPS" | awk '
    BEGIN { n = 1; c[1] = "" }
    $0 != "" {
        eq = index($0, "="); k = substr($0, 1, eq - 1)
        nv = split(substr($0, eq + 1), v, ","); m = 0
        for (i = 1; i <= n; i++)
            for (j = 1; j <= nv; j++)
                d[++m] = (c[i] == "" ? "" : c[i] "\t") k "=" v[j]
        n = m; for (i = 1; i <= n; i++) c[i] = d[i]
    }
    END { for (i = 1; i <= n; i++) print c[i] }' >"$STATE/combos"

# Scenario copy with the machine path replaced (see usage: --set cannot do it).
rewrite_machine() { # scenario machine-abs-path > copy
    awk -v p="'$(printf '%s' "$2" | sed "s/'/''/g")'" '
        function done_at(s) { done = 1; print s }
        state == 1 {
            if ($0 ~ /^[ \t]*(#.*)?$/) { print; next }
            if ($0 !~ /^[ \t]/) state = 2
            else {
                match($0, /^[ \t]+/); ind = substr($0, 1, RLENGTH)
                if (cind == "") cind = ind
                if (!done && ind == cind && substr($0, RLENGTH + 1) ~ /^path[ \t]*:/) { done_at(ind "path: " p); next }
            }
        }
        state == 0 && /^machine[ \t]*:/ {
            rest = $0; sub(/^machine[ \t]*:[ \t]*/, "", rest)
            if (rest ~ /^(#.*)?$/) { state = 1; print; next }
            state = 2
            if (rest ~ /^\{/) {             # flow mapping {path: X, ...}
                i = index($0, "path:"); if (!i) { print; next }
                tail = substr($0, i + 5); j = match(tail, /[,}]/)
                if (!j) { print; next }
                done_at(substr($0, 1, i - 1) "path: " p substr(tail, j)); next
            }
            done_at("machine: " p); next    # machine: PATH
        }
        { print }
        END { if (!done) exit 3 }' "$1"
}

# ---- the points ----
: >"$STATE/points"
: >"$OUT/sweep.cmds"
for scen in "$@"; do
    info=$("$TLBSIM" check "$scen" 2>&1) || die "scenario '$scen' does not load: $info"
    def_pol=$(printf '%s' "$info" | sed -n 's/.*, policy \([^,]*\),.*/\1/p')
    def_mach=$(printf '%s' "$info" | sed -n 's/.*: machine \([^ ]*\) (.*/\1/p')
    sbase=$(strip_yaml "$scen")
    for pol in ${POLICIES:-"="}; do
        [ "$pol" = "=" ] && pol_label=$def_pol || pol_label=$pol
        printf '%s\n' "${MACHINES:-=}" | while IFS= read -r mach; do
            if [ "$mach" = "=" ]; then
                mlabel=$def_mach; sfile=$scen
            else
                mlabel=$(strip_yaml "$mach")
                mkdir -p "$OUT/.scenarios"
                sfile=$OUT/.scenarios/$(safe "$sbase")__$(safe "$mlabel").yaml
                if [ ! -f "$sfile" ]; then
                    rewrite_machine "$scen" "$(abspath "$mach")" >"$sfile" ||
                        die "cannot find the machine path in '$scen' (want 'machine: PATH' or a 'path:' key under 'machine:')"
                    chk=$("$TLBSIM" check "$sfile" 2>&1) ||
                        die "scenario '$scen' with machine '$mach' does not load: $chk"
                fi
            fi
            while IFS= read -r combo; do
                name=""
                [ "$NSCEN" -gt 1 ] && name="$(safe "$sbase")__"
                name="$name$(safe "$pol_label")__$(safe "$mlabel")"
                sets=""
                [ "$pol" = "=" ] || sets="$sets --set $(q "policy.name=$pol")"
                [ -z "$WARM" ] || sets="$sets --set warmup_ms=$WARM"
                [ -z "$DUR" ] || sets="$sets --set duration_ms=$DUR"
                sets="$sets$(printf '%s' "$FIXED" | sed '/^$/d' | while IFS= read -r f; do printf ' --set %s' "$(q "$f")"; done)"
                if [ -n "$combo" ]; then
                    kvs=$(printf '%s\n' "$combo" | tr '\t' '\n')
                    name="$name$(printf '%s\n' "$kvs" | while IFS= read -r kv; do printf '__%s' "$(safe "$kv")"; done)"
                    sets="$sets$(printf '%s\n' "$kvs" | while IFS= read -r kv; do printf ' --set %s' "$(q "$kv")"; done)"
                fi
                echo "$name"
                printf '%s\t%s\t%s\t%s\t%s\n' "$name" "$sbase" "$pol_label" "$mlabel" "$combo" >>"$STATE/points"
                printf '%s run %s --quiet --out %s%s\n' "$(q "$TLBSIM")" "$(q "$sfile")" "$(q "$OUT/$name/")" "$sets" >>"$OUT/sweep.cmds"
            done <"$STATE/combos"
        done
    done
done >"$STATE/names"
[ -s "$STATE/names" ] || die "no points"
dups=$(sort "$STATE/names" | uniq -d)
[ -z "$dups" ] || die "two points map to the same directory name: $dups"
NPTS=$(wc -l <"$STATE/names" | tr -d ' ')

if [ "$DRY" -eq 1 ]; then
    cat "$OUT/sweep.cmds"
    rm -rf "$STATE"
    exit 0
fi

# one runner script per point; a failure is recorded, not fatal, so every point runs
i=0
while IFS= read -r cmd; do
    i=$((i + 1)); n4=$(printf '%04d' "$i")
    name=$(sed -n "${i}p" "$STATE/names")
    {
        printf 'if %s >%s 2>&1; then rc=0; else rc=$?; fi\n' "$cmd" "$(q "$STATE/$n4.log")"
        printf 'echo "$rc" >%s\n' "$(q "$STATE/$n4.rc")"
        printf '[ "$rc" -eq 0 ] && r=ok || r="FAILED (exit $rc)"\n'
        printf 'echo "sweep: [%s/%s] %s: $r" >&2\n' "$i" "$NPTS" "$name"
    } >"$STATE/$n4.sh"
done <"$OUT/sweep.cmds"

echo "sweep: $NPTS points, $JOBS parallel -> $OUT/" >&2
i=1
while [ "$i" -le "$NPTS" ]; do printf '%04d\n' "$i"; i=$((i + 1)); done |
    xargs -n 1 -P "$JOBS" sh -c 'sh "$0/$1.sh"' "$STATE"

# ---- failures ----
failed=0
i=1
while IFS= read -r name; do
    n4=$(printf '%04d' "$i")
    rc=$(cat "$STATE/$n4.rc" 2>/dev/null || echo missing)
    if [ "$rc" != 0 ]; then
        failed=$((failed + 1))
        printf 'sweep: FAILED: %s (exit %s); log %s:\n' "$name" "$rc" "$STATE/$n4.log" >&2
        sed 's/^/    /' "$STATE/$n4.log" 2>/dev/null | head -5 >&2 || true
        printf '    rerun: %s\n' "$(sed -n "${i}p" "$OUT/sweep.cmds")" >&2
    fi
    i=$((i + 1))
done <"$STATE/names"
if [ "$failed" -gt 0 ]; then
    rm -f "$OUT/sweep.tsv"
    printf 'sweep: %d of %d runs failed; no sweep.tsv written\n' "$failed" "$NPTS" >&2
    exit 1
fi

# ---- sweep.tsv ----
json_field() { sed -n "s/^  \"$2\": *\"*\([^\",]*\)\"*,*\$/\1/p" "$1" | head -n 1; }
{
    printf 'point\tscenario\tpolicy\tmachine'
    [ -z "$SKEYS" ] || printf '%s\n' "$SKEYS" | while IFS= read -r k; do printf '\t%s' "$k"; done
    for m in $METRICS; do printf '\t%s_per_s' "$m"; done
    printf '\n'
    while IFS="$TAB" read -r name sbase pol mlabel combo; do
        d=$OUT/$name
        dur=$(json_field "$d/results.json" duration_ns)
        scn=$(json_field "$d/results.json" scenario)
        case $dur in '' | *[!0-9]*) die "$d/results.json: no duration_ns" ;; esac
        printf '%s\t%s\t%s\t%s' "$name" "$scn" "$pol" "$mlabel"
        [ -z "$combo" ] || printf '%s\n' "$combo" | tr '\t' '\n' | while IFS= read -r kv; do printf '\t%s' "${kv#*=}"; done
        awk -v dur="$dur" -v list="$METRICS" -v f="$d/vmstat.txt" '
            { v[$1] = $2 }
            END {
                n = split(list, m, " ")
                for (i = 1; i <= n; i++) {
                    if (m[i] in v) printf "\t%.1f", v[m[i]] * 1e9 / dur
                    else { printf "\tNA"; print "sweep: warning: " f ": no " m[i] > "/dev/stderr" }
                }
                printf "\n"
            }' "$d/vmstat.txt"
    done <"$STATE/points"
} >"$OUT/sweep.tsv.tmp"
mv "$OUT/sweep.tsv.tmp" "$OUT/sweep.tsv"
echo "sweep: wrote $OUT/sweep.tsv ($NPTS points)" >&2
