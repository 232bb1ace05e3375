"""A small, hand-made province for tests, built through the real ledger importers."""

from __future__ import annotations

from dataclasses import dataclass

from getpower.core.services import create_user
from getpower.ledgers.importer import run_import

PASSWORD = "test-pass-123"

ORGANISATIONS = """org_code,name,kind,level,region_code,parent_code
REG,国家能源局云南监管办,regulator,province,530000,
PEB,云南省能源局,energy_authority,province,530000,
KM-EA,昆明市能源局,energy_authority,prefecture,530100,
WH-EA,五华区能源局,energy_authority,county,530102,
PX-EA,盘龙区能源局,energy_authority,county,530103,
BS-EA,保山市能源局,energy_authority,prefecture,530500,
YNPG,云南电网有限责任公司,supplier,province,530000,
KMPG,昆明供电局,supplier,prefecture,530100,YNPG
WHPG,五华供电局,supplier,county,530102,KMPG
PLPG,盘龙供电局,supplier,county,530103,KMPG
BSDL,保山电力股份有限公司,supplier,prefecture,530500,
"""

USERS = {
    "admin": None,
    "regulator": "REG",
    "bureau": "PEB",
    "km_authority": "KM-EA",
    "wh_authority": "WH-EA",
    "px_authority": "PX-EA",
    "ynpg": "YNPG",
    "kmpg": "KMPG",
    "whpg": "WHPG",
    "plpg": "PLPG",
    "bsdl": "BSDL",
}

ASSETS = """asset_id,asset_type,name,company,county_code,township_code,line_id,rated_kva,users,area_type
WH-L1,line,五华10kV一回线,WHPG,530102,,,,0,urban
WH-T1,tq,五华一号台区,WHPG,530102,,WH-L1,400,120,urban
WH-T2,tq,五华二号台区,WHPG,530102,,WH-L1,630,200,urban
PL-L1,line,盘龙10kV一回线,PLPG,530103,,,,0,urban
PL-T1,tq,盘龙一号台区,PLPG,530103,,PL-L1,400,90,urban
BS-L1,line,隆阳10kV一回线,BSDL,530502,,,,0,rural
BS-T1,tq,隆阳一号台区,BSDL,530502,,BS-L1,200,60,rural
"""


@dataclass
class Province:
    users: dict
    password: str = PASSWORD

    def fresh(self) -> Province:
        """The same province with its users read again from the database (for one test of a module that
        shares the province: whatever an earlier test changed on the objects is not carried over)."""
        from django.contrib.auth import get_user_model

        by_pk = get_user_model().objects.in_bulk([user.pk for user in self.users.values()])
        return Province(users={name: by_pk[user.pk] for name, user in self.users.items()}, password=self.password)


def import_text(ledger: str, text: str, *, user=None, name: str = "test.csv"):
    result = run_import(ledger, text.encode("utf-8"), name, user=user)
    assert result.ok, result.errors
    return result


def build_province(with_assets: bool = True) -> Province:
    import_text("organisations", ORGANISATIONS, name="orgs.csv")
    users = {}
    for username, org in USERS.items():
        users[username] = create_user(username=username, password=PASSWORD, org_code=org, is_admin=org is None)
    if with_assets:
        import_text("assets", ASSETS, name="assets.csv")
    return Province(users=users)
