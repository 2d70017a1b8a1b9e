#!/usr/bin/env bash
# chatsim against the bare loop (examples/bare_loop.rs) on the M/M/c+M holding model:
# customers per CPU-second of each, paired (the two run back to back, alternating, on one
# thread), and their ratio, for c = 10, 100, 1 000 and 10 000 agents at 95 % offered
# load (mean holding 60 s, mean patience 120 s, about CUSTOMERS customers per run).
#
#   benches/bare_ratio.sh [ROUNDS] [CUSTOMERS]     defaults: 3, 2000000
#
# Prints one line per pair, then the median ratio per c. CPU time is user + system from
# /usr/bin/time; chatsim runs `run --replications 1 --threads 1` with full metrics.
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-3}
customers=${2:-2000000}
cargo build --release --quiet --bin chatsim --example bare_loop
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT

cpu() { # command... -> user+system seconds
    /usr/bin/time -f '%U %S' -o "$dir/time" "$@" >/dev/null
    awk '{print $1 + $2}' "$dir/time"
}

printf '%6s %5s %14s %14s %7s\n' c round "chatsim c/s" "bare c/s" ratio
for c in 10 100 1000 10000; do
    rate=$(awk -v c="$c" 'BEGIN {printf "%.6f", 0.95 * c / 60 * 3600}')
    horizon=$(awk -v n="$customers" -v r="$rate" 'BEGIN {printf "%.0f", n / r * 3600}')
    cat >"$dir/mmc$c.toml" <<TOML
[run]
horizon_s = $horizon
warmup_s = 0
replications = 1
seed = 7
max_events = 1000000000

[arrivals]
kind = "poisson"
rate_per_hour = $rate

[customers]
patience = { dist = "exponential", mean_s = 120 }

[sessions]
model = "holding"
holding_time = { dist = "exponential", mean_s = 60 }

[agents]
count = $c
max_sessions = 1
TOML
    for round in $(seq "$rounds"); do
        sim=$(cpu target/release/chatsim run "$dir/mmc$c.toml" --threads 1)
        bare=$(cpu target/release/examples/bare_loop "$c" "$rate" 60 120 "$horizon" 7)
        awk -v c="$c" -v r="$round" -v n="$customers" -v s="$sim" -v b="$bare" \
            'BEGIN {printf "%6d %5d %14.0f %14.0f %7.3f\n", c, r, n / s, n / b, b / s}'
        echo "$c $(awk -v s="$sim" -v b="$bare" 'BEGIN {print b / s}')" >>"$dir/ratios"
    done
done
echo
echo "median chatsim ÷ bare loop (customers per CPU-second):"
for c in 10 100 1000 10000; do
    awk -v c="$c" '$1 == c {print $2}' "$dir/ratios" | sort -g |
        awk -v c="$c" '{v[NR]=$1} END {m = (NR % 2) ? v[(NR+1)/2] : (v[NR/2]+v[NR/2+1])/2;
                        printf "  c = %5d: %.3f\n", c, m}'
done
