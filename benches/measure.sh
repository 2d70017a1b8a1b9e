# Sourced by the ratio scripts (bare_ratio.sh, turn_ratio.sh): one way to measure a
# command, by CPU time or by instructions. Set `dir` (a scratch directory) and
# `instructions` (true or false) before calling.
#
# measure COMMAND...  prints the command's user + system CPU seconds (/usr/bin/time), or,
#                     when $instructions, its instruction count (valgrind --tool=callgrind,
#                     the collected total: deterministic, so a noisy machine cannot move
#                     it); the command's stdout is left in $dir/out.
measure() {
    if $instructions; then
        valgrind --tool=callgrind --callgrind-out-file=/dev/null "$@" 2>&1 >"$dir/out" |
            awk '/Collected :/ {print $NF}'
    else
        /usr/bin/time -f '%U %S' -o "$dir/time" "$@" >"$dir/out"
        awk '{print $1 + $2}' "$dir/time"
    fi
}
