"""Run the staff console: ``python -m bot.console [--port 8080] [--demo]``."""
from __future__ import annotations

import argparse
import logging
import os
import sys

from bot.console.app import ConsoleConfig, create_app
from pathlib import Path

from bot.settings import PROJECT_ROOT, Settings


def config_from_env() -> ConsoleConfig:
    settings = Settings.from_env()
    return ConsoleConfig(
        data_db=settings.data_db,
        knowledge_db=settings.knowledge_db,
        tracker_url=settings.tracker_url,
        secure_cookies=(os.environ.get("KOMMUNEBOT_CONSOLE_SECURE_COOKIES") or "").lower() in ("1", "true", "yes"),
        content_root=Path(os.environ.get("KOMMUNEBOT_CONTENT_ROOT") or PROJECT_ROOT),
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Run the Kommunebot staff console")
    parser.add_argument("--host", default=os.environ.get("KOMMUNEBOT_CONSOLE_HOST", "127.0.0.1"))
    parser.add_argument("--port", type=int, default=int(os.environ.get("KOMMUNEBOT_CONSOLE_PORT") or 8080))
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    app = create_app(config_from_env())
    app.run(host=args.host, port=args.port, access_log=False, motd=False)
    return 0


if __name__ == "__main__":
    sys.exit(main())
