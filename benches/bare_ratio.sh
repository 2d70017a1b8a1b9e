#!/usr/bin/env bash
# chatsim against the bare loop (examples/bare_loop.rs) and against SimPy
# (benches/simpy_mmc.py) on the M/M/c+M holding model: customers per CPU-second of each,
# paired (the three run back to back, on one thread), and chatsim's ratio to each, for
# c = 10, 100, 1 000 and 10 000 agents at 95 % offered load (mean holding 60 s, mean
# patience 120 s; about CUSTOMERS customers per chatsim and bare-loop run).
#
#   benches/bare_ratio.sh [ROUNDS] [CUSTOMERS] [SIMPY_CUSTOMERS]   defaults: 3, 2000000, 100000
#   benches/bare_ratio.sh --instructions [CUSTOMERS]                 default: 200000
#
# --instructions counts instructions instead (valgrind --tool=callgrind; one round: the
# counts are deterministic, so a noisy machine cannot move them) and prints instructions
# per customer of each and their ratio, chatsim ÷ bare loop in customers per instruction.
# It leaves SimPy out. A CPU-time ratio is also shaped by memory and branch behaviour, so
# the two differ; the instruction ratio is the one to compare two builds with.
#
# SimPy runs SIMPY_CUSTOMERS customers (it is ~50 times slower; the figure is a rate, so the
# run length does not bias it); 0, or no `python3 -c 'import simpy'`, leaves it out
# (`pip install simpy`; measured with SimPy 4.1.2). CPU time is user + system from
# /usr/bin/time for chatsim (the whole process: load, run, summary) and the bare loop;
# SimPy's is time.process_time around env.run(), so its interpreter start-up is not
# counted. chatsim runs `run --replications 1 --threads 1` with full metrics.
# Prints one line per round, then the medians.
set -euo pipefail
cd "$(dirname "$0")/.."
instructions=false
if [[ ${1:-} == --instructions ]]; then
    instructions=true
    shift
    rounds=1
    customers=${1:-200000}
    simpy_customers=0
else
    rounds=${1:-3}
    customers=${2:-2000000}
    simpy_customers=${3:-100000}
fi
if [[ $simpy_customers != 0 ]] && ! python3 -c 'import simpy' 2>/dev/null; then
    echo "no SimPy (pip install simpy): comparing with the bare loop only" >&2
    simpy_customers=0
fi
# Two builds: built together, the example's dev-dependency on chatsim with `checks` would
# turn the conservation checks on in the measured binary too (Cargo unifies features).
cargo build --release --quiet --bin chatsim
cargo build --release --quiet --example bare_loop
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT

# shellcheck source=benches/measure.sh
. benches/measure.sh

if $instructions; then
    printf '%6s %12s %12s %12s %12s %8s\n' c "chatsim Ir" customers "Ir/customer" "bare Ir/c" "÷ bare"
else
    printf '%6s %5s %14s %14s %12s %8s %8s\n' c round "chatsim c/s" "bare c/s" "SimPy c/s" "÷ bare" "÷ SimPy"
fi
for c in 10 100 1000 10000; do
    rate=$(awk -v c="$c" 'BEGIN {printf "%.6f", 0.95 * c / 60 * 3600}')
    horizon=$(awk -v n="$customers" -v r="$rate" 'BEGIN {printf "%.0f", n / r * 3600}')
    simpy_horizon=$(awk -v n="$simpy_customers" -v r="$rate" 'BEGIN {printf "%.0f", n / r * 3600}')
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
    if $instructions; then
        sim=$(measure target/release/chatsim run "$dir/mmc$c.toml" --threads 1 --json)
        n=$(python3 -c "import json; print(int(json.load(open('$dir/out'))['metrics']['offered']['mean']))")
        bare=$(measure target/release/examples/bare_loop "$c" "$rate" 60 120 "$horizon" 7)
        bare_n=$(awk '{print $1}' "$dir/out")
        awk -v c="$c" -v s="$sim" -v n="$n" -v b="$bare" -v bn="$bare_n" 'BEGIN {
            printf "%6d %12d %12d %12.0f %12.0f %8.3f\n", c, s, n, s / n, b / bn, (b / bn) / (s / n) }'
        continue
    fi
    for round in $(seq "$rounds"); do
        sim=$(measure target/release/chatsim run "$dir/mmc$c.toml" --threads 1)
        bare=$(measure target/release/examples/bare_loop "$c" "$rate" 60 120 "$horizon" 7)
        simpy=0
        if [[ $simpy_customers != 0 ]]; then
            simpy=$(python3 benches/simpy_mmc.py "$c" "$rate" 60 120 "$simpy_horizon" 7 | awk '{print $5}')
        fi
        awk -v c="$c" -v r="$round" -v n="$customers" -v s="$sim" -v b="$bare" -v p="$simpy" \
            'BEGIN {q = p > 0 ? sprintf("%8.1f", n / s / p) : sprintf("%8s", "-");
                    printf "%6d %5d %14.0f %14.0f %12.0f %8.3f %s\n", c, r, n / s, n / b, p, b / s, q;
                    print c, b / s, (p > 0 ? n / s / p : 0) > "/dev/stderr"}' 2>>"$dir/ratios"
    done
done
$instructions && exit 0
echo
echo "median chatsim ÷ bare loop and ÷ SimPy (customers per CPU-second):"
for c in 10 100 1000 10000; do
    for col in 2 3; do
        awk -v c="$c" -v k="$col" '$1 == c {print $k}' "$dir/ratios" | sort -g |
            awk '{v[NR]=$1} END {print (NR % 2) ? v[(NR+1)/2] : (v[NR/2]+v[NR/2+1])/2}'
    done | paste -sd' ' | awk -v c="$c" '{printf "  c = %5d: ÷ bare %.3f   ÷ SimPy %s\n", c, $1,
                                            ($2 > 0 ? sprintf("%.1f", $2) : "-")}'
done
