# IPIs/s, tlb_flush events/s and application throughput per machine (groups)
# and policy (bars), from sweep.tsv. Data: <data>/bars-{ipi,flush,app}.dat,
# a table with a header "machine <series...>" and one row per machine.
load dir."/common.gp"
set multiplot layout 3, 1 title "Per policy and machine (measured window)" font ",13"
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.85 border -1
set key outside right top vertical
set xtics scale 0
set bmargin 4
set logscale y
set format y "%.0s%c"
set title "TLB shootdown interrupts received"
set ylabel "IPIs / s (log)"
plot for [i = 2:ncol] data."/bars-ipi.dat" using i:xtic(1) lc rgb C[(i - 2) % 10 + 1] title columnheader(i)
set title "tlb:tlb_flush events (local and remote flushes)"
set ylabel "flushes / s (log)"
plot for [i = 2:ncol] data."/bars-flush.dat" using i:xtic(1) lc rgb C[(i - 2) % 10 + 1] title columnheader(i)
unset logscale y
set format y "%.0s%c"
set yrange [0:*]
set title "Application throughput (higher is better; runtime of a fixed job is its inverse)"
set ylabel "pages read / s"
plot for [i = 2:ncol] data."/bars-app.dat" using i:xtic(1) lc rgb C[(i - 2) % 10 + 1] title columnheader(i)
unset multiplot
