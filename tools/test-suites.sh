#!/usr/bin/env bash
# One worker of tools/test.sh's native Python suites: it takes the next interpreter from the
# queue that test.sh writes, runs the suite there, and goes on until none is left. test.sh
# runs two workers: one from the start, the other once the aarch64 and i686 suites are done,
# so that both cores stay busy to the end.
#
# Usage: tools/test-suites.sh QUEUE [pytest arguments]
#   QUEUE/interpreters  one interpreter per line, "NAME PATH" (written by test.sh, then QUEUE/ready)
#   QUEUE/typing        the NAME of the one that also runs the static type checks (or nothing)
#   QUEUE/next          the number of the next line to take (taken under QUEUE/lock)
# Suite N's output goes to QUEUE/N.log, printed whole when it ends, and its outcome to
# QUEUE/N.status ("passed NAME" or "FAILED NAME").
set -uo pipefail

queue=$1
shift
root=$(cd "$(dirname "$0")/.." && pwd)

until [ -e "$queue/ready" ]; do sleep 1; done

take() {   # the number of the next suite, taken under the queue's lock
    flock "$queue/lock" bash -c 'n=$(cat "$1/next"); echo $((n + 1)) >"$1/next"; echo "$n"' _ "$queue"
}

suite() {   # suite PYTHON TYPING [pytest arguments]: the package built for PYTHON, then pytest
    local python=$1 typing=$2 venv
    shift 2
    venv=$("$root"/tools/env.sh "$python") || return 1
    if [ "$typing" = 1 ]; then
        echo "== installing the type checkers (tools/requirements-typing.txt)"
        "$venv/bin/python" -m pip install -q --disable-pip-version-check -r "$root/tools/requirements-typing.txt" ||
            return 1
    fi
    (cd "$root" && ATOMICS_TYPING=$typing "$venv/bin/python" -m pytest -q -p no:cacheprovider "$@")
}

while :; do
    n=$(take)
    read -r name python < <(sed -n "$((n + 1))p" "$queue/interpreters") || break
    typing=0
    [ "$name" != "$(cat "$queue/typing")" ] || typing=1
    [ "$typing" = 0 ] || name="$name (with the static type checks)"
    start=$SECONDS
    if suite "$python" "$typing" "$@" >"$queue/$n.log" 2>&1; then outcome=passed; else outcome=FAILED; fi
    echo "$outcome $name" >"$queue/$n.status"
    flock "$queue/lock" bash -c 'echo "== Python $2: pytest"; cat "$1"; echo "== Python $2: $3 in $4 s"' _ \
        "$queue/$n.log" "$name" "$outcome" "$((SECONDS - start))"
done
