#!/usr/bin/env bash
# Print the path of one CPython of the test matrix, or nothing when this machine cannot have it.
#
#   3.9 - 3.13   the newest 3.X.* under `pyenv root` (else python3.X on PATH), if present
#   3.14, 3.15   Debian forky's packages, extracted into the cache once (tools/debian-python.sh)
#   3.13t        free-threaded, built from source into the cache once (tools/free-threaded-python.sh)
#
# Usage: tools/find-python.sh NAME    (NAME: 3.9 ... 3.15, 3.13t; set-up progress on stderr)
set -euo pipefail

name=${1:?usage: tools/find-python.sh NAME}
root=$(cd "$(dirname "$0")/.." && pwd)
case $name in
    3.9 | 3.10 | 3.11 | 3.12 | 3.13)
        pyenv_root=$(pyenv root 2>/dev/null || echo "$HOME/.pyenv")
        found=$(ls -d "$pyenv_root"/versions/"$name".*/bin/python"$name" 2>/dev/null | sort -V | tail -n 1 || true)
        if [ -z "$found" ] && command -v python"$name" >/dev/null; then
            found=$(command -v python"$name")
        fi
        echo "$found" ;;
    3.14 | 3.15) "$root"/tools/debian-python.sh "$name" ;;
    3.13t) "$root"/tools/free-threaded-python.sh ;;
    *) echo "find-python: no source known for CPython $name" >&2; exit 2 ;;
esac
