"""The fuzzer's run: its settings (ATOMICS_FUZZ_*), the figures it reports, the segments it
keeps, and the platform read from the CPU (never from the library).
"""

import collections
import ctypes
import os
import re
import sys

import pytest
from hypothesis import HealthCheck, settings

from _cpu import CAS16, LOAD16, SIZE_MAX  # read from the CPU, as the README says

try:
    import numpy as np
except ImportError:  # pragma: no cover - numpy is optional
    np = None


EXAMPLES = int(os.environ.get("ATOMICS_FUZZ_EXAMPLES", "300"))
STEPS = int(os.environ.get("ATOMICS_FUZZ_STEPS", "40"))
BURST = int(os.environ.get("ATOMICS_FUZZ_BURST", "30"))
REPORT = os.environ.get("ATOMICS_FUZZ_REPORT")
# wait() never sleeps (a timeout of 0 instead of 0.5 ms)
NO_SLEEP = os.environ.get("ATOMICS_FUZZ_NO_SLEEP") == "1"
# At most this many forks with a sleeping or releasing thread per run (each costs ~50 ms)
FORKS = 0 if NO_SLEEP or not hasattr(os, "fork") else int(os.environ.get("ATOMICS_FUZZ_FORKS", "40"))
SETTINGS = settings(
    max_examples=EXAMPLES,
    stateful_step_count=STEPS,
    deadline=None,
    database=None,
    suppress_health_check=list(HealthCheck),
)

# older numpy warns when np.bool_ (one of the hostile values) is used as an index
pytestmark = pytest.mark.filterwarnings("ignore:In future, it will be an error for 'np.bool:DeprecationWarning")

SHM = "/dev/shm"
# conftest.py tags this session's segments (ATOMICS_SEGMENT_TAG) so that leak checks count
# only ours, whatever else runs on the machine.
TAG = os.environ.get("ATOMICS_SEGMENT_TAG", "")
NAME_PATTERN = re.compile(r"^/atomics_" + re.escape(TAG) + r"[a-z2-7]{11}$")
RELEASED = "Operation forbidden on released AtomicCore object."
MAX_TARGETS = 9

# Segments whose creator was told to keep the name (unlink_on_close = False): the test removes
# them itself, at the end of each run and, should a run fail half-way, at the end of the module.
KEPT = set()

# Figures of the run, reported at the end of the module (and written to ATOMICS_FUZZ_REPORT).
COUNTS = collections.Counter()
RAISED = collections.Counter()


# ---------------------------------------------------------------------------------------
# The platform, read from the CPU (never from the library): which widths exist
# ---------------------------------------------------------------------------------------


WIDTHS = [1, 2, 4, 8] + ([16] if CAS16 else [])


def width_exists(width, readonly, family=None):
    if family == "float":
        return width in (4, 8)
    if width in (1, 2, 4, 8):
        return True
    if width == 16:
        return LOAD16 if readonly else CAS16
    return False


def items_usable(fmt, itemsize, family, signed, width):
    """Whether atomics of `family` ("int", "float", "bytes"), signed or not, of `width` may
    view or fill a buffer whose items have struct format `fmt` (docs/arrays.md, "Which
    buffers"): raw bytes always; the family's own native numbers of the width; for bytes any
    plain numbers; never objects, pointers or structures."""
    order, code = (fmt[0], fmt[1:]) if fmt[:1] in ("@", "=", "<", ">", "!") else ("@", fmt)
    native = itemsize == 1 or order in ("@", "=") or order == {"little": "<", "big": ">"}[sys.byteorder] \
        or (order == "!" and sys.byteorder == "big")
    ints = {c: c.islower() for c in "bhilqnBHILQN"}
    kind = ("int" if code in ints else "float" if code in ("e", "f", "d") else
            "other-number" if code in ("?", "c", "Ze", "Zf", "Zd") else None)
    if kind is None:
        return False
    if itemsize == 1 and (code in ints or code == "c") or family == "bytes":
        return True
    fits = native and itemsize == width
    if family == "int":
        return kind == "int" and fits and ints[code] == bool(signed)
    return family == "float" and kind == "float" and fits


def atype_family(label, kwargs):
    """(family, signed) of an atype of the fuzzer's tables, with its keywords."""
    if label in ("INT", "UINT"):
        return "int", label == "INT"
    if label == "INTEGRAL":
        return "int", bool(kwargs.get("is_signed"))
    if label == "ANY":
        return ("int" if kwargs.get("is_integral") else "bytes"), bool(kwargs.get("is_signed"))
    return ("float" if label == "FLOAT" else "bytes"), False


def foreign_buffer(rng, nbytes):
    """A buffer of `nbytes` whose items are not raw bytes, or None where none can be made:
    Python objects, pointers, big- or little-endian numbers, floats, bools. The caller checks
    afterwards that an object buffer still holds its objects."""
    makers = []
    if nbytes % ctypes.sizeof(ctypes.py_object) == 0 and nbytes:
        n = nbytes // ctypes.sizeof(ctypes.py_object)
        makers.append(lambda: (ctypes.py_object * n)(*([None] * n)))
        makers.append(lambda: (ctypes.c_void_p * n)())
        if np is not None:
            makers.append(lambda: np.array([None] * n, dtype=object))
    if np is not None and nbytes:
        for size, letters in ((1, "iub"), (2, "iuf"), (4, "iuf"), (8, "iuf"), (16, "c")):
            if nbytes % size == 0:
                for letter in letters:
                    for order in ("<", ">", "="):
                        dtype = np.dtype(f"{order}{letter}{size}") if letter != "b" else np.dtype(np.bool_)
                        makers.append(lambda dtype=dtype: np.zeros(nbytes // dtype.itemsize, dtype=dtype))
    if not makers:
        return None
    COUNTS["foreign-format buffers"] += 1
    return rng.choice(makers)()


def objects_intact(buf):
    """Whether a buffer of Python objects still holds only None (never written through)."""
    if isinstance(buf, ctypes.Array) and buf._type_ is ctypes.py_object:
        return all(x is None for x in buf)
    if np is not None and isinstance(buf, np.ndarray) and buf.dtype == object:
        return all(x is None for x in buf.tolist())
    return True


def short(x, n=90):
    try:
        r = repr(x)
    except Exception:  # noqa: BLE001
        r = f"<{type(x).__name__}>"
    return r if len(r) <= n else r[: n - 3] + "..."


def remove_kept():
    for path in list(KEPT):
        try:
            os.unlink(path)
        except FileNotFoundError:
            pass
        KEPT.discard(path)
