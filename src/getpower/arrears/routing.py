"""Where an arrears report goes: the energy authority of the community's county, or the level the
company chose (county or above) over that county (Annex 2 §2)."""

from __future__ import annotations

from getpower.core.models import Organisation


def route(county_code: str, level: str = "county") -> int | None:
    region = {"county": county_code, "prefecture": county_code[:4] + "00", "province": county_code[:2] + "0000"}[level]
    org = Organisation.objects.filter(kind=Organisation.Kind.ENERGY_AUTHORITY, level=level,
                                      region_id=region).order_by("id").first()
    return org.pk if org else None
