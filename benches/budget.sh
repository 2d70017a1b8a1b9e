#!/usr/bin/env bash
# Where a simulated customer's instructions go: runs one chatsim workload under callgrind
# and splits the exclusive instruction counts into parts, per customer.
#
#   benches/budget.sh [SCENARIO] [BINARY]
#       defaults: benches/icount-mmc.toml (M/M/100+M, ~65 000 customers), target/release/chatsim
#
# A line of `callgrind_annotate` names a source file and the function it was compiled
# into; inlined code keeps its own file. Each line goes to the first part that matches:
#   event queue     src/sim/event_queue.rs, or the standard heap's code in the queue
#   engine          crates/chatsim-engine/ (any function), or code inlined into an engine function
#   metrics         src/metrics/, hdrhistogram, or code inlined into the collector
#   random numbers  rand*, src/dist.rs, src/sim/seed.rs, src/sim/arrivals.rs, libm
#   simulator glue  src/sim/world.rs and what is inlined into it (the loop, reactions)
#   start and end   everything else (loading, the summary, output, allocation, the runtime)
# The run has no warm-up (`--set run.warmup_s=0`), so every simulated customer is in the
# run's `offered` figure, the divisor. Instruction counts are
# deterministic (run-to-run noise < 10^-5): compare two builds with this, not wall time.
set -euo pipefail
cd "$(dirname "$0")/.."
scenario=${1:-benches/icount-mmc.toml}
bin=${2:-target/release/chatsim}
[[ -x $bin ]] || cargo build --release --quiet --bin chatsim
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT

valgrind --tool=callgrind --callgrind-out-file="$dir/cg" \
    "$bin" run "$scenario" --replications 1 --threads 1 --json --set run.warmup_s=0 \
    >"$dir/summary.json" 2>"$dir/err"
customers=$(awk '/"offered"/ { f = 1 } f && /"mean"/ { gsub(/[^0-9.]/, "", $2); print $2; exit }' "$dir/summary.json")
callgrind_annotate --auto=no --threshold=100 "$dir/cg" 2>/dev/null | awk -v customers="$customers" '
    # The part a source path or a function name belongs to, or "".
    function part_of(s) {
        if (s ~ /event_queue|BinaryHeap/) return "event queue"
        if (s ~ /chatsim-engine\/|chatsim_engine::/) return "engine"
        if (s ~ /src\/metrics\/|metrics::|hdrhistogram/) return "metrics"
        if (s ~ /\/rand|rand_|src\/dist\.rs|dist::|sim\/seed\.rs|seed::|sim\/arrivals\.rs|arrivals::|\.\/math\//) return "random numbers"
        if (s ~ /sim\/world\.rs|world::/) return "simulator glue"
        return ""
    }
    /^-+$/ { rule++ }
    rule >= 4 && $1 ~ /^[0-9,]+$/ && $0 !~ /PROGRAM TOTALS/ {
        n = $1; gsub(",", "", n)
        rest = $0; sub(/^ *[0-9,]+ +\( *[0-9.]+%\) +/, "", rest)
        file = rest; sub(/:.*/, "", file)
        func = rest; sub(/^[^:]*:/, "", func)
        # Our own sources and other crates count where the code comes from; the standard
        # library (inlined) counts where it was inlined into.
        if (file ~ /^\/rustc\//) part = part_of(func)
        else part = part_of(file)
        if (part == "") part = part_of(func)
        if (part == "") part = "start and end"
        sum[part] += n; total += n
    }
    END {
        printf "%-16s %14s %12s %7s\n", "part", "instructions", "per customer", "share"
        split("event queue,engine,metrics,random numbers,simulator glue,start and end", order, ",")
        for (k = 1; k <= 6; k++) {
            p = order[k]
            printf "%-16s %14d %12.0f %6.1f%%\n", p, sum[p], sum[p] / customers, 100 * sum[p] / total
        }
        printf "%-16s %14d %12.0f %6.1f%%   (%d customers)\n", "total", total, total / customers, 100, customers
    }'
