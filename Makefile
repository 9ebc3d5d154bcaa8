# Every target sets itself up: a fresh clone needs only python3 (3.11+) and make.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: test demo lint typecheck unit docs test-matrix bench bench-scale bench-instructions bench-limits bench-features bench-versions bench-floor bench-opcodes clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev,docs]'
	touch $(STAMP)

demo: $(STAMP)
	$(PY) examples/plugins/app.py

lint: $(STAMP)
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .

typecheck: $(STAMP)
	$(PY) -m mypy injectq examples typing_tests tests
	$(PY) -m pyright

unit: $(STAMP)
	$(PY) -m pytest -q

# The documentation site, built strictly (broken links and bad references fail).
docs: $(STAMP)
	NO_MKDOCS_2_WARNING=1 $(PY) -m mkdocs build --strict --quiet --site-dir site

test: lint typecheck unit docs

# Benchmarks against peer libraries (installs the optional `bench` extra); ARGS=--quick.
bench: $(STAMP)
	$(PY) -m pip install --quiet -e '.[dev,docs,bench]'
	$(PY) -m benchmarks $(ARGS)

# The scale checks alone (growth factors, memory), written into docs/performance.md.
bench-scale: $(STAMP)
	$(PY) -m benchmarks --scale

# Collections, decorators... against the plain resolutions they stand for; ARGS=--quick.
bench-features: $(STAMP)
	$(PY) -m benchmarks --features $(ARGS)

# Instructions per operation under valgrind's callgrind (skipped without valgrind).
bench-instructions: $(STAMP)
	$(PY) -m benchmarks --instructions

# The least CPython allows for the warm singleton and the request (benchmarks/limits.py).
bench-limits: $(STAMP)
	$(PY) -m benchmarks --limits

# The cold build against the least a validating container does (benchmarks/floor.py).
bench-floor: $(STAMP)
	$(PY) -m benchmarks --floor $(ARGS)

# The cold build's bytecodes and calls per function (sys.settrace); ARGS=N classes.
bench-opcodes: $(STAMP)
	$(PY) -m benchmarks --opcodes $(ARGS)

# injectq's timing ratios on each CPython 3.11-3.13 that has a .venv-3.X (make test-matrix).
bench-versions: $(STAMP)
	$(PY) -m benchmarks --versions $(ARGS)

# The suite on every CPython 3.11-3.13 the machine has (absent versions are skipped).
test-matrix:
	bash .ci/test-matrix

clean:
	rm -rf $(VENV) .venv-3.* .mypy_cache .pytest_cache .ruff_cache
