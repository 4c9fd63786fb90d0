#!/usr/bin/env bash
# Start the action server, the Rasa server and the staff console; Ctrl-C stops them.
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p var
exec .venv/bin/python -m bot.stack
