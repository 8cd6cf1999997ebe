# The README's two commands: `make demo` and `make test`. Both create .venv when missing and install
# what they need, so they work on a fresh machine with only Python 3.11+.

# The first Python 3.11+ on PATH (evaluated once; a pyenv shim for a version that is not active is skipped).
ifndef PYTHON
PYTHON := $(shell for p in python3.13 python3.12 python3.11 python3; do \
	command -v $$p >/dev/null 2>&1 && $$p -c 'import sys; sys.exit(sys.version_info < (3, 11))' >/dev/null 2>&1 \
	&& { echo $$p; break; }; done)
endif
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-dev

.PHONY: demo test soak bench lint typecheck clean

$(STAMP): pyproject.toml
	@test -n "$(PYTHON)" || { echo "okr-sync needs Python 3.11 or newer on PATH" >&2; exit 2; }
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

demo: $(STAMP)
	$(BIN)/okr-sync demo

test: $(STAMP) browser
	$(BIN)/python -m pytest -m "not soak and not bench"

# The report's browser test drives Debian's chromium (Playwright with executable_path); install it when missing.
.PHONY: browser
browser:
	@command -v chromium >/dev/null || (apt-get update && apt-get install -y --no-install-recommends chromium)

soak: $(STAMP)
	$(BIN)/python -m pytest -m soak

# Benchmarks against the sandbox (issue 13): writes bench/results.json and docs/benchmarks.md (~70 min).
# One section: `$(BIN)/python -m bench.run --only scale`; the pytest benchmarks: `$(BIN)/python -m pytest -m bench`.
bench: $(STAMP)
	$(BIN)/python -m bench.run

lint: $(STAMP)
	$(BIN)/ruff check config mapping connectors sync sandbox tests
	$(BIN)/mypy config mapping

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache *.egg-info
