# Kommunebot: `make run` sets everything up and starts the assistant;
# `make test` sets everything up and runs the whole suite.
SHELL := /bin/bash
.DEFAULT_GOAL := help

VENV := .venv
PY := $(VENV)/bin/python
KB := $(VENV)/bin/kommunebot
INSTALLED := $(VENV)/.installed
SPACY_DIR := build/spacy-da
SPACY := $(SPACY_DIR)/meta.json
KNOWLEDGE_DB := build/knowledge.db
MODEL := models/kommunebot.tar.gz
CHROMIUM := /usr/bin/chromium
HAPROXY := /usr/sbin/haproxy
REDIS := /usr/bin/redis-server
POSTGRES := /usr/lib/postgresql/*/bin/postgres
NODE_DEPS := node_modules/.package-lock.json

# Settings (ports, municipality, the tracker store, ...) are not set here:
# their defaults live only in bot/settings.py (docs/operations.md lists them).
# No telemetry or other calls home: the only network is the package registry.
export RASA_TELEMETRY_ENABLED := false
export TF_CPP_MIN_LOG_LEVEL := 2
export PYTHONHASHSEED := 0

KNOWLEDGE_SOURCES := $(shell find knowledge -name '*.yml' 2>/dev/null)
# Knowledge is listed too (situation keywords and errand words are learnt);
# `kommunebot train` still retrains only when its fingerprint changed, so an
# edited answer costs a fingerprint, not a training.
TRAINING_DATA := config.yml domain.yml $(shell find data knowledge/national -name '*.yml' 2>/dev/null)

.PHONY: help setup venv spacy knowledge model train web run cluster servers shell lint check test bench lock retention clean

help:
	@echo "make run    set up everything and start the assistant (Ctrl-C stops it)"
	@echo "make cluster  the regional deployment: PostgreSQL, Redis, 2 Rasa replicas behind HAProxy"
	@echo "make test   set up everything and run the whole test suite"
	@echo "make check  the fast tier: lint, format, import contracts and unit tests"
	@echo "make shell  chat with the running assistant in the terminal"
	@echo "make bench  measure latency, throughput, memory, training and start time"

$(INSTALLED): requirements.lock requirements.in pyproject.toml scripts/make-venv.sh
	scripts/make-venv.sh
	@touch $@

venv: $(INSTALLED)

$(SPACY): bot/ops/spacy_pipeline.py $(INSTALLED)
	$(KB) spacy

spacy: $(SPACY)

$(KNOWLEDGE_DB): $(KNOWLEDGE_SOURCES) $(wildcard bot/knowledge/*.py) $(INSTALLED)
	$(KB) build

knowledge: $(KNOWLEDGE_DB)

# `kommunebot train` trains only when data, config or the spaCy folder
# changed (a fingerprint), so make and the editors share one rule.
$(MODEL): $(TRAINING_DATA) $(SPACY)
	@mkdir -p models
	$(KB) train
	@touch $@

model: $(MODEL)
train: $(MODEL)

# The widget's socket.io client and axe-core, from the npm registry.
$(NODE_DEPS): package.json package-lock.json
	scripts/install-web.sh
	@touch $@

web: $(NODE_DEPS)

setup: $(INSTALLED) $(SPACY) $(KNOWLEDGE_DB) $(MODEL) $(NODE_DEPS)

run: setup
	scripts/run.sh

shell: $(INSTALLED)
	$(KB) chat

# Browser tests use Debian's chromium, the proxy tests Debian's haproxy;
# both are installed here when missing and run as the tests' own processes.
$(CHROMIUM):
	scripts/install-debian.sh $@ chromium

$(HAPROXY):
	scripts/install-debian.sh $@ haproxy

$(REDIS):
	scripts/install-debian.sh $@ redis-server

# A glob, so no file target: the script returns at once when one exists.
servers: $(HAPROXY) $(REDIS)
	@scripts/install-debian.sh '$(POSTGRES)' postgresql

# PostgreSQL, Redis, HAProxy and the servers as this project's processes
# (data in var/cluster/, never system services); Ctrl-C stops them all.
cluster: setup servers
	$(KB) cluster $(CLUSTER_ARGS)

# Test workers, one per core of the 2-core CI machine. Whole files go to
# one worker (--dist loadfile), so a module's own servers start once; each
# worker that runs a system or browser test starts one shared stack.
PYTEST_WORKERS ?= 2

# The fast tier, for every change: no servers, no trained model.
lint: $(INSTALLED)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports

check: lint $(SPACY) $(KNOWLEDGE_DB)
	$(PY) -m pytest -q -n $(PYTEST_WORKERS) tests/unit

# Training runs on about one core, so the tests that need no model (marked
# `not model`) run beside it; then the tests that need it run on both cores.
# The training log is kept in build/train.log and shown if training fails.
test: $(INSTALLED) $(SPACY) $(KNOWLEDGE_DB) $(NODE_DEPS) $(CHROMIUM) servers lint
	@mkdir -p build
	@$(MAKE) --no-print-directory model > build/train.log 2>&1 & training=$$!; \
	$(PY) -m pytest -n $(PYTEST_WORKERS) --dist loadfile -m "not model"; without=$$?; \
	if ! wait $$training; then tail -n 60 build/train.log; echo "make test: training failed (build/train.log)"; exit 1; fi; \
	grep -h "Trained\|Nothing changed" build/train.log || true; \
	$(PY) -m pytest -n $(PYTEST_WORKERS) --dist loadfile -m model; with=$$?; \
	exit $$(( without || with ))

bench: setup servers
	$(PY) scripts/bench.py

# Delete personal data past each municipality's retention period (knowledge).
retention: $(INSTALLED)
	$(KB) retention

lock: $(INSTALLED)
	@{ echo "# Exact versions for a reproducible install (pip install -c requirements.lock -r requirements.in)."; \
	   echo "# Regenerate with \`make lock\` after changing requirements.in."; \
	   $(PY) -m pip freeze --all --exclude-editable | grep -v '^kommunebot'; } > requirements.lock

clean:
	rm -rf build models .pytest_cache
	@# results/bench.json is committed: the last measured figures stay.
	find results -mindepth 1 ! -name bench.json -delete 2>/dev/null || true
