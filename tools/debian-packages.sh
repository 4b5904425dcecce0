#!/usr/bin/env bash
# Download Debian binary packages of any release and architecture, with everything they depend
# on, and extract them into a directory: a sysroot, or programs that need no installing.
#
# apt runs with a configuration of its own (sources, lists, caches and an empty dpkg status,
# under the cache): the system's apt sources and dpkg architectures are not touched, and
# nothing is installed. The machine's own Debian mirror is used.
#
# Usage: tools/debian-packages.sh SUITE ARCH DEST PACKAGE...
#   SUITE  a Debian release (bookworm, trixie)
#   ARCH   a Debian architecture (amd64, arm64, i386)
#   DEST   the directory to extract into (created; existing files are overwritten)
# Cache: $ATOMICS_CACHE (default ~/.cache/atomics-dev)/apt/SUITE-ARCH
set -euo pipefail

[ $# -ge 4 ] || { echo "usage: $0 SUITE ARCH DEST PACKAGE..." >&2; exit 2; }
suite=$1 arch=$2 dest=$3
shift 3

cache=${ATOMICS_CACHE:-$HOME/.cache/atomics-dev}
apt_dir=$cache/apt/$suite-$arch
mkdir -p "$apt_dir/lists/partial" "$apt_dir/archives/partial" "$apt_dir/state" "$dest"
exec 8>"$apt_dir/lock"
flock 8   # one apt run per suite and architecture at a time

mirror=$(awk '/^URIs:/{print $2; exit}' /etc/apt/sources.list.d/debian.sources 2>/dev/null || true)
mirror=${mirror:-http://deb.debian.org/debian}
echo "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $mirror $suite main" >"$apt_dir/sources.list"
: >"$apt_dir/status"   # nothing is installed: every dependency is downloaded
apt_opts=(
    -o "Dir::Etc::SourceList=$apt_dir/sources.list" -o Dir::Etc::SourceParts=/dev/null
    -o Dir::Etc::Preferences=/dev/null -o Dir::Etc::PreferencesParts=/dev/null
    -o "Dir::State=$apt_dir/state" -o "Dir::State::Lists=$apt_dir/lists"
    -o "Dir::State::status=$apt_dir/status" -o "Dir::Cache=$apt_dir" -o "Dir::Cache::archives=$apt_dir/archives"
    -o "APT::Architecture=$arch" -o "APT::Architectures=$arch" -o APT::Install-Recommends=false
    -o APT::Sandbox::User=root -o Debug::NoLocking=true
)
echo "debian-packages: $suite/$arch: $*" >&2
apt-get "${apt_opts[@]}" -qq update >&2
rm -f "$apt_dir"/archives/*.deb
apt-get "${apt_opts[@]}" -qq -y install --download-only "$@" >/dev/null
for deb in "$apt_dir"/archives/*.deb; do
    dpkg-deb --fsys-tarfile "$deb" |
        tar -x -C "$dest" --exclude=./usr/share/doc --exclude=./usr/share/man --exclude=./usr/share/locale
done
echo "debian-packages: $(ls "$apt_dir"/archives/*.deb | wc -l) packages extracted into $dest" >&2
rm -f "$apt_dir"/archives/*.deb
