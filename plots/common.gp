# Shared by the plots/*.gp scripts: terminal (pngcairo or svg by `term`,
# with `out` and `size` "W,H" set by plots/sweep-plots.sh), colours (Tableau
# 10, one per series in sweep order) and style.
if (term eq "svg") {
    eval sprintf("set terminal svg size %s dynamic noenhanced font 'Sans,11' background rgb 'white'", size)
} else {
    eval sprintf("set terminal pngcairo size %s noenhanced font 'Sans,10'", size)
}
set output out
set datafile separator tab
set datafile missing "NaN"
array C[10] = ["#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948", "#b07aa1", "#ff9da7", "#9c755f", "#bab0ac"]
set grid ytics mytics lc rgb "#dddddd"
set key noenhanced
set border 3
set tics nomirror
