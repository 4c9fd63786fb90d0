"""What the widget needs to know about a municipality, from the knowledge base.

Only verified values reach the citizen: an unverified phone number is
left out and the widget points to the website instead. A brand colour
that white text cannot be read on (WCAG contrast below 4.5:1) is replaced
by the default, so an editor's choice can never make the launcher unreadable;
`kommunebot check` already refuses such a colour (bot/knowledge/contrast.py).
"""

from __future__ import annotations

import logging

from bot.knowledge.contrast import MIN_TEXT_CONTRAST, contrast
from bot.knowledge.model import Municipality

log = logging.getLogger(__name__)
DEFAULT_COLOUR = "#1d4f91"
MIN_CONTRAST = MIN_TEXT_CONTRAST  # `kommunebot check` refuses such a colour first


def contrast_with_white(colour: str) -> float:
    return contrast(colour)


def widget_colour(colour: str | None, municipality: str = "") -> str:
    if not colour:
        return DEFAULT_COLOUR
    if contrast_with_white(colour) < MIN_CONTRAST:
        log.warning(
            "knowledge/municipalities/%s.yml: theme.primary_colour %s has contrast %.1f:1 with white "
            "(needs %.1f:1); the widget uses %s",
            municipality,
            colour,
            contrast_with_white(colour),
            MIN_CONTRAST,
            DEFAULT_COLOUR,
        )
        return DEFAULT_COLOUR
    return colour


def widget_config(municipality: Municipality) -> dict:
    return {
        "kommune": municipality.key,
        "name": municipality.name,
        "website": municipality.website_url,
        "phone": municipality.phone_number,  # None unless verified
        "phoneHours": municipality.phone_hours if municipality.phone_number else None,
        "colour": widget_colour(municipality.primary_colour, municipality.key),
    }
