#!/usr/bin/env bash
# The scaling target of the routing bench, measured in pairs: cost(100 000 agents) /
# cost(100 agents) per rule, each pair taken right after the memory-latency probe
# (examples/memory_latency.rs, 8 MiB), so that a pair measured while neighbours filled the
# shared L3 can be told from one measured while they did not.
#
#   benches/scaling_ratio.sh [ROUNDS] [RULES]     defaults: 6, "least_loaded"
#   e.g. benches/scaling_ratio.sh 6 "least_loaded lowest_load_ratio round_robin longest_idle random"
#
# Prints one line per pair, then per rule the median ratio over all pairs and over the
# pairs whose probe read under 60 ns per load (L3 hits: the neighbours left it to us).
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-6}
rules=${2:-least_loaded}
cargo build --release --quiet --example memory_latency
cargo bench --quiet --bench routing --no-run 2>/dev/null

rate() { # rule agents -> criterion median, elements/s
    cargo bench --quiet --bench routing -- --warm-up-time 0.5 --measurement-time 2 \
        "routing/$1/$2\$" 2>/dev/null |
        awk '/thrpt:/ && !/%/ {v=$4; u=$5; gsub(/\[/,"",v);
             m = (u ~ /^M/) ? 1e6 : (u ~ /^K/) ? 1e3 : (u ~ /^G/) ? 1e9 : 1; print v*m}'
}

results=$(mktemp)
trap 'rm -f "$results"' EXIT
printf '%-18s %5s %12s %14s %14s %7s\n' rule round "probe ns" "100 agents/s" "100k agents/s" ratio
for round in $(seq "$rounds"); do
    for rule in $rules; do
        probe=$(target/release/examples/memory_latency 8 | awk '{print $3}')
        small=$(rate "$rule" 100)
        large=$(rate "$rule" 100000)
        ratio=$(awk -v s="$small" -v l="$large" 'BEGIN {printf "%.2f", s / l}')
        printf '%-18s %5d %12s %14.0f %14.0f %7s\n' "$rule" "$round" "$probe" "$small" "$large" "$ratio"
        echo "$rule $probe $ratio" >>"$results"
    done
done

median() { sort -g | awk '{v[NR]=$1} END {if (NR==0) print "-"; else if (NR%2) print v[(NR+1)/2]; else printf "%.2f\n", (v[NR/2]+v[NR/2+1])/2}'; }
echo
printf '%-18s %14s %22s\n' rule "median ratio" "median ratio, probe<60"
for rule in $rules; do
    all=$(awk -v r="$rule" '$1==r {print $3}' "$results" | median)
    quiet=$(awk -v r="$rule" '$1==r && $2<60 {print $3}' "$results" | median)
    n=$(awk -v r="$rule" '$1==r && $2<60' "$results" | wc -l)
    printf '%-18s %14s %16s (%d/%d)\n' "$rule" "$all" "$quiet" "$n" "$rounds"
done
