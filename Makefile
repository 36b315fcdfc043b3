# StockApp. `make run` serves the app; `make test` runs every check. Both set up .venv first.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
# The app's own dependencies (what `make run` needs), then with the dev extra (tests,
# linters, browser driver, benchmarks) for `make test` and the benchmarks.
RUNTIME := $(VENV)/.runtime
READY := $(VENV)/.ready
CATALOGUES := $(wildcard stockapp/translations/*/LC_MESSAGES/messages.po)
COMPILED := $(CATALOGUES:.po=.mo)
PORT ?= 8000
WORKERS ?= 4
# Where gunicorn listens: every address by default; 127.0.0.1:$(PORT) behind an HTTPS proxy.
BIND ?= 0.0.0.0:$(PORT)
# The database, its WAL, the secret key and the backups: readable by this user only.
INSTANCE ?= instance
# pytest-xdist workers for `make test`: two per CPU, as a browser test spends much of its
# time waiting on Chromium and its server (measured on 2 CPUs: 4 workers ran the whole
# suite in 17 min where 2 took 22); TEST_WORKERS=0 runs in one process.
TEST_WORKERS ?= $(shell echo $$(( 2 * $$(nproc 2>/dev/null || echo 1) )))

.PHONY: run private-instance test bench bench-orders bench-backups bench-scale bench-imports translations check-translations lint clean

$(RUNTIME): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -e .
	touch $@

$(READY): $(RUNTIME)
	$(BIN)/pip install --quiet --disable-pip-version-check -e ".[dev]"
	touch $@

%.mo: %.po $(RUNTIME)
	$(BIN)/pybabel compile --use-fuzzy -i $< -o $@ --statistics

# umask 077: whatever the app and gunicorn create (database, WAL, backups) is private.
run: $(RUNTIME) $(COMPILED) private-instance
	umask 077 && $(BIN)/flask --app app db upgrade
	@echo
	@case "$(BIND)" in \
	127.*|localhost*|\[::1\]*) echo "  StockApp is starting on http://$(BIND)/, for the HTTPS proxy in front of it.";; \
	*) echo "  StockApp is starting. Open http://$$(hostname -I 2>/dev/null | awk '{print $$1}' || echo 127.0.0.1):$(PORT)/ on this network"; \
	   echo "  (or http://127.0.0.1:$(PORT)/ on this machine). The first visit asks for the first manager.";; \
	esac
	@echo
	umask 077 && exec $(BIN)/gunicorn --workers $(WORKERS) --bind $(BIND) app:app

private-instance:
	mkdir -p -m 700 $(INSTANCE)
	chmod -R u=rwX,go= $(INSTANCE)

lint: $(READY)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

test: lint $(COMPILED)
	$(BIN)/pytest -n $(TEST_WORKERS) --dist worksteal

bench: $(READY) $(COMPILED)
	$(BIN)/python bench/inbound.py

bench-orders: $(READY) $(COMPILED)
	$(BIN)/python bench/orders.py

bench-backups: $(READY) $(COMPILED)
	$(BIN)/python bench/backups.py

# BENCH_ARGS as for bench-scale, e.g. BENCH_ARGS="--database-url postgresql+psycopg://…".
bench-imports: $(READY) $(COMPILED)
	$(BIN)/python bench/imports.py $(BENCH_ARGS)

# Builds (once, then reuses) instance/bench-scale.sqlite and -small.sqlite: BENCH_ARGS
# takes the options, e.g. BENCH_ARGS="--database-url postgresql://…/stockapp_bench".
bench-scale: $(READY) $(COMPILED)
	$(BIN)/python bench/scale.py $(BENCH_ARGS)

# Re-extract the strings and merge them into the catalogues; translate, then `make test`.
# --ignore-dirs: by default pybabel skips folders starting with "_" (templates/_macros).
translations: $(READY)
	$(BIN)/pybabel extract -F babel.cfg -k _l -o stockapp/translations/messages.pot --no-location --sort-output --ignore-dirs ".* ._" .
	$(BIN)/pybabel update -i stockapp/translations/messages.pot -d stockapp/translations --no-fuzzy-matching --ignore-obsolete

clean:
	rm -rf $(VENV) $(COMPILED)
