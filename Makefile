# ontrack — developer commands. `make demo` and `make test` set everything up from nothing.
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed-stamp
EXAMPLE ?= examples/platform-migration

.PHONY: setup demo test pytest lint docs bench fuzz clean

$(STAMP): pyproject.toml
	python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	# Compile the GA's code once (numba caches it), not in a user's first schedule.
	$(PY) -c "from ontrack.engines.schedule.ga import warm_up; warm_up()"
	touch $(STAMP)

setup: $(STAMP)  ## create .venv and install ontrack with its dev tools

demo: setup  ## the main job: check, summarise, schedule and forecast the medium example, its first release's readiness; assess the small one mid-program
	$(VENV)/bin/ontrack check $(EXAMPLE)
	$(VENV)/bin/ontrack show $(EXAMPLE)
	$(VENV)/bin/ontrack schedule $(EXAMPLE) --time-limit 5
	$(VENV)/bin/ontrack forecast $(EXAMPLE) --iterations 10000
	$(VENV)/bin/ontrack release status rel-stateless $(EXAMPLE)
	$(VENV)/bin/ontrack assess examples/small

test: lint pytest  ## everything CI runs

pytest: setup  ## store tests on SQLite and PostgreSQL (started if needed); report tests in Chromium; tracker sync against a real Redmine (installed if needed); the shared data (../shared) required
	scripts/ensure-postgres
	scripts/ensure-chromium
	scripts/ensure-redmine install
	scripts/ensure-tj3
	ONTRACK_REQUIRE_PG=1 ONTRACK_REQUIRE_CHROMIUM=1 ONTRACK_REQUIRE_SHARED=1 ONTRACK_REQUIRE_REDMINE=1 ONTRACK_REQUIRE_TJ3=1 $(VENV)/bin/pytest -n auto --dist loadfile

lint: setup  ## ruff, mypy, and the import contracts of pyproject.toml (the layers)
	$(VENV)/bin/ruff check src tests bench
	$(VENV)/bin/mypy
	$(VENV)/bin/lint-imports

docs: setup  ## regenerate docs/plan-format.md from the schema
	$(VENV)/bin/ontrack schema --format markdown > docs/plan-format.md.tmp
	mv docs/plan-format.md.tmp docs/plan-format.md

bench: setup  ## benchmarks (figures go to bench/RESULTS.md by hand)
	$(PY) bench/loader.py
	$(PY) bench/schedule.py
	$(PY) bench/psplib.py --set j120 --sample-every 30 --time-limit 10
	$(PY) bench/dora.py
	scripts/ensure-tj3 && $(PY) bench/taskjuggler.py --reference 60  # ontrack vs TaskJuggler on the same plans
	$(PY) bench/web.py  # needs wrk (apt-get install wrk) and chromium (scripts/ensure-chromium)

fuzz: setup  ## deep fuzzing of every input entry point: FUZZ_MINUTES=60 by default
	$(PY) bench/fuzz.py --minutes $(or $(FUZZ_MINUTES),60)

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
