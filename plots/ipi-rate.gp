# TLB shootdown interrupts received per second over simulated time, one
# panel per machine, one line per policy (timeseries.tsv of each point).
# Data: <data>/rate-<k>.dat, blocks "label" then "time_ms rate" rows, for
# machines k = 1..nmach named in `machs` (space-separated).
load dir."/common.gp"
set multiplot layout rows, cols title "TLB shootdown interrupts received per second (all CPUs)" font ",13"
set logscale y
set format y "%.0s%c"
set xlabel "simulated time since the end of warm-up (ms)"
set ylabel "shootdown IPIs received / s (log)"
set key outside right top vertical
do for [k = 1:nmach] {
    f = sprintf("%s/rate-%d.dat", data, k)
    set title word(machs, k) noenhanced
    plot for [i = 0:nseries - 1] f index i using 1:2 with steps lw 2 lc rgb C[i % 10 + 1] title columnheader(1)
}
unset multiplot
