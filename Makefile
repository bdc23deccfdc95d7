# The two commands a new user needs: `make serve` and `make test`. Each builds .venv itself.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# The browser side (CodeMirror for the editor, axe-core for the accessibility tests) from npm, by the lock file.
WEB_BUILD := service/klynge/web/static/build/editor.js
WEB_SOURCES := $(wildcard service/klynge/web/static/src/*.js)
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: serve test lint validate export bench clean

$(STAMP): pyproject.toml | $(WEB_BUILD)
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

$(WEB_BUILD): package.json package-lock.json $(WEB_SOURCES)
	npm ci --no-audit --no-fund --loglevel=error
	npm run --silent build

serve: $(STAMP) $(WEB_BUILD)
	$(BIN)/klynge serve --host $(HOST) --port $(PORT)

test: $(STAMP) $(WEB_BUILD)
	$(BIN)/ruff check service tests bench
	$(BIN)/klynge validate
	$(BIN)/pytest

validate: $(STAMP)
	$(BIN)/klynge validate --reason

export: $(STAMP)
	mkdir -p dist
	for f in ttl nt jsonld xml trig; do $(BIN)/klynge export --format $$f --out dist/klynge.$$f; done

bench: $(STAMP)
	$(BIN)/pip install --quiet -e '.[dev,bench]'
	$(BIN)/python bench/run.py
	$(BIN)/python bench/validation.py

clean:
	rm -rf $(VENV) dist .pytest_cache node_modules service/klynge/web/static/build
