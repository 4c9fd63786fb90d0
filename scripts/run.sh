#!/usr/bin/env bash
# Start the action server, the Rasa server, the staff console and the demo page; Ctrl-C stops them.
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p var
exec .venv/bin/kommunebot run
