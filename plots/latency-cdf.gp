# CDF of TLB shootdown latency (initiator's send to the last ack), one panel
# per machine, one line per policy, from each point's latency.tsv (log2
# buckets: the CDF is exact at bucket edges, drawn straight between them).
# Data: <data>/cdf-<k>.dat, blocks "label" then "ns cdf" rows.
load dir."/common.gp"
set multiplot layout rows, cols title "Shootdown latency, cumulative distribution" font ",13"
set logscale x 2
set format x "%.0s%c"
set xlabel "shootdown latency (ns, log)"
set ylabel "fraction of shootdowns <= x"
set yrange [0:1]
set ytics 0.1
set grid xtics ytics
set key right bottom
do for [k = 1:nmach] {
    f = sprintf("%s/cdf-%d.dat", data, k)
    set title word(machs, k) noenhanced
    plot for [i = 0:nseries - 1] f index i using 1:2 with linespoints lw 2 pt 7 ps 0.5 lc rgb C[i % 10 + 1] title columnheader(1)
}
unset multiplot
