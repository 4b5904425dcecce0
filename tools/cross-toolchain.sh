#!/usr/bin/env bash
# Set up what building and running for aarch64 and i686 Linux needs, and print the directory
# of the qemu-user binaries. Quick when everything is already there.
#
# - rustup targets aarch64-unknown-linux-gnu and i686-unknown-linux-gnu;
# - Debian's cross compilers (gcc-aarch64-linux-gnu, gcc-i686-linux-gnu and their libc6-dev)
#   and patchelf, installed with apt-get;
# - qemu-user from Debian 13 (trixie): static binaries, extracted into the cache, not
#   installed. Debian 12's qemu 7.2 has no FEAT_LSE2 (its `-cpu max` lacks HWCAP_USCAT), so
#   it could not run the 16-byte ldp/stp path;
# - binfmt_misc (mounted if missing) with qemu-aarch64 registered under the F flag (the kernel
#   opens the emulator once), so that an aarch64 program starts other aarch64 programs
#   (multiprocessing's spawn, subprocess) as the kernel would on an aarch64 machine. An
#   existing qemu-aarch64 entry with another emulator is replaced. This is machine-wide.
#
# i686 needs no emulator: the x86_64 kernel runs 32-bit x86 programs itself (checked here).
#
# Usage: tools/cross-toolchain.sh   (progress on stderr, the qemu directory on stdout)
# Cache: $ATOMICS_CACHE (default ~/.cache/atomics-dev)/qemu-trixie
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cache=${ATOMICS_CACHE:-$HOME/.cache/atomics-dev}
mkdir -p "$cache"

targets=(aarch64-unknown-linux-gnu i686-unknown-linux-gnu)
installed=$(rustup target list --installed)
for target in "${targets[@]}"; do
    grep -qx "$target" <<<"$installed" || rustup target add "$target" >&2
done

"$root"/tools/apt-install.sh cross-toolchain gcc-aarch64-linux-gnu libc6-dev-arm64-cross gcc-i686-linux-gnu \
    libc6-dev-i386-cross patchelf

qemu_dir=$cache/qemu-trixie
qemu=$qemu_dir/qemu-aarch64
qemu_ok() {
    [ -f "$qemu_dir/.complete" ] && "$qemu" --version >/dev/null 2>&1 &&
        grep -qw neoverse-n1 < <("$qemu" -cpu help 2>/dev/null)   # (-cpu help exits with 1)
}
exec 9>"$cache/qemu-trixie.lock"
flock 9
if ! qemu_ok; then
    echo "cross-toolchain: extracting Debian trixie's qemu-aarch64 into $qemu_dir" >&2
    rm -rf "$qemu_dir"
    "$root/tools/debian-packages.sh" trixie amd64 "$qemu_dir/package" qemu-user
    mv "$qemu_dir/package/usr/bin/qemu-aarch64" "$qemu"   # the other emulators are not needed
    rm -rf "$qemu_dir/package"
    touch "$qemu_dir/.complete"
    qemu_ok || { echo "cross-toolchain: the extracted qemu-aarch64 does not run" >&2; exit 1; }
fi

binfmt=/proc/sys/fs/binfmt_misc
if [ ! -e "$binfmt/register" ]; then
    mount -t binfmt_misc binfmt_misc "$binfmt" ||
        { echo "cross-toolchain: cannot mount binfmt_misc (spawned aarch64 children need it)" >&2; exit 1; }
fi
entry=$binfmt/qemu-aarch64
if [ -e "$entry" ] && ! { grep -qx enabled "$entry" && grep -qx "interpreter $qemu" "$entry" &&
    grep -q "^flags: .*F" "$entry"; }; then
    echo "cross-toolchain: replacing the binfmt entry qemu-aarch64 ($(grep interpreter "$entry"))" >&2
    echo -1 >"$entry"
fi
if [ ! -e "$entry" ]; then
    # ELF, 64-bit, little-endian, executable or shared object, machine 183 (aarch64); the
    # magic and mask of Debian's /usr/share/qemu/binfmt.d/qemu-aarch64.conf.
    magic='\x7f\x45\x4c\x46\x02\x01\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x02\x00\xb7\x00'
    mask='\xff\xff\xff\xff\xff\xff\xff\x00\xff\xff\xff\xff\xff\xff\xff\xff\xfe\xff\xff\xff'
    echo ":qemu-aarch64:M::$magic:$mask:$qemu:F" >"$binfmt/register"
    echo "cross-toolchain: registered $qemu for aarch64 programs (binfmt_misc, F flag)" >&2
fi

# 32-bit x86 programs run on this kernel without emulation (IA32 emulation is built in).
probe=$cache/probe-i686
if [ ! -x "$probe" ]; then
    printf 'int main(void) { return 0; }\n' | i686-linux-gnu-gcc -static -x c - -o "$probe.tmp" && mv "$probe.tmp" "$probe"
fi
"$probe" || { echo "cross-toolchain: this kernel cannot run 32-bit x86 programs (no IA32 emulation)" >&2; exit 1; }

echo "$qemu_dir"
