"""Checks before the servers start, so a misconfiguration is one clear
English line instead of a Danish setup-error reply to every citizen."""

from __future__ import annotations

from bot.knowledge.store import KnowledgeDatabaseError, open_knowledge
from bot.settings import Settings


def configuration_problem(settings: Settings) -> str | None:
    try:
        knowledge = open_knowledge(settings.knowledge_db)
    except KnowledgeDatabaseError as exc:
        return str(exc)
    if settings.municipality not in knowledge.municipalities:
        known = ", ".join(sorted(knowledge.municipalities))
        return f"KOMMUNEBOT_MUNICIPALITY={settings.municipality!r} is unknown; choose one of: {known}"
    if not settings.model.is_file():
        return f"KOMMUNEBOT_MODEL: {settings.model} does not exist; run `kommunebot train`"
    return None
