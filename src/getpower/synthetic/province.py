"""Deterministic synthetic Yunnan: organisations for the real structure, and lines and 台区 for
every county in realistic proportion. Seeded; the same seed gives the same files."""

from __future__ import annotations

import csv
import io
import random
from dataclasses import dataclass

from getpower.core.reference import read_regions

# 保山电力 serves these 保山 counties (synthetic split); 云南电网保山供电局 the rest.
BAOSHAN_POWER_COUNTIES = ("530502", "530521")
INCREMENTAL = (
    ("ZD-IDC", "滇中新区增量配电有限公司", "530181"),
    ("MZ-IDC", "蒙自经开区增量配电有限公司", "532503"),
    ("QJ-IDC", "曲靖经开区增量配电有限公司", "530302"),
)
URBAN_SUFFIXES = ("区",)


@dataclass(frozen=True)
class Structure:
    organisations: list[dict]
    county_supplier: dict[str, str]  # county code → org_code of the supplier that serves most of it


def prefecture_short(name: str) -> str:
    for suffix in ("傣族景颇族自治州", "傈僳族自治州", "藏族自治州", "彝族自治州", "哈尼族彝族自治州", "壮族苗族自治州",
                   "傣族自治州", "白族自治州", "市"):
        if name.endswith(suffix):
            return name[: -len(suffix)]
    return name


def county_short(name: str) -> str:
    for suffix in ("彝族自治县", "哈尼族彝族自治县", "自治县", "县", "市", "区"):
        if name.endswith(suffix) and len(name) > len(suffix) + 1:
            return name[: -len(suffix)]
    return name


def build_structure() -> Structure:
    regions = [r for r in read_regions() if r["level"] in ("province", "prefecture", "county")]
    prefectures = [r for r in regions if r["level"] == "prefecture"]
    counties = [r for r in regions if r["level"] == "county"]
    orgs = [
        {"org_code": "NEA-YN", "name": "国家能源局云南监管办公室", "kind": "regulator", "level": "province",
         "region_code": "530000", "parent_code": ""},
        {"org_code": "YN-EB", "name": "云南省能源局", "kind": "energy_authority", "level": "province",
         "region_code": "530000", "parent_code": ""},
        {"org_code": "YNPG", "name": "云南电网有限责任公司", "kind": "supplier", "level": "province",
         "region_code": "530000", "parent_code": ""},
        {"org_code": "BSDL", "name": "保山电力股份有限公司", "kind": "supplier", "level": "prefecture",
         "region_code": "530500", "parent_code": ""},
    ]
    county_supplier: dict[str, str] = {}
    for pref in prefectures:
        code = pref["code"]
        orgs.append({"org_code": f"EA-{code}", "name": f"{pref['name']}能源局", "kind": "energy_authority",
                     "level": "prefecture", "region_code": code, "parent_code": "YN-EB"})
        orgs.append({"org_code": f"PG-{code}", "name": f"云南电网{prefecture_short(pref['name'])}供电局",
                     "kind": "supplier", "level": "prefecture", "region_code": code, "parent_code": "YNPG"})
    for county in counties:
        code, pref = county["code"], county["parent_code"]
        orgs.append({"org_code": f"EA-{code}", "name": f"{county['name']}发展和改革局（能源）",
                     "kind": "energy_authority", "level": "county", "region_code": code, "parent_code": f"EA-{pref}"})
        if code in BAOSHAN_POWER_COUNTIES:
            supplier, parent, name = f"BSDL-{code}", "BSDL", f"保山电力{county_short(county['name'])}分公司"
        else:
            supplier, parent, name = f"PG-{code}", f"PG-{pref}", f"{county_short(county['name'])}供电局"
        orgs.append({"org_code": supplier, "name": name, "kind": "supplier", "level": "county",
                     "region_code": code, "parent_code": parent})
        county_supplier[code] = supplier
    for org_code, name, county in INCREMENTAL:
        orgs.append({"org_code": org_code, "name": name, "kind": "supplier", "level": "county",
                     "region_code": county, "parent_code": ""})
    return Structure(orgs, county_supplier)


def to_csv(rows: list[dict], columns: list[str]) -> bytes:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=columns, extrasaction="ignore", lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue().encode("utf-8")


ORG_COLUMNS = ["org_code", "name", "kind", "level", "region_code", "parent_code"]
ASSET_COLUMNS = ["asset_id", "asset_type", "name", "company", "county_code", "township_code", "line_id",
                 "rated_kva", "users", "area_type"]
KVA = (50, 100, 200, 315, 400, 500, 630, 800)


def county_weights(counties: list[dict]) -> dict[str, float]:
    """Urban districts and the Kunming area get more lines; mountain counties fewer."""
    weights = {}
    for c in counties:
        w = 1.0
        if c["name"].endswith("区"):
            w = 1.8
        if c["code"].startswith("5301"):
            w *= 1.5
        if c["code"].startswith(("5333", "5334")):
            w *= 0.6
        weights[c["code"]] = w
    return weights


def generate_assets(structure: Structure, *, lines_total: int, tq_per_line: float, seed: int = 2026):
    """Yields asset rows (dicts): lines then their 台区, county by county."""
    rng = random.Random(seed)
    regions = read_regions()
    counties = [r for r in regions if r["level"] == "county"]
    townships: dict[str, list[str]] = {}
    for r in regions:
        if r["level"] == "township":
            townships.setdefault(r["parent_code"], []).append(r["code"])
    weights = county_weights(counties)
    scale = lines_total / sum(weights.values())
    incremental = {county: code for code, _, county in INCREMENTAL}
    for county in counties:
        code = county["code"]
        n_lines = max(2, round(weights[code] * scale))
        urban = county["name"].endswith("区")
        towns = townships.get(code, [])
        for i in range(1, n_lines + 1):
            company = structure.county_supplier[code]
            if code in incremental and i <= max(1, n_lines // 10):
                company = incremental[code]
            line_id = f"L{code}{i:04d}"
            area = rng.choice(("urban_core", "urban") if urban else ("town", "rural", "rural"))
            n_tq = max(1, round(rng.gauss(tq_per_line, tq_per_line / 3)))
            line_users = 0
            tq_rows = []
            for j in range(1, n_tq + 1):
                kva = rng.choice(KVA[3:] if urban else KVA[:6])
                users = max(0, int(kva * rng.uniform(0.25, 0.6)))
                line_users += users
                tq_rows.append({
                    "asset_id": f"T{code}{i:04d}{j:03d}", "asset_type": "tq",
                    "name": f"{county_short(county['name'])}{i}号线{j}号台区", "company": company,
                    "county_code": code, "township_code": rng.choice(towns) if towns else "",
                    "line_id": line_id, "rated_kva": kva, "users": users, "area_type": area,
                })
            yield {"asset_id": line_id, "asset_type": "line", "name": f"10kV{county_short(county['name'])}{i}号线",
                   "company": company, "county_code": code, "township_code": "", "line_id": "", "rated_kva": "",
                   "users": line_users, "area_type": area}
            yield from tq_rows
