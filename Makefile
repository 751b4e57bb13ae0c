# `make run` and `make test` work on a fresh machine with Python 3.11: they create .venv and install first.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin

.PHONY: install run test lint chat staff bench clean

$(BIN)/feedback-bot: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

install: $(BIN)/feedback-bot

run: install
	$(BIN)/feedback-bot db upgrade
	$(BIN)/feedback-bot run

chat: install
	$(BIN)/feedback-bot chat

staff: install
	$(BIN)/feedback-bot chat --as-staff

test: install
	$(BIN)/pytest

lint: install
	$(BIN)/ruff check .

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache *.egg-info
