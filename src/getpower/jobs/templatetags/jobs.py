"""``{% freshness "R3" %}``: when a page's figures were computed and whether newer data is being
evaluated (every rule when none is named: the cockpit)."""

from django import template

from getpower.jobs.evaluations import freshness_context

register = template.Library()


@register.inclusion_tag("jobs/_freshness.html")
def freshness(*rules: str) -> dict:
    return freshness_context(list(rules))
