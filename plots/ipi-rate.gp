# TLB shootdown interrupts per second over simulated time: one panel per
# scenario, one line per run. Variables come from the file given as ARG1,
# written by scripts/plots.sh (term, out, prefix, scens, machs, nblocks,
# nempty, keychars, ymin, ymax); data: <prefix><n>.dat, one block per run
# with a "label" header line. Runs without any interrupt are not drawn.
# Usage: gnuplot -c plots/ipi-rate.gp results/plots/data/ipi-rate.vars.gp
load ARG1
n = words(scens)
eval sprintf("set terminal %s size %d,%d", term, (750 + 7 * keychars > 1000 ? 750 + 7 * keychars : 1000), 80 + 340 * n)
set output out
set datafile separator tab
set datafile missing "NaN"
set multiplot layout n, 1 title "TLB shootdown interrupts received per second (counter ipi_received)\nper time-series bucket; a gap is a bucket with none"
set logscale y
set yrange [ymin:ymax]
set format y "%.0s%c"
set grid xtics ytics mytics
set key outside right top vertical
set xlabel "simulated time since the end of warm-up (ms)"
set ylabel "interrupts/s (log)"
set xrange [0:*]
array C[10] = ["#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948", "#b07aa1", "#ff9da7", "#9c755f", "#bab0ac"]
do for [s = 1:n] {
    f = sprintf("%s%d.dat", prefix, s)
    nb = int(word(nblocks, s))
    ne = int(word(nempty, s))
    set title sprintf("%s  (machine %s)%s", word(scens, s), word(machs, s), \
        ne > 0 ? sprintf("\n(%d run%s without any TLB interrupt not shown)", ne, ne > 1 ? "s" : "") : "")
    if (nb > 0) {
        plot for [i = 0:nb - 1] f index i using 1:2 with lines lw 2 lc rgb C[i % 10 + 1] dt 1 + i / 10 title columnheader(1)
    } else {
        set xrange [0:1]
        plot NaN notitle
        set xrange [0:*]
    }
}
unset multiplot
