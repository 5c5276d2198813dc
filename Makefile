# The two commands of the README: `make run` and `make test`. Everything else is installed from here.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
NODE_STAMP := node_modules/.installed-stamp
HOST ?= 127.0.0.1
PORT ?= 5000

.PHONY: install run test lint bench clean messages

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -e '.[dev]'
	touch $(STAMP)

VENDOR := web/static/vendor
SWAGGER_UI := $(VENDOR)/swagger-ui
BPMN_JS := node_modules/bpmn-js/dist

# The pages serve their libraries from /static/vendor, never from a CDN.
$(NODE_STAMP): package.json package-lock.json
	npm ci --no-audit --no-fund
	mkdir -p $(SWAGGER_UI) $(VENDOR)/bpmn-js $(VENDOR)/htmx $(VENDOR)/echarts
	cp node_modules/swagger-ui-dist/swagger-ui.css node_modules/swagger-ui-dist/swagger-ui-bundle.js $(SWAGGER_UI)/
	cp $(BPMN_JS)/bpmn-navigated-viewer.production.min.js $(BPMN_JS)/bpmn-modeler.production.min.js $(VENDOR)/bpmn-js/
	cp -R $(BPMN_JS)/assets $(VENDOR)/bpmn-js/
	cp node_modules/htmx.org/dist/htmx.min.js $(VENDOR)/htmx/
	cp node_modules/echarts/dist/echarts.min.js $(VENDOR)/echarts/
	touch $(NODE_STAMP)

# The page translations: messages.po (edited by people) compiled to the messages.mo Flask-Babel reads.
TRANSLATIONS := $(patsubst %.po,%.mo,$(wildcard web/translations/*/LC_MESSAGES/messages.po))

%.mo: %.po $(STAMP)
	$(BIN)/pybabel compile -i $< -o $@

install: $(STAMP) $(NODE_STAMP) $(TRANSLATIONS)

run: install
	$(BIN)/gongzhi db upgrade
	$(BIN)/gongzhi demo load
	$(BIN)/gongzhi serve --host $(HOST) --port $(PORT)

lint: install
	$(BIN)/ruff check .
	$(BIN)/lint-imports

test: lint
	$(BIN)/pytest

bench: install
	$(BIN)/python bench/engine_throughput.py --quick

# After adding or changing a _("...") string: extract it, then translate it in each messages.po.
messages: $(STAMP)
	$(BIN)/pybabel extract -F babel.cfg -k _l -o web/translations/messages.pot --no-location --sort-output .
	$(BIN)/pybabel update -i web/translations/messages.pot -d web/translations --no-fuzzy-matching

clean:
	rm -rf $(VENV) node_modules web/static/vendor instance .pytest_cache .ruff_cache
