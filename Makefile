# Quick start: `make run` (the service on SQLite, mail to var/outbox/) and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test typecheck test-dates demo lint bench install migration-initial clean

# The suite's own "today" is a Saturday (tests/conftest.py). `make test` runs the tests that
# build their data around the day once more on a weekday; `make test-dates` on every day that
# breaks date code: a weekday, Sunday, 1 January, both DST changes in Helsinki, 29 February.
WEEKDAY := 2026-12-07
DATES := $(WEEKDAY) 2026-12-06 2027-01-01 2027-03-28 2026-10-25 2028-02-29

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[test,postgres]'
	touch $(STAMP)

install: $(STAMP)

run: $(STAMP)  ## install, migrate, start the service and the web (SQLite, .eml mail, http on loopback)
	$(BIN)/tenderwatch db upgrade
	$(BIN)/tenderwatch serve --dev

test: $(STAMP) typecheck  ## install with test extras, type-check, run the whole suite (SQLite and PostgreSQL)
	$(BIN)/ruff check .
	$(BIN)/pytest
	TENDERWATCH_TEST_TODAY=$(WEEKDAY) $(BIN)/pytest -q -m dates

# mypy over db/, scrapers/ and monitor/, configured in pyproject.toml [tool.mypy].
typecheck: $(STAMP)
	$(BIN)/mypy db scrapers monitor

test-dates: $(STAMP)  ## the date-sensitive tests on each day in DATES
	for d in $(DATES); do echo "== today is $$d"; TENDERWATCH_TEST_TODAY=$$d $(BIN)/pytest -q -m dates || exit 1; done

demo: $(STAMP)  ## the whole pipeline offline against a loopback TED; alerts to var/outbox/
	$(BIN)/tenderwatch demo

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

bench: $(STAMP)
	for b in bench/bench_*.py; do echo "== $$b"; $(BIN)/python $$b || exit 1; done

# Pre-release only: rewrites the single initial migration from the models.
migration-initial: $(STAMP)
	rm -f var/migration-scratch.sqlite
	$(BIN)/python -c "from db.migrate import autogenerate_initial; autogenerate_initial('sqlite:///var/migration-scratch.sqlite')"
	rm -f var/migration-scratch.sqlite*

clean:
	rm -rf $(VENV) var/ .pytest_cache .ruff_cache .mypy_cache
