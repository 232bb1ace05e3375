"""Frequent-outage pages (rules R3)."""


def home_panel(request, scope) -> dict:
    """What the home page shows about frequent outages (filled in with the findings)."""
    return {}
