"""Run the demo page and widget server: ``python -m bot.site [--port 8000]``."""
from __future__ import annotations

import argparse
import logging
import os
import sys

from bot.settings import Settings, allowed_origins
from bot.site.server import SiteConfig, create_site


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Serve the demo municipal page with the chat widget")
    parser.add_argument("--host", default=os.environ.get("KOMMUNEBOT_SITE_HOST", "127.0.0.1"))
    parser.add_argument("--port", type=int, default=int(os.environ.get("KOMMUNEBOT_SITE_PORT") or 8000))
    parser.add_argument("--rasa-url", default=os.environ.get("KOMMUNEBOT_PUBLIC_RASA_URL")
                        or f"http://localhost:{os.environ.get('RASA_PORT', '5005')}")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    settings = Settings.from_env()
    try:
        origins = allowed_origins()
        app = create_site(SiteConfig(settings.knowledge_db, settings.municipality, args.rasa_url.rstrip("/"), origins))
    except (ValueError, FileNotFoundError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    app.run(host=args.host, port=args.port, access_log=False, motd=False)
    return 0


if __name__ == "__main__":
    sys.exit(main())
