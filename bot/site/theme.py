"""What the widget needs to know about a municipality, from the knowledge base.

Only verified values reach the citizen: an unverified phone number is
left out and the widget points to the website instead. A brand colour
that white text cannot be read on (WCAG contrast below 4.5:1) is replaced
by the default, so an editor's choice can never make the launcher unreadable.
"""

from __future__ import annotations

import logging

from bot.knowledge.model import Municipality

log = logging.getLogger(__name__)
DEFAULT_COLOUR = "#1d4f91"
MIN_CONTRAST = 4.5


def _luminance(colour: str) -> float:
    def channel(hex_pair: str) -> float:
        c = int(hex_pair, 16) / 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(colour[i : i + 2]) for i in (1, 3, 5))
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast_with_white(colour: str) -> float:
    return 1.05 / (_luminance(colour) + 0.05)


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
