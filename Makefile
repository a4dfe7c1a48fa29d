# councilbench front door. `make demo` runs the main job, `make test` the whole suite.
# Both create the virtualenv and install on first use; Postgres is found or started by
# the code (WAREHOUSE_URL, else 127.0.0.1:5432, else an embedded server under .state/).

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
STATE  := .state

export COUNCILBENCH_STATE_DIR ?= $(CURDIR)/$(STATE)
export AIRFLOW_HOME ?= $(COUNCILBENCH_STATE_DIR)/airflow
export AIRFLOW__CORE__LOAD_EXAMPLES := False

.PHONY: help install demo test lint bench bench-spend bench-pay airflow explorer lock clean db-up docs

help:
	@echo "make demo     run the demo month end to end (creates .venv on first use)"
	@echo "make test     run the whole test suite"
	@echo "make lint     ruff (lint + format), sqlfluff on the dbt SQL, the import-linter layer contracts"
	@echo "make bench    ten years of returns and a year of spend: each scale figure beside its target (minutes)"
	@echo "make bench-spend  only the spend figures: a year of spend over £500 and supplier resolution"
	@echo "make bench-pay    only the pay figure: a pay year's deposits and the pay statistics"
	@echo "make airflow  start Airflow locally (EXECUTOR=celery WORKERS=2 for Celery workers on Redis)"
	@echo "make explorer the explorer web app on http://127.0.0.1:8501 (EXPLORER_PORT=8502 for another port)"
	@echo "make db-up    create the warehouse database, schemas and roles"
	@echo "make docs     the dbt docs site as one page: .state/dbt/docs/index.html"
	@echo "make lock     re-pin requirements.lock from a fresh resolve"
	@echo "make clean    remove generated state (.state/); keeps .venv"

# Reinstall when the dependency pins change.
$(STAMP): pyproject.toml requirements.lock
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade "pip>=24"
	$(BIN)/python -m pip install --quiet -c requirements.lock -e '.[dev]'
	@touch $(STAMP)

install: $(STAMP)

demo: install
	$(BIN)/councilbench demo

test: install
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# Every check runs even when an earlier one fails, so one pass shows all findings; the
# target fails if any did. .sqlfluff configures the SQL rules (jinja templater: no dbt
# profile or database needed); pyproject.toml configures ruff and the layer contracts.
SQL_PATHS := dbt_project/models dbt_project/macros dbt_project/tests
lint: install
	@status=0; \
	for check in "ruff check ." "ruff format --check ." "sqlfluff lint $(SQL_PATHS)" "lint-imports"; do \
	  echo ">>> $$check"; \
	  $(BIN)/$$check || status=1; \
	done; \
	exit $$status

bench: install
	$(BIN)/councilbench bench

# make bench-spend [SPEND_SCALE=0.1]: a share of the year's lines, for a quicker look.
SPEND_SCALE ?= 1
bench-spend: install
	$(BIN)/councilbench bench --only spend --spend-scale $(SPEND_SCALE)

# make bench-pay [PAY_SCALE=0.1]
PAY_SCALE ?= 1
bench-pay: install
	$(BIN)/councilbench bench --only pay --pay-scale $(PAY_SCALE)

# make airflow [EXECUTOR=celery] [WORKERS=2]
EXECUTOR ?= local
WORKERS  ?= 2
airflow: install
	$(BIN)/councilbench airflow --executor $(EXECUTOR) --workers $(WORKERS)

# make explorer [EXPLORER_PORT=8501]: the web app on the marts, as the analyst role.
EXPLORER_PORT ?= 8501
explorer: install
	$(BIN)/councilbench explorer --port $(EXPLORER_PORT)

db-up: install
	$(BIN)/councilbench db up

docs: install
	$(BIN)/councilbench docs

lock:
	rm -rf $(STATE)/lockenv && $(PYTHON) -m venv $(STATE)/lockenv
	$(STATE)/lockenv/bin/pip install --quiet -e '.[dev]'
	( echo "# pip constraints: the whole dependency tree, pinned (pip freeze of a clean install)."; \
	  echo "# Regenerate: make lock"; \
	  $(STATE)/lockenv/bin/pip freeze --exclude-editable | grep -v '^councilbench' ) > requirements.lock
	rm -rf $(STATE)/lockenv

clean:
	-$(BIN)/councilbench db stop
	rm -rf $(STATE)
