"""Post-processing and checks of the wheels in dist/ (run by tools/build-wheels.sh).

    python tools/wheels.py fix-musl WHEEL...
        zig links a musl extension against `libc.so`, a name musl's loader resolves to itself
        (every `libc.*` is musl) but that auditwheel's musllinux policy does not know: the
        policy expects Alpine's name, `libc.musl-ARCH.so.1`, which musl's loader also resolves
        to itself. The DT_NEEDED entry is renamed with patchelf and the wheel's RECORD updated.
        A wheel already renamed is left alone.

    python tools/wheels.py check --targets T --pythons P --sdist 0|1 DIST
        every expected wheel (one per target and CPython) is there and nothing else; each one
        holds the package, its stub and py.typed, one extension module and the license; and
        `auditwheel show` names the wheel's own platform tag, with no external library; a
        Windows wheel's module imports only its CPython's DLL and Windows' own and exports
        PyInit__native (x86_64-w64-mingw32-objdump). Prints a table: wheel, size, auditwheel's
        tag (Windows: the platform tag), newest glibc symbol version (Windows: the DLLs).

Needs auditwheel and patchelf on PATH (tools/wheel-tools.sh), and mingw-w64's binutils for
Windows wheels.
"""

import argparse
import base64
import hashlib
import json
import os
import re
import subprocess
import sys
import tempfile
import zipfile

POLICIES = {"manylinux": "manylinux_2_17", "musllinux": "musllinux_1_2", "windows": "win_amd64"}
# The platform tags maturin gives each policy (manylinux_2_17 also under its old name)
PLATFORM_TAGS = {
    "manylinux": "manylinux2014_{arch}.manylinux_2_17_{arch}",
    "musllinux": "musllinux_1_2_{arch}",
    "windows": "win_amd64",
}
# The DLLs a Windows module may import besides its CPython's: Windows' own (what Rust's
# standard library links, lower-cased), and the API sets
WINDOWS_DLLS = {"kernel32.dll", "ntdll.dll", "advapi32.dll", "bcrypt.dll", "bcryptprimitives.dll", "userenv.dll",
                "ws2_32.dll", "msvcrt.dll", "synchronization.dll"}
# auditwheel's musllinux name of the C library, per wheel architecture
MUSL_LIBC = {"x86_64": "libc.musl-x86_64.so.1", "aarch64": "libc.musl-aarch64.so.1", "i686": "libc.musl-x86.so.1"}


def record_hash(data):
    return "sha256=" + base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()


def rewrite_wheel(path, replaced):
    """Rewrites the wheel at `path` with the members of `replaced` (name -> bytes) swapped in
    and RECORD updated; every other member, its order, date and permissions are kept."""
    tmp = path + ".tmp"
    with zipfile.ZipFile(path) as src, zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as dst:
        record_name = next(n for n in src.namelist() if n.endswith(".dist-info/RECORD"))
        for info in src.infolist():
            data = replaced.get(info.filename)
            if info.filename == record_name:
                lines = []
                for line in src.read(info).decode().splitlines():
                    name = line.split(",", 1)[0]
                    if name in replaced:
                        line = f"{name},{record_hash(replaced[name])},{len(replaced[name])}"
                    lines.append(line)
                data = ("\n".join(lines) + "\n").encode()
            elif data is None:
                data = src.read(info)
            dst.writestr(info, data, compress_type=zipfile.ZIP_DEFLATED)
    os.replace(tmp, path)


def fix_musl(wheels):
    for wheel in wheels:
        arch = re.search(r"musllinux_\d+_\d+_(\w+)\.whl$", wheel).group(1)
        new = MUSL_LIBC[arch]
        replaced = {}
        with zipfile.ZipFile(wheel) as z, tempfile.TemporaryDirectory() as tmp:
            for name in z.namelist():
                if not name.endswith(".so"):
                    continue
                so = z.extract(name, tmp)
                needed = subprocess.run(["patchelf", "--print-needed", so], check=True,
                                        capture_output=True, text=True).stdout.split()
                if "libc.so" in needed:
                    subprocess.run(["patchelf", "--replace-needed", "libc.so", new, so], check=True)
                    with open(so, "rb") as f:
                        replaced[name] = f.read()
        if replaced:
            rewrite_wheel(wheel, replaced)
            print(f"   {os.path.basename(wheel)}: libc.so -> {new}")
        else:
            print(f"   {os.path.basename(wheel)}: already {new}")


def python_tags(python):
    """'3.9' -> 'cp39-cp39'; '3.14t' -> 'cp314-cp314t'"""
    m = re.fullmatch(r"3\.(\d+)(t?)", python)
    if not m:
        raise SystemExit(f"wheels.py: not a CPython version: {python!r}")
    return f"cp3{m[1]}-cp3{m[1]}{m[2]}"


def audit(wheel):
    out = subprocess.run(["auditwheel", "show", "--json", wheel], check=True, capture_output=True, text=True)
    return json.loads(out.stdout)


def newest_glibc(report):
    versions = [tuple(int(x) for x in v[len("GLIBC_"):].split("."))
                for syms in report.get("versioned_symbols", {}).values() for v in syms if v.startswith("GLIBC_")]
    return ".".join(map(str, max(versions))) if versions else "-"


def windows_imports(wheel, python):
    """(problems, summary) of the extension module of Windows `wheel` for CPython `python`:
    what it imports and whether it exports its init function."""
    own = "python3" + python[2:].replace(".", "") + ".dll"  # '3.14t' -> python314t.dll
    with zipfile.ZipFile(wheel) as z, tempfile.TemporaryDirectory() as tmp:
        module = next(n for n in z.namelist() if re.fullmatch(r"atomics/_native\..+\.pyd", n))
        path = z.extract(module, tmp)
        out = subprocess.run(["x86_64-w64-mingw32-objdump", "-p", path], check=True, capture_output=True,
                             text=True).stdout
    dlls = sorted({m.lower() for m in re.findall(r"DLL Name: (\S+)", out)})
    problems = [f"imports {d}" for d in dlls if d != own and d not in WINDOWS_DLLS and not d.startswith("api-ms-win-")]
    if own not in dlls:
        problems.append(f"does not import {own}")
    if not re.search(r"\]\s+PyInit__native$", out, re.M):
        problems.append("exports no PyInit__native")
    return problems, f"{own} + {len(dlls) - 1} of Windows"


def check(args):
    dist = args.dist
    problems = []
    expected = {}
    for target in args.targets.split():
        arch, kind = target.split("-", 1)
        platform = PLATFORM_TAGS[kind].format(arch=arch)
        for python in args.pythons.split():
            expected[f"{python_tags(python)}-{platform}.whl"] = (POLICIES[kind], target, python)
    present = sorted(f for f in os.listdir(dist) if f.startswith("atomics-") and f.endswith(".whl"))
    by_suffix = {f.split("-", 2)[2]: f for f in present}
    for suffix in sorted(set(expected) - set(by_suffix)):
        problems.append(f"missing: atomics-*-{suffix}")
    for suffix in sorted(set(by_suffix) - set(expected)):
        problems.append(f"not expected: {by_suffix[suffix]}")
    sdists = [f for f in os.listdir(dist) if f.startswith("atomics-") and f.endswith(".tar.gz")]
    if args.sdist == "1" and len(sdists) != 1:
        problems.append(f"expected one sdist, found {sdists}")

    rows = []
    for suffix, (policy, target, python) in sorted(expected.items(), key=lambda kv: (kv[1][1], kv[1][2])):
        if suffix not in by_suffix:
            continue
        name = by_suffix[suffix]
        path = os.path.join(dist, name)
        with zipfile.ZipFile(path) as z:
            names = z.namelist()
        for needed in ("atomics/__init__.py", "atomics/_native.pyi", "atomics/py.typed"):
            if needed not in names:
                problems.append(f"{name}: no {needed}")
        if len([n for n in names if re.fullmatch(r"atomics/_native\..+\.(so|pyd)", n)]) != 1:
            problems.append(f"{name}: not exactly one extension module")
        if not any(n.endswith(".dist-info/licenses/LICENSE") for n in names):
            problems.append(f"{name}: no license file")
        if policy == POLICIES["windows"]:
            found, summary = windows_imports(path, python)
            problems += [f"{name}: {p}" for p in found]
            rows.append((name, os.path.getsize(path), policy, summary))
            continue
        report = audit(path)
        tag = report["overall_tag"]
        if not tag.startswith(policy + "_") or tag not in name[:-len(".whl")].split("-")[-1].split("."):
            problems.append(f"{name}: auditwheel says {tag}, not the wheel's own {policy} tag")
        if report.get("external_libs"):
            problems.append(f"{name}: external libraries {sorted(report['external_libs'])}")
        rows.append((name, os.path.getsize(path), tag, newest_glibc(report)))

    width = max((len(r[0]) for r in rows), default=10)
    print(f"   {'wheel':<{width}}  {'KiB':>5}  {'auditwheel show':<24}  newest glibc symbol")
    for name, size, tag, glibc in rows:
        print(f"   {name:<{width}}  {size / 1024:5.0f}  {tag:<24}  {glibc}")
    for s in sdists:
        print(f"   {s:<{width}}  {os.path.getsize(os.path.join(dist, s)) / 1024:5.0f}  (sdist)")
    if problems:
        print("\n".join("wheels.py: " + p for p in problems), file=sys.stderr)
        return 1
    print(f"   {len(rows)} wheels, each as its policy says" + (", and the sdist" if sdists else ""))
    return 0


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("fix-musl")
    p.add_argument("wheels", nargs="*")
    p = sub.add_parser("check")
    p.add_argument("--targets", required=True)
    p.add_argument("--pythons", required=True)
    p.add_argument("--sdist", default="1")
    p.add_argument("dist")
    args = parser.parse_args()
    if args.command == "fix-musl":
        fix_musl(args.wheels)
        return 0
    return check(args)


if __name__ == "__main__":
    sys.exit(main())
