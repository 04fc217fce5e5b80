# Stockflow: `make demo` and `make test` work on a fresh Debian/Ubuntu machine with python3 >= 3.11.
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
UV := $(VENV)/bin/uv
DEMO_ARGS ?=
PYTEST_ARGS ?=
SCALE ?= small
BENCH_ARGS ?=

.PHONY: install install-dev system-deps demo run test ui lint lock bench bench-real clean-data

# Debian packages the tests use: LibreOffice renders the planners' workbook to PDF, poppler reads it back;
# Chromium (driven by Playwright at /usr/bin/chromium, never a downloaded browser) opens the dashboard and the UI;
# PostgreSQL (initdb/pg_ctl in /usr/lib/postgresql/<major>/bin) runs the dbt models on a second adapter;
# r-cran-bayesm ships the Dominick's orange-juice data of the real-demand harness test and `make bench-real`.
SYSTEM_PACKAGES := libreoffice-calc-nogui poppler-utils chromium chromium-driver postgresql r-cran-bayesm

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check uv

# Installs exactly the locked versions (requirements*.lock, made by `make lock`), then the project itself.
$(VENV)/.installed: pyproject.toml requirements.lock | $(PY)
	$(UV) pip install --quiet --python $(PY) -r requirements.lock
	$(UV) pip install --quiet --python $(PY) --no-deps -e .
	touch $@

$(VENV)/.installed-dev: pyproject.toml requirements-dev.lock | $(PY)
	$(UV) pip install --quiet --python $(PY) -r requirements-dev.lock
	$(UV) pip install --quiet --python $(PY) --no-deps -e .
	touch $@ $(VENV)/.installed

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

system-deps:
	@command -v soffice >/dev/null && command -v pdfinfo >/dev/null && [ -x /usr/bin/chromium ] \
	  && command -v chromedriver >/dev/null && compgen -G '/usr/lib/postgresql/*/bin/initdb' >/dev/null \
	  && [ -f /usr/lib/R/site-library/bayesm/data/orangeJuice.rda ] || { \
	  if [ "$$(id -u)" = 0 ]; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $(SYSTEM_PACKAGES); \
	  else echo "make test needs Debian packages: sudo apt-get install $(SYSTEM_PACKAGES)"; exit 1; fi; }

## demo: set up, generate the demo company into the inbox, run the full refresh headless, print a summary
demo: install
	$(VENV)/bin/stockflow demo $(DEMO_ARGS)
	$(VENV)/bin/stockflow run

## run: run the daily refresh once on whatever is in the inbox
run: install
	$(VENV)/bin/stockflow run

## test: set up with dev extras (and the Debian packages above), run the whole suite (dbt runs inside the tests)
test: install-dev system-deps
	OMP_WAIT_POLICY=PASSIVE $(PY) -m pytest $(PYTEST_ARGS)

## ui: the Dagster UI on http://127.0.0.1:3000
ui: install
	$(VENV)/bin/stockflow ui

## bench: benchmark the pipeline and the forecaster against its peers (SCALE=small or m5), see README
bench: install-dev
	OMP_WAIT_POLICY=PASSIVE $(VENV)/bin/stockflow bench --scale $(SCALE) $(BENCH_ARGS)

## bench-real: the forecaster on real public demand (installs Debian's r-cran-bayesm for the orange-juice data)
bench-real: install-dev
	@[ -f /usr/lib/R/site-library/bayesm/data/orangeJuice.rda ] || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends r-cran-bayesm; \
	  else echo "make bench-real needs: sudo apt-get install r-cran-bayesm"; exit 1; fi; }
	OMP_WAIT_POLICY=PASSIVE $(VENV)/bin/stockflow bench --real $(BENCH_ARGS)

lint: install-dev
	$(VENV)/bin/ruff check pipelines models_ml tests
	$(VENV)/bin/ruff format --check pipelines models_ml tests

## lock: re-resolve requirements*.lock from pyproject.toml (after changing dependencies)
lock: | $(PY)
	$(UV) pip compile --quiet pyproject.toml -o requirements.lock --python $(PY)
	$(UV) pip compile --quiet pyproject.toml --extra dev -o requirements-dev.lock --python $(PY)

clean-data:
	@echo "Stockflow never deletes data on its own; remove ./data by hand if you mean it."
