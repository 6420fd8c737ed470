# The two commands of the README: `make up` (the main job) and `make test` (every quality gate).
SHELL := /bin/bash
.DEFAULT_GOAL := help
VENV := .venv
PY := $(VENV)/bin/python
# The engine's Python scripts without a .py name, which ruff does not find by itself.
ENGINE_SCRIPTS := scripts/engine/pulumi-language-python scripts/engine/pulumi-language-python-exec

.PHONY: help up down test lint unit e2e bootstrap engine bench

help:
	@echo "make up    - start localdcos, build or reuse the Pulumi engine, deploy the local stack"
	@echo "make down  - destroy the local stack and stop localdcos"
	@echo "eval \"\$$(scripts/env)\"  - then the plain pulumi CLI works on the local stack"
	@echo "make test  - install what is missing, then lint, type-check and run every test"
	@echo "make bench - the project against the engine floor and dcos-deploy (BENCH_ARGS=--help)"

bootstrap:
	@scripts/bootstrap >/dev/null

engine:
	@scripts/install-pulumi

up: bootstrap
	@scripts/up

down: bootstrap
	@scripts/down

lint: bootstrap
	$(VENV)/bin/ruff check . $(ENGINE_SCRIPTS)
	$(VENV)/bin/ruff format --check . $(ENGINE_SCRIPTS)
	$(VENV)/bin/mypy provider components localdcos __main__.py
	$(VENV)/bin/mypy --explicit-package-bases tests
	$(VENV)/bin/mypy scripts/engine/pulumi-language-python scripts/engine/python_toolchain.py scripts/engine/dynamic_provider_host.py
	$(VENV)/bin/mypy scripts/engine/pulumi-language-python-exec
	$(VENV)/bin/mypy examples/consumer/__main__.py
	$(VENV)/bin/mypy scripts/main_job.py

test: bootstrap
	@scripts/check

# Figures, not a gate: see README "Performance". BENCH_ARGS="--sizes 1,5 --reps 1" and so on.
bench: bootstrap
	@$(PY) -m benchmarks $(BENCH_ARGS)
