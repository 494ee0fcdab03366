# ontrack — developer commands. `make demo` and `make test` set everything up from nothing.
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed-stamp
EXAMPLE ?= examples/platform-migration

.PHONY: setup demo test pytest lint docs bench clean

$(STAMP): pyproject.toml
	python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

setup: $(STAMP)  ## create .venv and install ontrack with its dev tools

demo: setup  ## the main job on the medium example: check the plan, then summarise it
	$(VENV)/bin/ontrack check $(EXAMPLE)
	$(VENV)/bin/ontrack show $(EXAMPLE)

test: lint pytest  ## everything CI runs

pytest: setup
	$(VENV)/bin/pytest

lint: setup
	$(VENV)/bin/ruff check src tests bench
	$(VENV)/bin/mypy

docs: setup  ## regenerate docs/plan-format.md from the schema
	$(VENV)/bin/ontrack schema --format markdown > docs/plan-format.md.tmp
	mv docs/plan-format.md.tmp docs/plan-format.md

bench: setup  ## loader benchmark (figures go to bench/RESULTS.md by hand)
	$(PY) bench/loader.py

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
