# Interrupts per second per run (bars, from sweep.tsv) against the published
# numbers (black points; shared/docs/validation-targets.md T1c, T2: Gorman's
# vmstat "in", i.e. all interrupts, the model's `interrupts` counter).
# Variables from ARG1 (written by scripts/plots.sh): term, out, data,
# policies, nruns, xmax, ymin, ymax, plus the xtics and scenario labels.
# data columns: x policy scenario model published model_text published_text
# Usage: gnuplot -c plots/ipi-bars.gp results/plots/data/ipi-bars.vars.gp
load ARG1
colw = (maxchars * 7 + 25 > 150 ? maxchars * 7 + 25 : 150)
eval sprintf("set terminal %s size %d,600", term, (nruns * colw + 300 > 900 ? nruns * colw + 300 : 900))
set output out
set datafile separator tab
set datafile missing "NaN"
set title "Interrupts per second: tlbsim (bars) vs published (points)"
set logscale y
set yrange [ymin:ymax]
set xrange [-0.7:xmax + 0.7]
set format y "%.0s%c"
set ylabel "interrupts/s, all interrupts (vmstat \"in\"), log scale"
set grid ytics mytics
set bmargin nlines + 4.5
set xtics nomirror scale 0
set style fill solid 0.75 border -1
set boxwidth 0.7
set key inside top right vertical opaque box samplen 2
plot for [p in policies] data using 1:(strcol(2) eq p ? $4 : NaN) with boxes title "tlbsim ".p, \
     data using 1:4:6 with labels offset 0, 0.8 notitle, \
     data using 1:5 with points pt 7 ps 2 lc rgb "black" title "published (Gorman 2015, targets T1c/T2)", \
     data using 1:5:7 with labels left offset 1.5, 0 notitle
