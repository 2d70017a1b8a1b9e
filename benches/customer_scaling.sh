#!/usr/bin/env bash
# Cost against simulated customers: one replication, one thread, of the holding model
# (scenarios/mmc.toml, M/M/100+M) at 0.1, 1, 10 and 100 million customers and of the
# turn-by-turn desk of docs/testing.md ("Memory") at 0.1, 1 and 10 million chats, with the
# weekly (holding) or daily (turns) reporting interval so that the reports stay small.
#
#   benches/customer_scaling.sh [OUT_CSV]     default: target/customer_scaling.csv
#
# Prints a Markdown table (customers, wall seconds, customers/s, peak RSS) and writes the
# same rows as CSV, which `cargo run --release --example scaling_plot` draws into
# docs/scaling_customers.svg. Needs GNU time (/usr/bin/time). About 70 s on the 2-core VM.
set -euo pipefail
cd "$(dirname "$0")/.."
out_csv=${1:-target/customer_scaling.csv}
cargo build --release --quiet
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

turns_toml() { # horizon_s
    cat <<TOML
[run]
horizon_s = $1
warmup_s = 3600
replications = 1
seed = 5
interval_s = 86400

[arrivals]
kind = "poisson"
rate_per_hour = 36000

[sessions]
model = "turns"

[customers]
patience = { dist = "lognormal", mean_s = 240, sd_s = 180 }
messages = { dist = "lognormal", mean = 4, sd = 2 }
think_time = { dist = "lognormal", mean_s = 35, sd_s = 30 }
silent_prob = 0.05

[agents]
count = 900
max_sessions = 3

[agents.behaviour]
reply_time = { dist = "lognormal", mean_s = 30, sd_s = 20 }
load_slowdown = 0.1
overlook_prob = 0.05
reaction_time = { dist = "exponential", mean_s = 10 }

[thresholds]
reply_interval_s = 60
message_interval_s = 300
TOML
}

echo "model,customers,wall_s,customers_per_s,peak_rss_mib" >"$out_csv"
printf '| model | customers | wall | customers/s | peak RSS |\n|---|---:|---:|---:|---:|\n'
run() { # model scenario
    /usr/bin/time -f '%e %M' -o "$tmp/time" target/release/chatsim run "$2" --threads 1 >"$tmp/out"
    read -r wall rss_kib <"$tmp/time"
    customers=$(awk '$1 == "offered" {print $2; exit}' "$tmp/out")
    awk -v m="$1" -v c="$customers" -v w="$wall" -v r="$rss_kib" -v csv="$out_csv" 'BEGIN {
        rate = c / w; mib = r / 1024
        printf "%s,%d,%.2f,%.0f,%.1f\n", m, c, w, rate, mib >> csv
        printf "| %s | %.1f M | %.2f s | %.2f M | %.1f MiB |\n", m, c / 1e6, w, rate / 1e6, mib
    }'
}
for horizon in 61200 612000 6120000 61200000; do
    sed -e "s/^horizon_s = 360000 .*/horizon_s = $horizon/" \
        -e 's/^replications = 8/replications = 1\ninterval_s = 604800/' \
        scenarios/mmc.toml >"$tmp/mmc.toml"
    run holding "$tmp/mmc.toml"
done
for horizon in 10000 100000 1000000; do
    turns_toml "$horizon" >"$tmp/turns.toml"
    run turns "$tmp/turns.toml"
done
echo "wrote $out_csv"
