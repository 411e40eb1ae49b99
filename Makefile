# The two commands: `make demo` and `make test`. Both create .venv on first use and
# reinstall when pyproject.toml changes.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
DEMO_ARGS ?=

.PHONY: demo test fuzz bench lint install clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

# Everything: runtime, Spark, PostgreSQL driver, test and lint tools.
$(VENV)/.installed: pyproject.toml constraints.txt | $(BIN)/python
	$(BIN)/pip install --quiet -c constraints.txt -e '.[dev,spark,postgres]'
	touch $@

install: $(VENV)/.installed

demo: $(VENV)/.installed
	$(BIN)/benne demo $(DEMO_ARGS)

test: $(VENV)/.installed
	$(BIN)/python -m pytest -q -n 2 --dist loadgroup

# The property tests with random seeds and many more examples than `make test` (which is
# derandomized so the same commit always gives the same result). The Spark engine's property
# tests keep their `make test` examples: each example runs Spark jobs (seconds each).
fuzz: $(VENV)/.installed
	HYPOTHESIS_PROFILE=fuzz $(BIN)/python -m pytest -q -n 2 -m "property and not spark"

bench: $(VENV)/.installed
	$(BIN)/python -m benchmarks.run

lint: $(VENV)/.installed
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/mypy src

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
