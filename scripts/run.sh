#!/usr/bin/env bash
# Start the action server, the Rasa server, the staff console and the demo page; Ctrl-C stops them.
set -euo pipefail
cd "$(dirname "$0")/.."
# Conversations, callbacks and tokens are personal or secret: files under var/ are for this user only.
umask 077
mkdir -p var
# Demo mode only here: demo logins (in var/demo-logins) and plain-http console cookies on localhost.
export KOMMUNEBOT_DEMO="${KOMMUNEBOT_DEMO:-true}"
exec .venv/bin/kommunebot run
