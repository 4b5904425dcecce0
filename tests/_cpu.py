"""What the CPU running the tests offers for 16-byte atomics, read from the CPU's own
description (never from the library under test, so that the tests catch a library that claims
too much or too little), as the README's platform table says:

- x86_64: width 16 with ``cmpxchg16b`` (flag ``cx16``); read-only 16-byte views need a true
  16-byte load: AVX on Intel and AMD.
- aarch64: width 16 on every CPU; read-only 16-byte views with FEAT_LSE2 (``uscat``).
- 32-bit processes (i686, also on an x86_64 kernel) and other CPUs: no width 16.

``SIZE_MAX`` is the largest ``size_t`` of this process (widths above it overflow ``size_t``).
"""

import platform
import struct
import sys

import atomics
from atomics.exc import UnsupportedWidthException

SIZE_MAX = 2 * sys.maxsize + 1


def _cpu_features():
    """(16-byte compare-exchange, true 16-byte load)."""
    machine = platform.machine().lower()
    if struct.calcsize("P") != 8 or machine not in ("x86_64", "amd64", "aarch64", "arm64"):
        return False, False
    try:
        with open("/proc/cpuinfo") as f:
            text = f.read()
    except OSError:  # not Linux: ask the library (the only way left)
        try:
            atomics.Alignment(16)
        except UnsupportedWidthException:
            return False, False
        return True, False
    flags, vendor = set(), ""
    for line in text.splitlines():
        key, _, value = line.partition(":")
        if key.strip() in ("flags", "Features") and not flags:
            flags = set(value.split())
        elif key.strip() == "vendor_id" and not vendor:
            vendor = value.strip()
    if machine in ("aarch64", "arm64"):
        return True, "uscat" in flags
    cas16 = "cx16" in flags
    return cas16, cas16 and "avx" in flags and vendor in ("GenuineIntel", "AuthenticAMD")


CAS16, LOAD16 = _cpu_features()
