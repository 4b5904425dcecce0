#!/usr/bin/env bash
# The C header's program (tests/interop/counter.c) and the Rust example shared_counter,
# against each other in separate processes, each way round: one creates a segment holding an
# INT of width 8 and waits on it; the other attaches by name, reads it through an atomic add
# of 0, then stores a new value and notifies, which must wake the creator: within 5 s, while
# the creator would wait 10 s for a change nobody announced.
#
# Usage: tools/test-interop-programs.sh C-COMMAND RUST-COMMAND
#   each a command line (a runner and a program: "tools/wine.sh counter.exe")
set -euo pipefail

c=$1
rust=$2
out=$(mktemp)
trap 'rm -f "$out"' EXIT

pair() {
    local creator=$1 other=$2 name="" waited=0
    : >"$out" # empty before the creator starts: never the previous pair's name
    $creator create 5 >>"$out" &
    local pid=$!
    while [ -z "$name" ]; do
        name=$(head -n 1 "$out" | tr -d '\r')
        if [ -z "$name" ]; then
            sleep 0.1
            waited=$((waited + 1))
            [ $waited -lt 600 ] || { echo "no segment name from: $creator" >&2; kill $pid; return 1; }
        fi
    done
    local read
    read=$($other add "$name" 0 | tr -d '\r')
    [ "$read" = 5 ] || { echo "$other read $read in $name, not 5" >&2; return 1; }
    local before=$SECONDS
    $other notify "$name" 6 100
    wait $pid || { echo "$creator was not woken" >&2; return 1; }
    [ $((SECONDS - before)) -lt 5 ] || { echo "$creator saw the change only at its timeout: no wake" >&2; return 1; }
    local seen
    seen=$(sed -n 2p "$out" | tr -d '\r')
    [ "$seen" = 6 ] || { echo "$creator saw $seen, not 6" >&2; return 1; }
    echo "   $(basename "${creator##* }") created $name; $(basename "${other##* }") read 5, stored 6 and woke it"
}

pair "$c" "$rust"
pair "$rust" "$c"
