# `make run` and `make test` set everything up on a fresh machine with Python 3.11+.
# `make run` serves every channel (homepage chat at the URL it prints); `vocdesk chat` is the terminal chat.
PYTHON ?= $(shell for p in python3.13 python3.12 python3.11 python3; do \
	command -v $$p >/dev/null 2>&1 && $$p -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null \
	&& { echo $$p; break; }; done)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: run test lint typecheck unit bench demo clean

$(STAMP): pyproject.toml
	@test -n "$(PYTHON)" || { echo "vocdesk needs Python 3.11 or newer on PATH"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev,rasa]'
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/vocdesk db upgrade
	$(BIN)/vocdesk serve

lint: $(STAMP)
	$(BIN)/ruff check bot intents handlers storage tests bench

typecheck: $(STAMP)
	$(BIN)/mypy

unit: $(STAMP)
	$(BIN)/python -m pytest

test: lint typecheck unit

bench: $(STAMP)
	@for f in bench/bench_*.py; do echo "== $$f"; $(BIN)/python $$f || exit 1; done

# A year of VOC through the real lifecycle into the configured database, then its report (var/demo-report.html).
demo: $(STAMP)
	$(BIN)/vocdesk demo seed --tickets 600
	$(BIN)/vocdesk report --from $$(date -d '-365 days' +%F) --to $$(date +%F) --format html --out var/demo-report.html

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache
