#!/usr/bin/env bash
# Print the path of the upstream source tarball of one of Debian 13 (trixie)'s source packages,
# downloading it once (the sources of what the machine's registries cannot give as binaries:
# a free-threaded or a musl CPython, and the libraries the latter needs).
#
# apt runs with a configuration of its own (a deb-src line for trixie on the machine's own
# mirror, its own lists and cache): the system's apt configuration is not touched. A tarball
# that fails its integrity test is deleted and downloaded again; a lock keeps parallel runs
# apart.
#
# Usage: tools/debian-source.sh PACKAGE    (progress on stderr, the tarball's path on stdout)
# Cache: $ATOMICS_CACHE (default ~/.cache/atomics-dev)/aptx/src
set -euo pipefail

package=${1:?usage: tools/debian-source.sh PACKAGE}
cache=${ATOMICS_CACHE:-$HOME/.cache/atomics-dev}
apt_dir=$cache/aptx
mkdir -p "$apt_dir/lists/partial" "$apt_dir/cache/archives/partial" "$apt_dir/src"
exec 8>"$apt_dir.lock"
flock 8

find_tarball() {   # the package's intact upstream tarball, or nothing
    local t
    for t in "$apt_dir/src/${package}_"*.orig.tar.*; do
        case $t in *.asc) continue ;; esac
        if [ -f "$t" ] && tar -tf "$t" >/dev/null 2>&1; then echo "$t"; return; fi
    done
}

tarball=$(find_tarball)
if [ -z "$tarball" ]; then
    echo "debian-source: downloading trixie's source package $package" >&2
    rm -f "$apt_dir/src/${package}_"*
    mirror=$(awk '/^URIs:/{print $2; exit}' /etc/apt/sources.list.d/debian.sources 2>/dev/null || true)
    mirror=${mirror:-http://deb.debian.org/debian}
    echo "deb-src [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $mirror trixie main" \
        >"$apt_dir/sources.list"
    apt_opts=(-o "Dir::Etc::SourceList=$apt_dir/sources.list" -o Dir::Etc::SourceParts=/dev/null
              -o "Dir::State::Lists=$apt_dir/lists" -o "Dir::Cache=$apt_dir/cache" -o APT::Sandbox::User=root)
    apt-get "${apt_opts[@]}" -qq update >&2
    # Only the upstream tarball is used: a Debian part that the mirror no longer serves (a
    # superseded security update's) does not matter.
    (cd "$apt_dir/src" && apt-get "${apt_opts[@]}" -qq source --download-only "$package" >&2) || true
    tarball=$(find_tarball)
    [ -n "$tarball" ] || { echo "debian-source: no upstream tarball of $package" >&2; exit 1; }
fi
echo "$tarball"
