"""The fuzzer's state machine: its rules are in the mixins it is made of; here its state and
the checks after every step.
"""

import gc
import os
import random

from hypothesis.stateful import RuleBasedStateMachine, invariant

from _fuzz.array_arguments import GENERATORS
from _fuzz.array_calls import ArrayCalls
from _fuzz.array_misc import ArrayMisc
from _fuzz.array_rules import ArrayRules
from _fuzz.attributes import Attributes
from _fuzz.calls import Calls
from _fuzz.hostile_arrays import HostileArrays
from _fuzz.hostile_construction import HostileConstruction
from _fuzz.run import COUNTS, remove_kept, short
from _fuzz.target_rules import TargetRules
from _fuzz.targets import shm_names
from _model import same


class FuzzMachine(TargetRules, Calls, Attributes, HostileConstruction, ArrayRules, ArrayCalls, ArrayMisc, HostileArrays,
                  RuleBasedStateMachine):
    """The fuzzer: live targets and arrays, and the checks of memory after every step."""

    def __init__(self):
        super().__init__()
        self.targets = []
        self.arrays = []  # ArrayTarget
        self.files = {}  # name -> SegmentFile
        self.backings = []
        self.rng = random.Random(0)
        self.names_before = shm_names()


    # -- checks ----------------------------------------------------------------------

    def check_backing(self, b):
        if b.kind == "view" and b.reader is not None:
            got = b.reader()
            want = b.snapshot if b.readonly else b.expected_buffer()
            if got != want:
                diff = [i for i in range(len(want)) if got[i] != want[i]]
                regions = [(o, o + c.width) for o, c in b.regions]
                raise AssertionError(f"buffer bytes {diff[:8]} changed (regions {regions}, read-only {b.readonly})")
        elif b.kind == "segment":
            got, want = b.file.map[:], b.file.expected()
            if got != want:
                diff = [i for i in range(len(want)) if got[i] != want[i]]
                raise AssertionError(f"segment {b.file.name}: bytes {diff[:8]} differ from the model "
                                     f"(atomics at {sorted(b.file.cells)})")

    @invariant()
    def memory_matches_model(self):
        for t in self.targets:
            if t.alive and t.family != "none":
                COUNTS["model checks"] += 1
                got = t.obj.load()
                assert same(got, t.value()), f"{t!r}: load() = {got!r}, model {t.value()!r}"
        for at in self.arrays:
            if at.alive:
                COUNTS["model checks"] += 1
                got, want = at.obj.load_all(), at.values()
                assert len(got) == len(want) and all(same(g, v) for g, v in zip(got, want)), \
                    f"{at!r}: load_all() = {short(got)}, model {short(want)}"
        for b in self.backings:
            self.check_backing(b)
        for f in self.files.values():
            got, want = f.map[:], f.expected()
            assert got == want, f"segment {f.name} differs from the model"

    def teardown(self):
        try:
            self.check_teardown()
        finally:
            remove_kept()

    def check_teardown(self):
        GENERATORS.clear()
        while self.arrays:
            self.drop_array(0)
        while self.targets:
            self.drop_target(0)
        for b in self.backings:
            if b.kind == "view" and b.ctx is not None:
                b.ctx.__exit__(None, None, None)
        self.backings.clear()
        if any(os.path.exists(f.path()) and not f.kept for f in self.files.values()):
            COUNTS["gc needed"] += 1
            gc.collect()
        for f in self.files.values():
            if f.kept and os.path.exists(f.path()):
                os.unlink(f.path())
            assert not os.path.exists(f.path()), f"{f.name} leaked"
            f.map.close()
        self.files.clear()
        new = shm_names() - self.names_before
        assert not new, f"segments leaked: {new}"
