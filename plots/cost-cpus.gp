# Cost of TLB shootdowns against machine size, one line per policy, from a
# sweep over machines. Data: <data>/cost.dat, blocks "label" then rows
# "ncpus nsockets flush_cpu_pct p99_ns ipis_per_cpu_s", sorted by CPUs.
load dir."/common.gp"
set multiplot layout 1, 3 title "Shootdown cost against machine size (points labelled with sockets)" font ",13"
set logscale x 2
set xlabel "CPUs (log)"
set key outside top center horizontal
set title "CPU time in shootdowns\n(interrupt + flush wait + DSB stall)"
set ylabel "% of all CPU time"
set yrange [0:*]
plot for [i = 0:nseries - 1] data."/cost.dat" index i using 1:3 with linespoints lw 2 pt 7 lc rgb C[i % 10 + 1] title columnheader(1), \
     for [i = 0:nseries - 1] data."/cost.dat" index i using 1:3:(sprintf("%ds", $2)) with labels offset 0, 0.8 font ",8" notitle
set title "Shootdown latency, 99th percentile"
set ylabel "ns (log)"
set logscale y
set yrange [*:*]
set format y "%.0s%c"
plot for [i = 0:nseries - 1] data."/cost.dat" index i using 1:4 with linespoints lw 2 pt 7 lc rgb C[i % 10 + 1] title columnheader(1)
set title "Shootdown IPIs received per CPU"
set ylabel "IPIs / s / CPU (log)"
plot for [i = 0:nseries - 1] data."/cost.dat" index i using 1:5 with linespoints lw 2 pt 7 lc rgb C[i % 10 + 1] title columnheader(1)
unset multiplot
