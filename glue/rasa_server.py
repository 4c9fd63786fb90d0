"""Start the Rasa server with its HTTP API locked by a token.

Rasa reads the token only from its command line, and a command line is
visible to every process on the machine, so the token is put into this
process's argument list after it has started, never into the one the
operating system shows.
"""

from __future__ import annotations

import sys


def serve_rasa(args: list[str], token: str) -> None:
    if not token:
        raise ValueError("the Rasa API needs a token (KOMMUNEBOT_API_TOKEN)")
    from glue.blas import limit_serving_threads

    # Before Rasa loads numpy, so its OpenBLAS starts with one thread.
    limit_serving_threads()
    from rasa.__main__ import main as rasa_main

    from glue import action_endpoint, action_validation, speedups

    action_endpoint.install()
    action_validation.install()
    speedups.install()
    # One argument "--auth-token=…": a random token may begin with "-", which
    # argparse would take for an option and refuse to start.
    sys.argv = ["rasa", "run", "--enable-api", f"--auth-token={token}", *args]
    rasa_main()
