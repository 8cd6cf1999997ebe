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

.PHONY: demo test soak bench lint clean

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

# The report's browser test drives Debian's chromium (Playwright with executable_path). Installed when missing
# and possible (root or password-less sudo, and apt-get); never fails make: without it the browser test says
# how to install it (and fails under CI=true, skips otherwise).
.PHONY: browser
browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ]; then as_root=""; elif sudo -n true >/dev/null 2>&1; then as_root="sudo -n"; \
	  else as_root=none; fi; \
	  if [ "$$as_root" != none ] && command -v apt-get >/dev/null 2>&1; then \
	    { $$as_root apt-get update -qq && $$as_root apt-get install -y -qq --no-install-recommends chromium; } \
	      || echo "make: could not install chromium; the browser test will say how" >&2; \
	  else echo "make: chromium is missing and cannot be installed here (needs root or sudo, and apt-get);" \
	    "the browser test will say how" >&2; fi; }

soak: $(STAMP)
	$(BIN)/python -m pytest -m soak

# Benchmarks against the sandbox (issue 13): writes bench/results.json and docs/benchmarks.md (~70 min).
# One section: `$(BIN)/python -m bench.run --only scale`; the pytest benchmarks: `$(BIN)/python -m pytest -m bench`.
bench: $(STAMP)
	$(BIN)/python -m bench.run

# ruff on every package; mypy on the okr_sync namespace (strict for mapping, config and connectors: pyproject).
# Both always run, so one report shows every finding; lint fails when either does.
LINT_DIRS := config mapping connectors sync sandbox tests bench
lint: $(STAMP)
	@status=0; \
	$(BIN)/ruff check $(LINT_DIRS) || status=1; \
	$(BIN)/python -m okr_sync.devtools.typecheck || status=1; \
	exit $$status

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache *.egg-info
