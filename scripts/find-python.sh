#!/usr/bin/env bash
# Print the path of a Python 3.10 interpreter (Rasa 3.6 supports nothing newer).
# Order: $PYTHON if set, python3.10 on PATH, then pyenv's newest 3.10.x.
set -euo pipefail

is_310() { "$1" -c 'import sys; sys.exit(0 if sys.version_info[:2] == (3, 10) else 1)' 2>/dev/null; }

if [ -n "${PYTHON:-}" ]; then
  if is_310 "$PYTHON"; then echo "$PYTHON"; exit 0; fi
  echo "error: PYTHON=$PYTHON is not Python 3.10" >&2; exit 1
fi
if command -v python3.10 >/dev/null 2>&1 && is_310 "$(command -v python3.10)"; then
  command -v python3.10; exit 0
fi
root="${PYENV_ROOT:-$HOME/.pyenv}"
for candidate in $(ls -d "$root"/versions/3.10.* 2>/dev/null | sort -V -r); do
  if is_310 "$candidate/bin/python"; then echo "$candidate/bin/python"; exit 0; fi
done
cat >&2 <<'MSG'
error: Python 3.10 was not found.
Kommunebot runs on Rasa 3.6, which supports Python 3.10 and nothing newer.
Install it, for example with pyenv (`pyenv install 3.10`) or your package
manager (python3.10 and python3.10-venv), or point PYTHON=/path/to/python3.10.
MSG
exit 1
