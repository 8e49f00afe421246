# Where the CPU time goes, per policy and machine: stacked bars in % of
# (CPUs x measured window), from the cpu_*_pct columns of sweep.tsv.
# Data: <data>/cpu.dat, header "run <category...>", one row per point
# (label "policy\nmachine"), with a blank row between machines.
load dir."/common.gp"
set title "CPU time by category (measured window)" font ",13"
set ylabel "% of CPU time (all CPUs x window)"
set yrange [0:100]
set ytics 10
set style data histograms
set style histogram rowstacked
set style fill solid 0.85 border -1
set boxwidth 0.75
set xtics scale 0 font ",8"
set bmargin 6
set key outside right top vertical reverse Left title "category"
plot for [i = 2:ncol] data."/cpu.dat" using i:xtic(1) lc rgb C[(i - 2) % 10 + 1] title columnheader(i)
