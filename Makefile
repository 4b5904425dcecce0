# The commands people and CI run. Everything sets itself up on a fresh machine:
# virtualenvs under .venv/, the interpreters CPython 3.14, 3.15 and 3.13t under ~/.cache/atomics-dev.

PYTHON ?= python3
BENCH_PYTHON ?= python3.11

.PHONY: demo test test-rust test-cross test-windows-macos test-quick typecheck dev lint clean bench bench-quick bench-arrays \
	bench-instructions fuzz memcheck chaos miri wheels test-wheels

## demo: several processes count in shared memory; atomics vs multiprocessing.Value
demo:
	@venv=$$(tools/env.sh $(PYTHON) release) && $$venv/bin/python examples/demo.py

## test: Rust tests, then the Python suite on CPython 3.9-3.13 (those present), 3.14, 3.15 and 3.13t
## (3.14 and 3.15 from Debian packages, 3.13t built: both set up once, cached); the binding
## type-checked for free-threaded 3.14t and 3.15t
test:
	tools/test.sh

## test-cross: the Rust and Python suites on Linux aarch64 (under qemu-user, three CPU models) and
## i686 (32-bit, on this kernel); sets itself up (tools/test-cross.sh); part of `make test`
test-cross:
	tools/test-cross.sh

## test-windows-macos: the core crate's tests cross-compiled for Windows x86_64 and run under
## wine (processes sharing segments and waking each other included), the C header there, and
## clippy of both crates for Windows (MSVC) and macOS (arm64, x86_64); sets itself up
test-windows-macos:
	tools/test-windows-macos.sh

## test-quick: the Python suite on the default interpreter only
test-quick:
	@venv=$$(tools/env.sh $(PYTHON)) && $$venv/bin/python -m pytest -q -p no:cacheprovider

## wheels: into dist/, the sdist and every Linux wheel: manylinux_2_17 for x86_64, aarch64 and
## i686 and musllinux_1_2 for x86_64 and aarch64, each for CPython 3.9-3.15, 3.14t and 3.15t,
## built with maturin and zig (no compiler of this machine's), each checked with auditwheel and
## twine; and win_amd64 wheels cross-built with mingw-w64, their DLL imports checked
## (tools/build-wheels.sh; well over an hour on 2 cores: not part of make test)
wheels:
	tools/build-wheels.sh

## test-wheels: the suite against the installed wheels of dist/, with no compiler on PATH: every
## x86_64 manylinux wheel in a fresh virtualenv of its CPython, aarch64 under qemu, i686, musllinux
## on a musl CPython; and the sdist built offline (tools/test-wheels.sh)
test-wheels:
	tools/test-wheels.sh

## typecheck: the static type checks alone (mypy --strict, pyright strict, stubtest, the native
## stub's parameters) on the default interpreter (3.10 or later)
typecheck:
	@venv=$$(tools/env.sh $(PYTHON)) && \
	$$venv/bin/python -m pip install -q --disable-pip-version-check -r tools/requirements-typing.txt && \
	ATOMICS_TYPING=1 $$venv/bin/python -m pytest -q -p no:cacheprovider tests/test_typing.py tests/test_stubs.py

## test-rust: the core crate's tests, doctests included
test-rust:
	cargo test -q -p atomics-core --release

## bench: this library vs the other atomics libraries and the stdlib (CPython 3.11, 3.13, 3.14;
## free-threaded scaling on 3.13t): ns per call, and instructions per call counted by callgrind;
## writes docs/benchmarks/
bench:
	@tools/valgrind.sh >/dev/null && venv=$$(tools/env.sh $(BENCH_PYTHON) release) && \
	$$venv/bin/python -m pip install -q --disable-pip-version-check -r bench/requirements.txt && \
	$$venv/bin/python bench/run.py --command "make bench"

## bench-quick: every benchmark row with tiny n, its instructions counted too (CI smoke run; the
## extension in the dev-release profile, as `make test` builds it); writes to a temporary
## directory (or BENCH_OUT=dir), never to docs/benchmarks
bench-quick:
	@tools/valgrind.sh >/dev/null && venv=$$(tools/env.sh $(BENCH_PYTHON) dev-release) && \
	$$venv/bin/python -m pip install -q --disable-pip-version-check -r bench/requirements.txt && \
	$$venv/bin/python bench/run.py --quick --command "make bench-quick" $(if $(BENCH_OUT),--out "$(BENCH_OUT)")

## bench-arrays: only the arrays section (this library on 3.11 and 3.13t, per element, vs numpy),
## merged into docs/benchmarks/results.json and results.md; every other section's figures are kept
bench-arrays:
	@venv=$$(tools/env.sh $(BENCH_PYTHON) release) && \
	$$venv/bin/python -m pip install -q --disable-pip-version-check -r bench/requirements.txt && \
	$$venv/bin/python bench/run.py --sections arrays --command "make bench-arrays" $(if $(BENCH_OUT),--out "$(BENCH_OUT)")

## bench-instructions: instructions per call of this library's rows on CPython 3.11 (callgrind, about
## a minute), printed as a table with the change since the last run (kept in
## target/bench-instructions.json); writes nothing else. INSTRUCTIONS_ARGS=--no-variants: the
## operations and costs only
bench-instructions:
	@tools/valgrind.sh >/dev/null && venv=$$(tools/env.sh $(BENCH_PYTHON) release) && \
	$$venv/bin/python bench/instructions.py $(INSTRUCTIONS_ARGS) --last target/bench-instructions.json

## fuzz: the hostile-input fuzzer of the Python surface, long: at least a million calls
## (figures in target/reliability/fuzz.json; docs/reliability.md)
FUZZ_EXAMPLES ?= 6000
fuzz:
	@venv=$$(tools/env.sh $(PYTHON)) && mkdir -p target/reliability && \
	ATOMICS_FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) ATOMICS_FUZZ_STEPS=60 ATOMICS_FUZZ_BURST=40 \
	ATOMICS_FUZZ_REPORT=target/reliability/fuzz.json \
	$$venv/bin/python -m pytest -q -p no:cacheprovider tests/test_fuzz.py && \
	$$venv/bin/python -c 'import json, sys; n = json.load(open("target/reliability/fuzz.json"))["calls"]; \
	print("fuzz: %d calls" % n); sys.exit(n < 1_000_000 and "fewer than a million calls: raise FUZZ_EXAMPLES")'

## memcheck: part of the Python suite under valgrind memcheck (PYTHONMALLOC=malloc, a few
## minutes); fails on any invalid access, any error, or any error or leak naming the extension
# CPython 3.13 by default: 3.11's int.from_bytes leaves the small int 0 "uninitialised" for
# memcheck, which then reports every later use of it, in CPython or in any extension
# (docs/reliability.md); 3.13 has no such report.
MEMCHECK_PYTHON ?= $(or $(lastword $(sort $(wildcard $(shell pyenv root 2>/dev/null)/versions/3.13.*/bin/python3.13))),$(PYTHON))
# (the tests of atomic() objects written from atomics 1.0's contract: tests/_api.py's users)
API_TESTS = package classes atomic_factory atomic_objects enums integral_ops orders bytes_ops cmpxchg_result alignment \
	exceptions
MEMCHECK_TESTS ?= tests/test_fuzz.py tests/test_model.py $(API_TESTS:%=tests/test_%.py) \
	tests/test_atomicview.py tests/test_views_readonly.py tests/test_view_contexts.py tests/test_view_pinning.py \
	tests/test_view_classes.py \
	tests/test_richer_ops.py tests/test_float.py tests/test_readonly_mapping.py tests/test_security.py tests/test_wait.py \
	tests/test_common_call.py
# Timing tests (a few milliseconds of slack) cannot hold at valgrind's speed.
MEMCHECK_SKIP ?= not few_milliseconds and not promptly and not gil_is_released and not float_surface \
	and not ping_pong
memcheck:
	@command -v valgrind >/dev/null || { echo "memcheck: valgrind is not installed"; exit 1; }
	@venv=$$(tools/env.sh $(MEMCHECK_PYTHON)) && out=target/reliability/memcheck-$$(basename $$venv) && \
	rm -rf $$out && mkdir -p $$out && echo "== valgrind memcheck on $$venv (logs in $$out)" && \
	PYTHONMALLOC=malloc ATOMICS_FUZZ_EXAMPLES=40 ATOMICS_MODEL_EXAMPLES=3 ATOMICS_MODEL_STEPS=15 \
	valgrind --tool=memcheck --suppressions=tools/valgrind-python.supp --leak-check=full \
	  --show-leak-kinds=definite --errors-for-leak-kinds=none --num-callers=40 -s --log-file=$$out/%p.log \
	  $$venv/bin/python -m pytest -q -p no:cacheprovider -k "$(MEMCHECK_SKIP)" $(MEMCHECK_TESTS); \
	tests=$$?; \
	invalid=$$(cat $$out/*.log | grep -cE "Invalid (read|write|free)|Mismatched free|Source and destination overlap|Jump to the invalid address|Syscall param"); \
	errors=$$(for f in $$out/*.log; do grep "ERROR SUMMARY" $$f | tail -n 1; done | awk '{s += $$4} END {print s + 0}'); \
	ours=$$(cat $$out/*.log | grep -c "_native"); \
	lost=$$(grep -h "definitely lost:" $$out/*.log | awk '{gsub(",", "", $$4); s += $$4} END {print s + 0}'); \
	echo "memcheck: $$(ls $$out/*.log | wc -l) processes, pytest exit $$tests; invalid accesses: $$invalid;" \
	  "errors: $$errors; errors or leaks naming the extension: $$ours;" \
	  "definitely lost at exit (by CPython and numpy; none by the extension): $$lost bytes"; \
	grep -h "used_suppression" $$out/*.log | awk '{n[$$4] += $$3} END {for (k in n) printf "  suppressed %6d x %s\n", n[k], k}'; \
	test $$tests -eq 0 -a $$invalid -eq 0 -a $$errors -eq 0 -a $$ours -eq 0

## chaos: workers taking tickets on a shared counter killed with SIGKILL, long: CHAOS_SECONDS
## per start method (figures in target/reliability/chaos.json)
CHAOS_SECONDS ?= 60
chaos:
	@venv=$$(tools/env.sh $(PYTHON)) && mkdir -p target/reliability && \
	ATOMICS_CHAOS_SECONDS=$(CHAOS_SECONDS) ATOMICS_CHAOS_WORKERS=6 ATOMICS_CHAOS_REPORT=target/reliability/chaos.json \
	$$venv/bin/python -m pytest -q -p no:cacheprovider tests/test_chaos.py

## miri: the core crate's tests under Miri, those Miri can run (needs a nightly toolchain with
## the miri component: rustup toolchain install nightly --component miri). Left out: width 16
## (CPUID and cmpxchg16b are inline assembly), shm_open, futex_waitv (syscall 449), and the
## 1- and 2-byte waits, whose 4-byte snapshot Miri reports as a mixed-size race (by design:
## docs/reliability.md)
MIRI_LIB_SKIP = --skip sixteen --skip shm:: --skip os:: --skip segment_views --skip views_of_two_mappings \
	--skip native_widths_are_lock_free
MIRI_WAIT_SKIP = --skip sixteen --skip high_half --skip a_store_and_notify --skip neighbours
miri:
	@cargo +nightly miri --version >/dev/null 2>&1 || { echo "miri: no nightly toolchain with the miri component"; exit 1; }
	MIRIFLAGS=-Zmiri-disable-isolation cargo +nightly miri test -q -p atomics-core --lib -- $(MIRI_LIB_SKIP)
	MIRIFLAGS=-Zmiri-disable-isolation cargo +nightly miri test -q -p atomics-core --test wait -- $(MIRI_WAIT_SKIP)

## dev: build the extension into .venv/<version> for the default interpreter
dev:
	@tools/env.sh $(PYTHON) >/dev/null

lint:
	cargo clippy -q --workspace --all-targets -- -D warnings
	cargo fmt --check

clean:
	rm -rf .venv target
