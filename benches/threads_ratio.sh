#!/usr/bin/env bash
# `--threads 2` against `--threads 1` on the default desk with 64 replications: wall time
# of each, paired (back to back, alternating), and the median speed-up over ROUNDS pairs.
#
#   benches/threads_ratio.sh [ROUNDS] [REPLICATIONS]     defaults: 10, 64
#
# The figure means something only when two cores are free: the script prints the load
# average and the busiest other processes before it starts (read them: a load above ~0.3
# or another process near 100 % CPU means a core was taken) and the load again at the end.
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-10}
reps=${2:-64}
cargo build --release --quiet --bin chatsim
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
echo "nproc $(nproc); load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
ps -eo pcpu,comm --sort=-pcpu | sed -n 2,4p | sed 's/^/  busiest: /'
wall() { # threads -> seconds, to the microsecond (a run takes about half a second:
    # /usr/bin/time's 10 ms steps were 3 % of the two-thread time)
    local start end
    start=$(date +%s%N)
    target/release/chatsim run scenarios/default.toml \
        --replications "$reps" --threads "$1" >/dev/null
    end=$(date +%s%N)
    awk -v a="$start" -v b="$end" 'BEGIN {printf "%.6f\n", (b - a) / 1e9}'
}
printf '%5s %10s %10s %8s\n' round "1 thread" "2 threads" speed-up
for round in $(seq "$rounds"); do
    one=$(wall 1)
    two=$(wall 2)
    awk -v r="$round" -v a="$one" -v b="$two" 'BEGIN {printf "%5d %9.2fs %9.2fs %8.3f\n", r, a, b, a / b}'
    echo "$one $two" >>"$dir/pairs"
done
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
awk '{print $1 / $2}' "$dir/pairs" | sort -g |
    awk '{v[NR]=$1} END {printf "median speed-up, --threads 2 over 1: %.3f\n", (NR % 2) ? v[(NR+1)/2] : (v[NR/2]+v[NR/2+1])/2}'
