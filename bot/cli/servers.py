"""Running the servers: `run` (all of them), `cluster`, `serve NAME` (one in
the foreground) and `chat` (the terminal client)."""

from __future__ import annotations

import logging
import sys
from collections.abc import Sequence
from pathlib import Path

import click

from bot.cli.common import current_settings, fail
from bot.settings import PROJECT_ROOT


@click.command("run")
def run_servers() -> None:
    """Start the action server, Rasa, the staff console and the demo page; Ctrl-C stops them."""
    from bot.ops.run import run

    sys.exit(run(current_settings()))


@click.command("cluster")
@click.option(
    "--root",
    type=click.Path(path_type=Path, file_okay=False),
    default=None,
    help="folder for the cluster's databases, logs and secrets (default: var/cluster)",
)
@click.option(
    "--port-base",
    type=click.IntRange(1024, 65000),
    default=8400,
    show_default=True,
    help="the public entrance's port; the other servers use the next 41 ports",
)
def cluster(root: Path | None, port_base: int) -> None:
    """Start PostgreSQL, Redis, 2 action servers, 2 Rasa replicas behind HAProxy, the console and the demo page.

    The deployment a region runs, on one machine, as this project's own
    processes: data, logs and passwords in --root, the database migrated
    before the servers start, HAProxy (deploy/haproxy-cluster.cfg) the
    public entrance on --port-base, the console on the 30th port after it
    and the demo page on the 31st. A Rasa replica or action server that
    dies is started again; Ctrl-C or SIGTERM stops them all."""
    from bot.ops.cluster import run_cluster

    sys.exit(run_cluster((root or PROJECT_ROOT / "var" / "cluster").resolve(), port_base))


@click.command("chat")
@click.option("--url", default=None, help="the Rasa server (default: http://localhost:$RASA_PORT)")
@click.option("--kommune", default=None, help="municipality key sent as metadata")
def chat(url: str | None, kommune: str | None) -> None:
    """Chat with the running assistant in the terminal, through its REST channel."""
    from bot.ops.chat_cli import chat as chat_loop

    sys.exit(chat_loop(url or f"http://localhost:{current_settings().rasa_port}", kommune))


def _logging() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")


@click.command("console")
@click.option("--host", default=None, help="address to bind (default: KOMMUNEBOT_CONSOLE_HOST)")
@click.option("--port", type=int, default=None, help="port (default: KOMMUNEBOT_CONSOLE_PORT)")
def serve_console(host: str | None, port: int | None) -> None:
    """The staff console."""
    from bot.console.app import ConsoleConfig, create_app

    settings = current_settings()
    _logging()
    app = create_app(ConsoleConfig.from_settings(settings))
    app.run(host=host or settings.console_host, port=port or settings.console_port, access_log=False, motd=False)


@click.command("site")
@click.option("--host", default=None, help="address to bind (default: KOMMUNEBOT_SITE_HOST)")
@click.option("--port", type=int, default=None, help="port (default: KOMMUNEBOT_SITE_PORT)")
@click.option(
    "--rasa-url", default=None, help="the Rasa server as browsers reach it (default: KOMMUNEBOT_PUBLIC_RASA_URL)"
)
def serve_site(host: str | None, port: int | None, rasa_url: str | None) -> None:
    """The demo municipal page and the chat widget's files."""
    from bot.privacy.cancel_digits import cancel_key
    from bot.site.server import SiteConfig, create_site

    settings = current_settings()
    _logging()
    try:
        app = create_site(
            SiteConfig(
                settings.knowledge_db,
                settings.municipality,
                (rasa_url or settings.public_rasa_url).rstrip("/"),
                settings.allowed_origins,
                settings.database_url,
                settings.trusted_proxies,
                settings.rate_address,
                cancel_key(settings.cancel_secret, settings.var_dir),
                settings.console_secure_cookies or not settings.demo,
            )
        )
    except (ValueError, FileNotFoundError) as exc:
        fail(str(exc))
    app.run(host=host or settings.site_host, port=port or settings.site_port, access_log=False, motd=False)


def serve_group(servers: Sequence[click.Command] = ()) -> click.Group:
    """`kommunebot serve` with the console and the demo page, and ``servers``:
    the Rasa-side ones, which glue/cli.py adds because bot/ never imports
    the Rasa glue."""

    @click.group("serve", commands=[serve_console, serve_site, *servers])
    def serve() -> None:
        """Run one server in the foreground (`kommunebot run` starts them all)."""

    return serve


COMMANDS = (run_servers, cluster, chat)
