# Two commands a newcomer needs: `make learn` and `make test`.
# Each creates .venv on first use (and again when pyproject.toml changes).

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: learn quiz simulate test lint check bench screenshots clean

learn: $(STAMP)
	@$(BIN)/eventlesson learn || test $$? -eq 130  # Ctrl-C is a normal way to leave

quiz: $(STAMP)
	@$(BIN)/eventlesson quiz || test $$? -eq 130

simulate: $(STAMP)
	@$(BIN)/eventlesson simulate || test $$? -eq 130

test: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/eventlesson content check
	$(BIN)/python -m pytest -n 4

bench: $(STAMP)
	$(BIN)/python bench/bench_sim.py
	$(BIN)/python bench/bench_start.py
	$(BIN)/python bench/bench_broker.py
	$(BIN)/python bench/bench_classroom.py

screenshots: $(STAMP)
	$(BIN)/python scripts/screenshots.py

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11) and "eventlesson needs Python 3.11 or newer" or 0)'
	@test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	@$(BIN)/python -m pip install --quiet --upgrade pip
	@$(BIN)/python -m pip install --quiet -e '.[test,broker]'
	@touch $(STAMP)

clean:
	rm -rf $(VENV) build dist .pytest_cache .ruff_cache
