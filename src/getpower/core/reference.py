"""Reference data of the foundation shipped with the platform: Yunnan's regions (GB/T 2260, with
the townships). Loaded after every ``getpower migrate``; safe to run again. The working-day calendars
and the default rulebook are loaded by their own apps (``workdays``, ``rulebook``), after this."""

from __future__ import annotations

import csv
from pathlib import Path

from django.db import transaction

DATA_DIR = Path(__file__).parent / "data"


def read_regions() -> list[dict]:
    with open(DATA_DIR / "regions_yunnan.csv", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    townships = DATA_DIR / "townships_yunnan.csv"
    if townships.exists():
        with open(townships, encoding="utf-8") as handle:
            for row in csv.DictReader(handle):
                rows.append({"code": row["code"], "name": row["name"], "level": "township",
                             "parent_code": row["county_code"]})
    return rows


@transaction.atomic
def load_regions() -> int:
    # read_regions serves the synthetic generators without Django (bench/): the model loads only here
    from .models import Region

    existing = {r.code: r for r in Region.objects.all()}
    created = 0
    pending = []
    for row in read_regions():
        region = existing.get(row["code"])
        if region is None:
            pending.append(Region(code=row["code"], name=row["name"], level=row["level"],
                                  parent_id=row["parent_code"] or None))
            created += 1
        elif (region.name, region.level) != (row["name"], row["level"]):
            region.name, region.level = row["name"], row["level"]
            region.save(update_fields=["name", "level"])
    # parents first: province, prefecture, county, township
    order = {"province": 0, "prefecture": 1, "county": 2, "township": 3}
    pending.sort(key=lambda r: order[r.level])
    Region.objects.bulk_create(pending, batch_size=2000)
    return created


def load_reference_data() -> None:
    load_regions()
