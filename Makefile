# Quick start:  make run   (sets up .venv, installs, migrates, starts the bot; without a
#                          BOT_TOKEN it starts the local sandbox page instead)
#               make test  (sets up .venv, installs, runs the whole test suite)
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
LOCALES := bot/locales

.PHONY: run test lint i18n i18n-extract i18n-compile clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: $(BIN)/python pyproject.toml
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@

install: $(VENV)/.installed

run: $(VENV)/.installed
	@if $(BIN)/python -m bot.app.sandbox.cli --token-configured; then \
		$(BIN)/resident-bot run; \
	else \
		echo "No BOT_TOKEN configured: starting the local sandbox instead (no Telegram needed)."; \
		$(BIN)/resident-bot sandbox; \
	fi

test: $(VENV)/.installed
	$(BIN)/python -m pytest -q

# ruff, then mypy over every first-party package (files and settings in pyproject.toml).
lint: $(VENV)/.installed
	$(BIN)/ruff check .
	$(BIN)/mypy

# Re-extract every translatable string, merge into the catalogs, compile them.
i18n: i18n-extract i18n-compile

i18n-extract: $(VENV)/.installed
	$(BIN)/pybabel -q extract -F babel.cfg -k _ -k N_ -k NP_:1,2 -k ngettext:1,2 -k __ -k lazy_gettext --project "Resident Service Bot" --version 0.1 \
		--no-location --sort-output -o $(LOCALES)/messages.pot .
	for lang in zh_CN en; do \
		if [ -f $(LOCALES)/$$lang/LC_MESSAGES/messages.po ]; then \
			$(BIN)/pybabel -q update --no-fuzzy-matching --ignore-obsolete -i $(LOCALES)/messages.pot \
				-d $(LOCALES) -D messages -l $$lang; \
		else \
			$(BIN)/pybabel -q init -i $(LOCALES)/messages.pot -d $(LOCALES) -D messages -l $$lang; \
		fi; \
	done

i18n-compile: $(VENV)/.installed
	$(BIN)/pybabel compile -d $(LOCALES) -D messages --statistics

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .mypy_cache
