#!/usr/bin/env bash
# The whole check, as CI runs it: lint (with the async rules), types, layers, tests.
set -euo pipefail
cd "$(dirname "$0")/.."

echo "== ruff (lint, incl. ASYNC rules)"
.venv/bin/ruff check .
echo "== flake8-async (trio checkpoint and cancel-scope rules)"
.venv/bin/flake8 stoat_ferret
echo "== ruff (format)"
.venv/bin/ruff format --check .
echo "== mypy"
.venv/bin/mypy
echo "== import-linter (the layer contracts in pyproject.toml)"
.venv/bin/lint-imports --no-cache
# One pytest process per CPU, at most four (each runs its own browser and servers);
# STOAT_TEST_WORKERS sets another number, 0 runs the suite in this one process.
cpus=$(nproc)
workers=${STOAT_TEST_WORKERS:-$(( cpus < 4 ? cpus : 4 ))}
echo "== pytest ($workers worker processes)"
.venv/bin/pytest -n "$workers" "$@"
