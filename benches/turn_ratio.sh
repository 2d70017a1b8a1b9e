#!/usr/bin/env bash
# chatsim against the turn-model bare loop (examples/turn_loop.rs) on the same desk
# (benches/turn-ratio.toml: the default desk's distributions, 60 agents × 3 sessions,
# Poisson 900 chats/h): customers per CPU-second of each, paired (back to back,
# alternating, one thread), their ratio, and each side's reminders and disconnects per
# customer, to show both simulate the same desk.
#
#   benches/turn_ratio.sh [ROUNDS] [DAYS]          defaults: 3, 60 (about 1.3 M customers)
#   benches/turn_ratio.sh --instructions [DAYS]    default: 10; one round
#
# --instructions counts instructions (valgrind --tool=callgrind, deterministic) instead of
# CPU time: instructions per customer of each and chatsim ÷ bare loop in customers per
# instruction.
set -euo pipefail
cd "$(dirname "$0")/.."
instructions=false
if [[ ${1:-} == --instructions ]]; then
    instructions=true
    shift
    rounds=1
    days=${1:-10}
else
    rounds=${1:-3}
    days=${2:-60}
fi
horizon=$((days * 86400))
# Two builds: built together, the example's dev-dependency on chatsim with `checks` would
# turn the conservation checks on in the measured binary too (Cargo unifies features).
cargo build --release --quiet --bin chatsim
cargo build --release --quiet --example turn_loop
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT

# shellcheck source=benches/measure.sh
. benches/measure.sh

# Each side's figure: customers per CPU-second, or instructions per customer.
if $instructions; then
    head=("chatsim Ir/c" "bare Ir/c") unit="instruction"
    figure='function f(n, x) { return x / n }'
else
    head=("chatsim c/s" "bare c/s") unit="CPU-second"
    figure='function f(n, x) { return n / x }'
fi
printf '%5s %13s %13s %7s %22s %22s\n' round "${head[@]}" ratio \
    "reminders/c sim bare" "disconnects/c sim bare"
for round in $(seq "$rounds"); do
    sim=$(measure target/release/chatsim run benches/turn-ratio.toml --threads 1 --json \
        --set run.horizon_s="$horizon" --set run.seed="$round")
    read -r n rem dis < <(python3 -c "
import json,sys; m=json.load(open('$dir/out'))['metrics']
print(m['offered']['mean'], m['reminders']['mean'], m['disconnects']['mean'])")
    bare=$(measure target/release/examples/turn_loop 60 3 900 "$horizon" "$round")
    read -r bn _ brem bdis _ _ <"$dir/out"
    awk -v r="$round" -v n="$n" -v s="$sim" -v bn="$bn" -v b="$bare" -v rem="$rem" \
        -v dis="$dis" -v brem="$brem" -v bdis="$bdis" "$figure"' BEGIN {
        printf "%5d %13.0f %13.0f %7.3f %11.4f %10.4f %11.4f %10.4f\n", r, f(n, s), f(bn, b),
            (n / s) / (bn / b), rem / n, brem / bn, dis / n, bdis / bn }'
    awk -v n="$n" -v s="$sim" -v bn="$bn" -v b="$bare" 'BEGIN {print (n / s) / (bn / b)}' >>"$dir/ratios"
done
echo
sort -g "$dir/ratios" | awk '{v[NR]=$1} END {m = (NR % 2) ? v[(NR+1)/2] : (v[NR/2]+v[NR/2+1])/2;
    printf "median chatsim ÷ turn-model bare loop (customers per '"$unit"'): %.3f\n", m}'
