#!/usr/bin/env bash
# Create .venv with Python 3.10 and install the pinned dependencies in ONE
# resolve (spaCy in the same resolve as Rasa, or numpy 2 breaks it).
set -euo pipefail
cd "$(dirname "$0")/.."

python=$(scripts/find-python.sh)
if [ ! -x .venv/bin/python ] || ! .venv/bin/python -c 'import sys; sys.exit(0 if sys.version_info[:2] == (3, 10) else 1)'; then
  rm -rf .venv
  echo "Creating .venv with $python"
  "$python" -m venv .venv
fi
export PIP_DISABLE_PIP_VERSION_CHECK=1
.venv/bin/python -m pip install --quiet -c requirements.lock "pip" "setuptools" "wheel"
.venv/bin/python -m pip install --quiet -c requirements.lock -r requirements.in
.venv/bin/python -m pip install --quiet --no-deps --no-build-isolation -e .
.venv/bin/python -m pip check
