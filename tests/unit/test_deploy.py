"""The files under deploy/ for a production install stay true to the code:
the systemd units start real `kommunebot serve` commands and pass
systemd's own check, and the example environment names only real settings."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from bot.settings import PROJECT_ROOT, SETTINGS
from glue.cli import main

UNITS = PROJECT_ROOT / "deploy" / "systemd"
SERVICES = sorted(UNITS.glob("*.service"))
# Read by Rasa and TensorFlow themselves, not by our settings.
FOREIGN = {"RASA_TELEMETRY_ENABLED", "TF_CPP_MIN_LOG_LEVEL"}


def exec_start(unit: Path) -> list[str]:
    lines = [line for line in unit.read_text().splitlines() if line.startswith("ExecStart=")]
    assert len(lines) == 1, f"{unit.name}: one ExecStart expected"
    return lines[0].removeprefix("ExecStart=").split()


def test_one_unit_per_server_and_a_target_for_all():
    names = {unit.stem for unit in SERVICES}
    assert names == {"kommunebot-actions", "kommunebot-rasa", "kommunebot-console", "kommunebot-site"}
    wants = (UNITS / "kommunebot.target").read_text()
    for name in names:
        assert f"{name}.service" in wants


@pytest.mark.parametrize("unit", SERVICES, ids=lambda p: p.stem)
def test_each_unit_starts_a_real_serve_command(unit):
    command = exec_start(unit)
    assert command[0] == "/opt/kommunebot/.venv/bin/kommunebot"
    assert command[1] == "serve" and command[2] == unit.stem.removeprefix("kommunebot-")
    result = CliRunner().invoke(main, [*command[1:3], "--help"])
    assert result.exit_code == 0, result.output


@pytest.mark.parametrize("unit", SERVICES, ids=lambda p: p.stem)
def test_each_unit_stops_its_whole_process_and_never_runs_as_root(unit):
    text = unit.read_text()
    assert re.search(r"^User=kommunebot$", text, re.M)
    assert "KillMode=mixed" in text and "TimeoutStopSec=" in text
    assert "NoNewPrivileges=true" in text and "ProtectSystem=strict" in text


def test_units_pass_systemd_analyze(tmp_path):
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        pytest.skip("systemd-analyze is not on this machine")
    kommunebot = str(Path(sys.executable).parent / "kommunebot")
    for unit in [*SERVICES, UNITS / "kommunebot.target"]:
        text = unit.read_text().replace("/opt/kommunebot/.venv/bin/kommunebot", kommunebot)
        (tmp_path / unit.name).write_text(text.replace("/opt/kommunebot", str(PROJECT_ROOT)))
    result = subprocess.run(
        [analyze, "verify", "--man=no", *sorted(str(p) for p in tmp_path.iterdir())],
        capture_output=True,
        text=True,
        cwd=tmp_path,
    )
    assert result.returncode == 0 and not result.stderr.strip(), result.stderr


def test_the_example_environment_names_only_real_settings():
    known = {setting.name for setting in SETTINGS} | FOREIGN
    names = [
        line.split("=", 1)[0]
        for line in (UNITS / "kommunebot.env.example").read_text().splitlines()
        if line and not line.startswith("#")
    ]
    assert names and set(names) <= known, set(names) - known
