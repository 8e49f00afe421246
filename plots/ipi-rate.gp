# TLB shootdown interrupts per second over simulated time: one panel per
# scenario, one line per run. Variables come from the file given as ARG1,
# written by scripts/plots.sh (term, out, prefix, scens, machs, nblocks,
# ymin, ymax); data: <prefix><n>.dat, one block per run, header "label".
# Usage: gnuplot -c plots/ipi-rate.gp results/plots/data/ipi-rate.vars.gp
load ARG1
n = words(scens)
eval sprintf("set terminal %s size 1000,%d", term, 70 + 330 * n)
set output out
set datafile separator tab
set datafile missing "NaN"
set multiplot layout n, 1 title "TLB shootdown interrupts received per second (counter ipi_received, per time-series bucket; gaps: buckets with none)"
set logscale y
set yrange [ymin:ymax]
set format y "%.0s%c"
set grid xtics ytics mytics
set key outside right top vertical
set xlabel "simulated time since the end of warm-up (ms)"
set ylabel "interrupts/s (log)"
set xrange [0:*]
do for [s = 1:n] {
    f = sprintf("%s%d.dat", prefix, s)
    set title sprintf("%s  (machine %s)", word(scens, s), word(machs, s))
    plot for [i = 0:int(word(nblocks, s)) - 1] f index i using 1:2 with lines lw 2 title columnheader(1)
}
unset multiplot
