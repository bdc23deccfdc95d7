# The two commands a new user needs: `make serve` and `make test`. Each builds .venv itself.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# The browser side (CodeMirror for the editor, axe-core for the accessibility tests) from npm, by the lock file.
WEB_BUILD := service/klynge/web/static/build/editor.js
WEB_SOURCES := $(wildcard service/klynge/web/static/src/*.js service/klynge/web/static/src/*.mjs)
HOST ?= 127.0.0.1
PORT ?= 8000

LOCK := requirements.lock
BENCH_LOCK := requirements-bench.lock
PIP_TOOLS := pip-tools==7.7.0
LOCK_UPGRADE ?= --upgrade
COMPILE := .lock-venv/bin/pip-compile --quiet $(LOCK_UPGRADE) --generate-hashes --strip-extras --no-emit-index-url \
	--no-emit-find-links --extra dev

.PHONY: serve test test-fast lint validate export bench clean lock release

# The exact versions CI tested, each file checked against its hash (requirements.lock), then klynge itself
# without resolving again (an editable install needs no editor bundle: npm builds it into the checkout); pip
# check fails when pyproject.toml asks for something the lock does not hold (then run `make lock`).
$(STAMP): pyproject.toml $(LOCK) | $(WEB_BUILD)
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet --require-hashes -r $(LOCK)
	$(BIN)/pip install --quiet --no-deps -e .
	$(BIN)/pip check || { echo "$(LOCK) does not satisfy pyproject.toml: run 'make lock'"; exit 1; }
	touch $(STAMP)

# Regenerate the locks from pyproject.toml's ranges with pip-tools: the newest versions PyPI has for klynge and
# its dev extra (requirements.lock), and with the bench extra too (requirements-bench.lock), pinned with == and
# the sha256 of every file of each release. Run it after changing a dependency, and commit the three files.
# `make lock LOCK_UPGRADE=` keeps the pins the locks hold and only adds what pyproject.toml newly asks for.
lock:
	rm -rf .lock-venv
	$(PYTHON) -m venv .lock-venv
	.lock-venv/bin/pip install --quiet --upgrade pip '$(PIP_TOOLS)'
	$(COMPILE) --output-file $(LOCK) pyproject.toml
	$(COMPILE) --extra bench --output-file $(BENCH_LOCK) pyproject.toml
	rm -rf .lock-venv

$(WEB_BUILD): package.json package-lock.json $(WEB_SOURCES)
	npm ci --no-audit --no-fund --loglevel=error
	npm run --silent build

serve: $(STAMP) $(WEB_BUILD)
	$(BIN)/klynge serve --host $(HOST) --port $(PORT)

# The rules the code keeps, checked: ruff's lints, mypy (strict on klynge.rdf; pyproject.toml [tool.mypy]) and the
# import contract (stages import only downstream; [tool.importlinter]). `ruff format --check` joins once the
# tree is formatted in one commit (after the branches in flight merge).
lint: $(STAMP)
	$(BIN)/ruff check service tests bench
	$(BIN)/ruff format --check service tests bench
	$(BIN)/mypy
	$(BIN)/lint-imports

test: lint $(WEB_BUILD)
	$(BIN)/klynge validate
	$(BIN)/pytest

# The inner loop: the tests not marked slow (no servers, browsers, reasoners or fresh clones).
test-fast: $(STAMP)
	$(BIN)/pytest -m "not slow" -q

validate: $(STAMP)
	$(BIN)/klynge validate --reason

export: $(STAMP)
	mkdir -p dist
	for f in ttl nt jsonld rdf trig; do $(BIN)/klynge export --format $$f --out dist/klynge.$$f; done

# Cut a release: make release VERSION=0.2.0 (see docs/releases.md; klynge release --help says how to re-cut).
release: $(STAMP)
	@test -n "$(VERSION)" || { echo "usage: make release VERSION=X.Y.Z"; exit 2; }
	$(BIN)/klynge release $(VERSION)

# The bench extra from its own lock (the dev lock plus oxigraph's CLI and rdflib-endpoint), so the venv stays what
# a lock describes. BENCH_SCALES=dk,eu27 adds the EU27 graph (its store and the peers' loads are kept in bench/out/);
# BENCH_SECONDS is each query's time per scale, the servers taking turns. bench/run.py --help for the rest.
BENCH_SCALES ?= dk
BENCH_SECONDS ?= 10
bench: $(STAMP) $(BENCH_LOCK)
	$(BIN)/pip install --quiet --require-hashes -r $(BENCH_LOCK)
	$(BIN)/python bench/run.py --scales $(BENCH_SCALES) --seconds $(BENCH_SECONDS)
	$(BIN)/python bench/validation.py
	$(BIN)/python bench/search.py

clean:
	rm -rf $(VENV) .lock-venv dist .pytest_cache node_modules service/klynge/web/static/build
