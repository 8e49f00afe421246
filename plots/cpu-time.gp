# CPU time by category per run, as % of (all CPUs x measured window), from
# each run's vmstat.txt cpu_time_*_ns. Variables from ARG1 (written by
# scripts/plots.sh): term, out, data, nruns, ncol, plus xtics and labels.
# data: header "run <category>...", one row per run.
# Usage: gnuplot -c plots/cpu-time.gp results/plots/data/cpu-time.vars.gp
load ARG1
colw = (maxchars * 7 + 25 > 170 ? maxchars * 7 + 25 : 170)
eval sprintf("set terminal %s size %d,600", term, (nruns * colw + 350 > 850 ? nruns * colw + 350 : 850))
set output out
set datafile separator tab
set title "Where the CPU time goes (measured window)"
set ylabel "% of CPU time (all CPUs x window)"
set yrange [0:100]
set ytics 10
set grid ytics
set bmargin nlines + 3.5
set xtics nomirror scale 0
set key outside right top title "category" reverse Left
set style data histograms
set style histogram rowstacked
set style fill solid 0.85 border -1
set boxwidth 0.6
set xrange [-0.6:nruns - 0.4]
# Tableau 10, one colour per category in header order
array C[10] = ["#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948", "#b07aa1", "#ff9da7", "#9c755f", "#bab0ac"]
plot for [i = 2:ncol] data using i title columnheader(i) lc rgb C[(i - 2) % 10 + 1]
