# The commands people and CI run. Everything sets itself up on a fresh machine:
# virtualenvs under .venv/, the free-threaded interpreter under ~/.cache/atomics-dev.

PYTHON ?= python3
BENCH_PYTHON ?= python3.11

.PHONY: demo test test-rust test-quick dev lint clean bench bench-quick

## demo: several processes count in shared memory; atomics vs multiprocessing.Value
demo:
	@venv=$$(tools/env.sh $(PYTHON) release) && $$venv/bin/python examples/demo.py

## test: Rust tests, then the Python suite on every CPython 3.9-3.13 present and on 3.13t
test:
	tools/test.sh

## test-quick: the Python suite on the default interpreter only
test-quick:
	@venv=$$(tools/env.sh $(PYTHON)) && $$venv/bin/python -m pytest -q -p no:cacheprovider

## test-rust: the core crate's tests, doctests included
test-rust:
	cargo test -q -p atomics-core --release

## bench: this library vs the other atomics libraries and the stdlib; writes docs/benchmarks/
bench:
	@venv=$$(tools/env.sh $(BENCH_PYTHON) release) && \
	$$venv/bin/python -m pip install -q --disable-pip-version-check -r bench/requirements.txt && \
	$$venv/bin/python bench/run.py --command "make bench"

## bench-quick: every benchmark row with tiny n (CI smoke run); writes to a temporary directory
## (or BENCH_OUT=dir), never to docs/benchmarks
bench-quick:
	@venv=$$(tools/env.sh $(BENCH_PYTHON) release) && \
	$$venv/bin/python -m pip install -q --disable-pip-version-check -r bench/requirements.txt && \
	$$venv/bin/python bench/run.py --quick --command "make bench-quick" $(if $(BENCH_OUT),--out "$(BENCH_OUT)")

## dev: build the extension into .venv/<version> for the default interpreter
dev:
	@tools/env.sh $(PYTHON) >/dev/null

lint:
	cargo clippy -q --workspace --all-targets -- -D warnings
	cargo fmt --check

clean:
	rm -rf .venv target
