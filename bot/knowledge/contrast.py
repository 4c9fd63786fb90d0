"""WCAG 2.2 contrast of the municipality's theme colour, shared by
`kommunebot check` (which refuses a colour that fails) and the site
server (which falls back to the default colour if one slips through).

The widget draws white text on the theme colour (its launcher and
buttons) and draws those buttons on the municipality's page, assumed
white. Success criterion 1.4.3 asks 4.5:1 for normal text; 1.4.11 asks
3:1 for a user-interface component against what is next to it. With one
colour and white both ratios are the same number, so the text threshold
decides; both are named so a later theme field (a border, a dark
background) can say which one it needs.
"""

from __future__ import annotations

MIN_TEXT_CONTRAST = 4.5  # WCAG 2.2 SC 1.4.3, normal-size text
MIN_UI_CONTRAST = 3.0  # WCAG 2.2 SC 1.4.11, non-text (buttons, the launcher)
WHITE = "#ffffff"


def luminance(colour: str) -> float:
    """Relative luminance of a #rrggbb colour (WCAG 2.2 definition)."""

    def channel(hex_pair: str) -> float:
        c = int(hex_pair, 16) / 255
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(colour[i : i + 2]) for i in (1, 3, 5))
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(first: str, second: str = WHITE) -> float:
    lighter, darker = sorted((luminance(first), luminance(second)), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


def theme_problem(colour: str) -> str | None:
    """Why white text and buttons in ``colour`` fail WCAG 2.2 AA, or None."""
    ratio = contrast(colour)
    if ratio < MIN_UI_CONTRAST:
        return (
            f"{colour} has contrast {ratio:.2f}:1 with white: the buttons need {MIN_UI_CONTRAST:.0f}:1 against "
            f"the page and their white text {MIN_TEXT_CONTRAST}:1 (WCAG 2.2 AA); choose a darker colour"
        )
    if ratio < MIN_TEXT_CONTRAST:
        return (
            f"{colour} has contrast {ratio:.2f}:1 with white: white text on it needs {MIN_TEXT_CONTRAST}:1 "
            "(WCAG 2.2 AA); choose a darker colour"
        )
    return None
