# Venture: `make run` serves the demo site, `make test` runs every test.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
FLASK := $(BIN)/flask --app venture
PORT ?= 5000
STAMP := $(VENV)/.installed-stamp
CATALOGUES := $(wildcard venture/translations/*/LC_MESSAGES/messages.po)
COMPILED := $(CATALOGUES:.po=.mo)

.PHONY: run test serve install translations messages bench clean

$(STAMP): pyproject.toml
	@test -n "$(PYTHON)" || { echo "Python 3.11 or newer is needed (python3.11 or python3)"; exit 1; }
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || { echo "Python 3.11 or newer is needed"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -e '.[dev]'
	touch $(STAMP)

install: $(STAMP) translations

%.mo: %.po $(STAMP)
	$(BIN)/pybabel compile --statistics -i $< -o $@

translations: $(COMPILED)

run: install
	@mkdir -p instance
	$(BIN)/python -m venture.audit.signing
	$(FLASK) db upgrade
	$(FLASK) demo --if-empty
	$(FLASK) search rebuild
	@echo ""
	@echo "Venture is running at http://127.0.0.1:$(PORT)/  (stop with Ctrl-C)"
	@echo ""
	BASE_URL=http://127.0.0.1:$(PORT) $(FLASK) run --host 127.0.0.1 --port $(PORT)

test: install
	$(BIN)/pytest $(PYTEST_ARGS)

# Production-style serving (see docs/OPERATIONS.md).
serve: install
	$(FLASK) db upgrade
	VENTURE_ENV=$${VENTURE_ENV:-production} $(BIN)/gunicorn --config gunicorn.conf.py 'venture:create_app()'

# Measure the pages against a bare reference (docs/PERFORMANCE.md); BENCH_ARGS="--scale city".
bench: install
	bench/run $(BENCH_ARGS)

# Extract strings and merge them into both catalogues (then translate the new ones).
messages: $(STAMP)
	$(BIN)/pybabel extract -F babel.cfg -k _l -k lazy_gettext -k lazy_ngettext:1,2 --no-location --sort-output -o venture/translations/messages.pot .
	$(BIN)/pybabel update -i venture/translations/messages.pot -d venture/translations --no-fuzzy-matching --ignore-obsolete
	$(BIN)/python -m venture.i18n_tools fill-english

clean:
	rm -rf $(VENV) .pytest_cache
