"""The fuzzer's hostile constructions of arrays: ``array``, ``arrayview``, ``seg.array`` and
``attach_array`` with hostile arguments.
"""

import gc
import os
import random
import stat
import struct
import sys

from hypothesis import strategies as st
from hypothesis.stateful import rule

import atomics
from atomics.exc import AlignmentError, UnsupportedWidthException
from atomics.shared import attach_array

from _fuzz.arguments import (Hostile, HostileError, Prediction, RaisingBool, RaisingIndex, conv_usize,
                             conv_width)
from _fuzz.array_arguments import ARRAY_ATYPES, ARRAY_CLASS, KIND_ATYPE, MAX_ARRAYS, ArrayTarget
from _fuzz.array_pools import buffer_address
from _fuzz.run import (COUNTS, NAME_PATTERN, RAISED, SHM, atype_family, foreign_buffer, items_usable,
                       objects_intact, short, width_exists)
from _fuzz.targets import Cell, address_of, atype_facts, shm_names

try:
    import numpy as np
except ImportError:  # pragma: no cover - numpy is optional
    np = None


class HostileArrays:
    """Array constructors called with hostile arguments."""

    @rule(seed=st.integers(0, 2**32 - 1))
    def hostile_array(self, seed):
        """atomics.array, arrayview, SharedSegment.array and attach_array with hostile
        lengths, widths, atypes, keywords, buffers, offsets and names: the documented error,
        nothing pinned, no segment left behind."""
        rng = random.Random(seed)
        COUNTS["calls"] += 1
        COUNTS["array calls"] += 1
        what = rng.choice(["array", "array", "arrayview", "arrayview", "segment", "attach"])
        names = shm_names()
        junk = [("ANY", atomics.ANY, {"is_integral": 1, "is_signed": 1}), ("junk", int, {}), ("junk", "INT", {}),
                ("INTEGRAL", atomics.INTEGRAL, {}), ("INT", atomics.INT, {"is_signed": True}),
                ("INTEGRAL", atomics.INTEGRAL, {"is_signed": 1, "bogus": 2}), ("junk", None, {}),
                ("INTEGRAL", atomics.INTEGRAL, {"is_signed": RaisingBool()})]
        label, atype, kwargs = rng.choice(ARRAY_ATYPES + ARRAY_ATYPES + junk)
        p = Prediction()
        known = any(atype is a for a in (atomics.INT, atomics.UINT, atomics.BYTES, atomics.FLOAT, atomics.INTEGRAL))
        allowed_kw = {"is_signed"} if atype is atomics.INTEGRAL else set()
        if set(kwargs) - allowed_kw or not known or (atype is atomics.INTEGRAL and "is_signed" not in kwargs):
            p.only(TypeError, "atype")
        elif isinstance(kwargs.get("is_signed"), RaisingBool):
            p.add(HostileError, "is_signed")  # its truth value raises
        fam = "float" if atype is atomics.FLOAT else None

        def width_and_length(width, length=RaisingBool, huge=(MemoryError,)):
            """Adds the errors of a width and a length (if given); the width, or None.
            A length whose bytes cannot be had raises one of `huge`."""
            v, err = conv_width(width)
            if err is not None:
                p.add(err, "width")
            elif not width_exists(v, False, fam):
                p.add(UnsupportedWidthException, "width")
                v = None
            if length is not RaisingBool:
                if not isinstance(length, int):
                    p.add(TypeError, "length")
                elif length < 0:
                    p.add(ValueError, "length")
                elif v and (length * v >= 1 << 40 or length * v > sys.maxsize):
                    for exc in huge:
                        p.add(exc, "too large")
            return v

        def judge(make, desc):
            try:
                obj = make()
            except Exception as e:  # noqa: BLE001
                RAISED[type(e).__name__] += 1
                COUNTS["raised"] += 1
                assert p.errors and isinstance(e, tuple(p.errors)), f"{desc} raised {e!r}; expected {p.errors}"
                return None
            assert not p.errors, f"{desc} worked; expected {p.errors}"
            COUNTS["succeeded"] += 1
            return obj

        if what == "array":
            length = rng.choice([0, 1, 3, 12, True, -1, 1 << 59, 1 << 62, 1 << 64, 1 << 200, 2.0, "2", None]
                                + ([np.int64(2)] if np is not None else []))
            width = rng.choice([1, 2, 4, 8, 16, 4, 8, 0, 3, -1, 32, 1 << 64, "8", 8.0, None, True])
            shared = rng.random() < 0.3
            if not p.exclusive:
                v = width_and_length(width, length, huge=(MemoryError, OSError) if shared else (MemoryError,))
                if shared and v and isinstance(length, int) and length == 0:
                    p.add(ValueError, "no atomics")
            desc = f"array({short(length)}, {short(width)}, {label}, shared={shared}, {kwargs})"
            obj = judge(lambda: atomics.array(length, width, atype, shared=shared, **kwargs), desc)
            if obj is not None:
                assert type(obj) is ARRAY_CLASS[label] and len(obj) == int(length) and obj.width == int(width), desc
                assert obj.load_all(out=bytearray(obj.nbytes)) == bytearray(obj.nbytes), f"{desc}: not zeroed"
                if shared:
                    name = obj.shared_name
                    assert NAME_PATTERN.match(name), name
                    path = os.path.join(SHM, name.lstrip("/"))
                    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
                    del obj
                    if os.path.exists(path):
                        COUNTS["gc needed"] += 1
                        gc.collect()
                    assert not os.path.exists(path), f"{desc}: the name outlived the array"
        elif what == "arrayview":
            w = rng.choice([1, 2, 4, 8, 16])
            kind = rng.choice(["misaligned", "size", "strided", "fortran", "released", "nonbuffer", "readonly", "2d",
                               "typed", "foreign", "ok", "ok", "empty"])
            base = bytearray(rng.randbytes(160))
            a = address_of(base)
            off = rng.choice([o for o in range(0, 64) if (a + o) % 16 == 0])
            k = rng.randint(1, 4)
            readonly, contiguous, size, address, itemsize, released = False, True, k * w, a + off, 1, False
            buf = memoryview(base)[off:off + k * w]
            if kind == "misaligned":
                off += rng.randint(1, 15)
                buf.release()
                buf, address = memoryview(base)[off:off + k * w], a + off
            elif kind == "size" and w > 1:
                size = k * w + rng.randint(1, w - 1)
                buf.release()
                buf = memoryview(base)[off:off + size]
            elif kind == "strided":
                buf.release()
                buf = memoryview(base)[off:off + 2 * k * w:2]
                contiguous = k * w == 1
            elif kind == "fortran" and np is not None:
                buf.release()
                buf = np.zeros((4, 4), dtype=np.uint8, order="F")
                contiguous, size, address = False, 16, buf.ctypes.data
            elif kind == "released":
                buf.release()
                released = True
            elif kind == "nonbuffer":
                buf.release()
                buf = rng.choice(["abcd", None, 5, [1, 2], object(), 2.5, RaisingIndex()])
            elif kind == "readonly":
                buf.release()
                buf = memoryview(base).toreadonly()[off:off + k * w]
                readonly = True
            elif kind == "2d" and np is not None:
                buf.release()
                buf = np.zeros((2, k * w), dtype=np.uint8)
                size, address = 2 * k * w, buf.ctypes.data
            elif kind == "typed" and np is not None:
                buf.release()
                dtype = rng.choice([np.int64, np.int32, np.uint16, np.float32, np.float64, np.int8])
                buf = np.zeros(k, dtype=dtype)
                size, address, itemsize = buf.nbytes, buf.ctypes.data, buf.itemsize
            elif kind == "empty":
                buf.release()
                buf, size = memoryview(base)[off:off], 0
            elif kind == "foreign" and (foreign := foreign_buffer(rng, k * w)) is not None:
                buf.release()
                buf = foreign
                with memoryview(buf) as m:
                    size, address, itemsize = m.nbytes, buffer_address(m), m.itemsize
            width = rng.choice([w, w, w, None, 0, 3, -1, "8", 8.0, 1 << 64])
            if not p.exclusive:
                is_buffer = not isinstance(buf, (str, list, int, float, type(None), Hostile)) and type(buf) is not object
                effective = width
                if width is None:  # the buffer's item size
                    if released:
                        p.add(ValueError, "released")
                    elif not is_buffer:
                        p.add(TypeError, "not a buffer")
                    else:
                        effective = itemsize
                if effective is not None:
                    v = width_and_length(effective)
                    if released:
                        p.add(ValueError, "released")
                    elif not is_buffer:
                        p.add(TypeError, "not a buffer")
                    elif not contiguous:
                        p.add(TypeError, "not C-contiguous")
                    elif v:
                        if readonly and not width_exists(v, True, fam if fam == "float" else None):
                            p.add(UnsupportedWidthException, "read-only width")
                        elif size % v:
                            p.add(ValueError, "not a whole number of atomics")
                        elif size and address % v:
                            p.add(AlignmentError, "alignment")
                        elif label != "junk" and not isinstance(kwargs.get("is_signed"), RaisingBool) and (
                                not readonly or width_exists(v, True, fam)):
                            with memoryview(buf) as m:
                                fmt = m.format
                            if not items_usable(fmt, itemsize, *atype_family(label, kwargs), v):
                                p.add(TypeError, f"items of format {fmt!r}")
            desc = f"arrayview({kind} of {size} bytes, {label}, width={short(width)}, {kwargs})"
            if width is None:
                make = lambda: atomics.arrayview(buf, atype, **kwargs)  # noqa: E731
            else:
                make = lambda: atomics.arrayview(buf, atype, width=width, **kwargs)  # noqa: E731
            obj = judge(make, desc)
            if obj is not None:
                assert len(obj) == size // obj.width and obj.readonly is readonly, desc
                obj.release()
            del obj
            assert objects_intact(buf), f"{desc}: wrote into a buffer of Python objects"
            if isinstance(buf, memoryview):
                buf.release()
            base.append(0)  # nothing is left pinned
            COUNTS["pin checks"] += 1
        elif what == "segment":
            live = [x for x in self.targets + self.arrays if x.backing.kind == "segment" and x.backing.seg is not None]
            if not live:
                return
            b = rng.choice(live).backing
            seg, f = b.seg, b.file
            offset = rng.choice([0, 8, 16, 64, 4, f.size, f.size - 8, -8, 1 << 64, 2.0, None]
                                + ([np.int64(8)] if np is not None else []))
            length = rng.choice([0, 1, 2, 4, -1, 1 << 62, 1 << 200, 1.0, None])
            width = rng.choice([1, 2, 4, 8, 16, 3, 0, "8"])
            if not p.exclusive:
                o, err = conv_usize(offset)
                if err is not None:
                    p.add(err, "offset")
                v = width_and_length(width, length, huge=(MemoryError, ValueError))  # too large, or does not fit
                if b.released:
                    p.add(ValueError, "closed")
                if o is not None and v and isinstance(length, int) and length >= 0:
                    if o + length * v > f.size:
                        p.add(ValueError, "does not fit")
                    elif length and o % v:
                        p.add(AlignmentError, "alignment")
            desc = f"seg.array({short(offset)}, {short(length)}, {short(width)}, {label}, {kwargs}) on {seg.name}"
            obj = judge(lambda: seg.array(offset, length, width, atype, **kwargs), desc)
            if obj is not None:
                o, v, n = int(offset), int(width), int(length)
                assert len(obj) == n and obj.shared_offset == o, desc
                free = all(not (off < o + n * v and o < off + c.width) for off, c in f.cells.items())
                if free and n and len(self.arrays) < MAX_ARRAYS:
                    fam_, signed, sobj, _, _ = atype_facts(atype, kwargs)
                    cells = [Cell(v) for _ in range(n)]
                    for i, c in enumerate(cells):
                        f.cells[o + i * v] = c
                    self.add_array(ArrayTarget(obj, b, cells, v, fam_, signed, sobj, False, f"seg.array({label})@{o}",
                                               offset=o))
        else:  # attach_array
            live = [f for f in self.files.values() if os.path.exists(f.path())]
            name = rng.choice(["", "/", "\0", "/atomics_nosuchsegment", 5, None, b"/atomics_x", "/" + "a" * 300]
                              + [f.name for f in live] * 4)
            width = rng.choice([None, None, 1, 2, 4, 8, 16, 8.0, "8"])
            atype_arg = rng.choice([None, None, atomics.INT, atomics.UINT, atomics.BYTES, atomics.FLOAT,
                                    atomics.INTEGRAL, int])
            p = Prediction()
            f = self.files.get(name) if isinstance(name, str) else None
            if f is None:
                p.add(TypeError if not isinstance(name, str) else OSError, "name")
                p.add(ValueError, "name")
            else:
                hw, hk = struct.unpack_from("=II", f.header, 24)
                made = KIND_ATYPE.get(hk, (None, None))[1]
                if made is None:
                    p.add(TypeError, "a layout")
                elif (width is not None and width != hw) or (atype_arg is not None and atype_arg is not made):
                    p.add(ValueError, "width or type")
            desc = f"attach_array({short(name)}, {short(width)}, {short(atype_arg)})"
            obj = judge(lambda: attach_array(name, width, atype_arg), desc)
            if obj is not None:
                assert len(obj) == f.size // hw and obj.width == hw and obj.shared_name == name, desc
                assert obj.load_all(out=bytearray(f.size)) == bytearray(f.map[64:]), f"{desc}: not the segment's data"
        new = shm_names() - names
        assert not new, f"{what} left segments behind: {new}"
