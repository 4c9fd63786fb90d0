"""Record real trackers for the action tests (tests/data/trackers/).

Starts the real servers with the trained model on free ports, holds each
conversation below through the REST channel, and saves the tracker Rasa
stored (GET /conversations/<id>/tracker), so tests/unit/test_recorded_trackers.py
runs the actions on what Rasa really sends, as RasaHQ/financial-demo does.
Re-record after changing the domain, the slots or the NLU:

    .venv/bin/python scripts/record_trackers.py
"""

from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path

from bot.ops.http import free_port
from bot.ops.processes import Stack
from bot.settings import PROJECT_ROOT

OUT = PROJECT_ROOT / "tests" / "data" / "trackers"
# name -> the citizen's messages; the tracker is saved after the last one.
CONVERSATIONS = {
    "health_card_lost": ["jeg har mistet mit sundhedskort"],
    "passport_price_then_adult": ["hvad koster et pas", '/pas{"situation": "pris", "person": "voksen"}'],
    "driving_licence_then_health_card": ["mit kørekort er blevet stjålet", "jeg har mistet mit sundhedskort"],
    "son_arrested": ["min søn er blevet anholdt, hvad gør jeg"],
    "no_mitid_passport": ["jeg har ikke noget mitid og skal have nyt pas"],
    "weather": ["hvad bliver vejret i morgen"],
}


def main() -> int:
    OUT.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        var = Path(tmp)
        env = {
            "KOMMUNEBOT_TRACKER_URL": f"sqlite:///{var / 'tracker.db'}",
            "KOMMUNEBOT_DATA_DB": str(var / "kommunebot.db"),
            "KOMMUNEBOT_MUNICIPALITY": "nyborg",
        }
        stack = Stack(free_port(), free_port(), env=env, log_dir=var / "logs")
        try:
            stack.start()
            for name, messages in CONVERSATIONS.items():
                sender = f"recorded-{name}"
                for message in messages:
                    status, _ = stack.send(sender, message)
                    if status != 200:
                        print(f"error: {name}: {message!r} answered {status}", file=sys.stderr)
                        return 1
                status, tracker = stack.api(f"/conversations/{sender}/tracker")
                if status != 200:
                    print(f"error: {name}: tracker answered {status}", file=sys.stderr)
                    return 1
                path = OUT / f"{name}.json"
                path.write_text(json.dumps(tracker, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
                print(f"recorded {path.relative_to(PROJECT_ROOT)}")
        finally:
            stack.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
