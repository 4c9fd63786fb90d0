"""Rasa's own checks on the real project: data validation and test stories."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import MODEL, PROJECT_ROOT

RASA = str(Path(sys.executable).parent / "rasa")


def rasa(*args: str, tmp_path: Path) -> subprocess.CompletedProcess:
    env = {
        **os.environ,
        "RASA_TELEMETRY_ENABLED": "false",
        "ACTION_PORT": "5055",
        "KOMMUNEBOT_ACTION_TOKEN": "rasa-test-core",
        "KOMMUNEBOT_TRACKER_URL": f"sqlite:///{tmp_path / 'tracker.db'}",
    }
    return subprocess.run([RASA, *args], cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, timeout=900)


def test_rasa_data_validate(tmp_path):
    result = rasa("data", "validate", "--fail-on-warnings", tmp_path=tmp_path)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-4000:]


@pytest.mark.model
def test_stories_with_the_trained_model(tmp_path):
    assert MODEL.is_file(), "run via `make test`, which trains the model"
    out = tmp_path / "results"
    result = rasa(
        "test",
        "core",
        "--model",
        str(MODEL),
        "--stories",
        "tests/stories",
        "--out",
        str(out),
        "--fail-on-prediction-errors",
        tmp_path=tmp_path,
    )
    failed = (out / "failed_test_stories.yml").read_text() if (out / "failed_test_stories.yml").exists() else ""
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:] + failed
