#!/usr/bin/env bash
# Makes sure valgrind (with its headers, for callgrind's client requests) and a C compiler are
# there, installing Debian's packages on first use: the benchmark counts instructions with
# callgrind (bench/instructions.py). Prints valgrind's version.
#
# Usage: tools/valgrind.sh
set -euo pipefail

ready() {
    command -v valgrind >/dev/null && command -v cc >/dev/null && [ -f /usr/include/valgrind/callgrind.h ]
}

if ! ready; then
    if ! command -v apt-get >/dev/null; then
        echo "valgrind.sh: valgrind (with /usr/include/valgrind/callgrind.h) and cc are needed; install them" >&2
        exit 1
    fi
    echo "valgrind.sh: installing Debian's valgrind and gcc (once per machine)" >&2
    apt-get -o DPkg::Lock::Timeout=900 -qq update >&2
    DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=900 -qq install -y --no-install-recommends \
        valgrind gcc libc6-dev >&2
    ready || { echo "valgrind.sh: still missing valgrind, its headers or cc after installing" >&2; exit 1; }
fi
valgrind --version
