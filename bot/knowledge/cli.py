"""`python -m bot.knowledge.cli build|show` — compile and inspect the knowledge base."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from bot.knowledge.build import build_database
from bot.knowledge.loader import load_knowledge
from bot.knowledge.problems import KnowledgeError


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="kommunebot-knowledge", description="Kommunebot knowledge base")
    sub = parser.add_subparsers(dest="command", required=True)
    build = sub.add_parser("build", help="validate knowledge/ and compile it into SQLite")
    build.add_argument("--source", type=Path, default=Path("knowledge"))
    build.add_argument("--output", type=Path, default=Path("build/knowledge.db"))
    check = sub.add_parser("check", help="validate knowledge/ without writing anything")
    check.add_argument("--source", type=Path, default=Path("knowledge"))
    args = parser.parse_args(argv)

    try:
        knowledge = load_knowledge(args.source)
    except KnowledgeError as exc:
        print(f"error: the knowledge base has {len(exc.problems)} problem(s):", file=sys.stderr)
        for problem in exc.problems:
            print(f"  {problem}", file=sys.stderr)
        return 1
    if args.command == "build":
        build_database(knowledge, args.output)
        answers = sum(len(t.answers) for t in knowledge.topics.values())
        print(
            f"Knowledge base written to {args.output}: {len(knowledge.topics)} topics, "
            f"{answers} answers, {len(knowledge.municipalities)} municipalities"
        )
    for m in knowledge.municipalities.values():
        if m.unverified:
            print(f"note: {m.key}: unverified or incomplete: {', '.join(m.unverified)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
