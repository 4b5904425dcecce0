#!/usr/bin/env bash
# Install Debian packages into this machine where they are missing (build tools the set-up
# scripts need), waiting for another apt run to finish rather than failing.
#
# Usage: tools/apt-install.sh WHO PACKAGE...   (WHO names the caller in the progress line)
set -euo pipefail

who=${1:?usage: tools/apt-install.sh WHO PACKAGE...}
shift
missing=()
for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
    echo "$who: installing ${missing[*]}" >&2
    apt-get -o DPkg::Lock::Timeout=900 -qq update >&2
    DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=900 -qq install -y "${missing[@]}" >&2
fi
