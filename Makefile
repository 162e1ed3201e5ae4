# madoguchi: `make run` serves the site with its worker; `make test` runs the suite.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: run worker test lint bench clean

$(STAMP): requirements/base.txt requirements/dev.txt
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "madoguchi needs Python 3.11 or newer")'
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements/dev.txt
	touch $(STAMP)

# The English catalogue, compiled from its .po on every machine (Babel: no GNU gettext needed).
MO := locale/en/LC_MESSAGES/django.mo
$(MO): locale/en/LC_MESSAGES/django.po $(STAMP)
	$(VENV)/bin/pybabel compile -d locale -D django -l en
	touch $(MO)

# axe-core for the accessibility checks, exactly as package-lock.json pins it.
NODE_STAMP := node_modules/.installed
$(NODE_STAMP): package.json package-lock.json
	@command -v npm >/dev/null || { echo "make test needs Node.js and npm for axe-core (apt-get install nodejs npm)"; exit 1; }
	npm ci --no-audit --no-fund
	touch $(NODE_STAMP)

run: $(STAMP) $(MO)
	$(PY) manage.py migrate --noinput -v0
	$(PY) manage.py load_demo
	DEBUG=$${DEBUG:-1} $(PY) manage.py serve

# A task worker of its own (docs/deploy.md): app nodes then run `manage.py serve --no-worker`.
worker: $(STAMP) $(MO)
	$(PY) manage.py run_worker

test: $(STAMP) $(MO) $(NODE_STAMP)
	$(PY) -m pytest

lint: $(STAMP)
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .
	$(PY) -m mypy .

bench: $(STAMP) $(MO)
	$(PY) -m bench.load

clean:
	rm -rf $(VENV) var node_modules $(MO)
