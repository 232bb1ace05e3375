"""The demo: synthetic Yunnan loaded through the real ledger importers, demo accounts, evaluations."""

from __future__ import annotations

import time
from collections.abc import Callable

from django.contrib.auth import get_user_model
from django.db import transaction

from getpower.core.models import Organisation
from getpower.core.services import create_user
from getpower.jobs.evaluations import cancel_automatic
from getpower.ledgers.importer import run_import

from . import extensions
from .province import ASSET_COLUMNS, ORG_COLUMNS, build_structure, generate_assets, to_csv

DEMO_PASSWORD = "getpower2026"
# username → (organisation code, what the account shows)
DEMO_USERS = {
    "admin": (None, "平台管理员"),
    "regulator": ("NEA-YN", "国家能源局云南监管办"),
    "bureau": ("YN-EB", "云南省能源局"),
    "km_authority": ("EA-530100", "昆明市能源局"),
    "wh_authority": ("EA-530102", "五华区能源主管部门"),
    "ynpg": ("YNPG", "云南电网有限责任公司"),
    "kmpg": ("PG-530100", "云南电网昆明供电局"),
    "whpg": ("PG-530102", "五华供电局（县级）"),
    "bsdl": ("BSDL", "保山电力股份有限公司"),
    "zd_idc": ("ZD-IDC", "滇中新区增量配电有限公司"),
}
DEMO_SCALE = {"lines_total": 3000, "tq_per_line": 12}

Step = Callable[[str], None]


def demo_is_loaded() -> bool:
    return Organisation.objects.filter(org_code="NEA-YN").exists()


def _import(ledger: str, data: bytes, name: str, say: Step) -> None:
    started = time.monotonic()
    result = run_import(ledger, data, name, channel="demo")
    if not result.ok:
        raise RuntimeError(f"demo data {name} failed to import: {result.errors[:5]}")
    say(f"  {name}: {result.added} 条新增（{time.monotonic() - started:.1f}s）")


def create_demo_users() -> None:

    User = get_user_model()
    for username, (org, _) in DEMO_USERS.items():
        if not User.objects.filter(username=username).exists():
            create_user(username=username, password=DEMO_PASSWORD, org_code=org, is_admin=org is None,
                        full_name=username)


def load_demo(say: Step = print, *, scale: dict | None = None) -> None:
    """Fill an empty database with the synthetic province (idempotent: a loaded demo is kept)."""
    if demo_is_loaded():
        say("演示数据已存在，跳过生成")
        return
    structure = build_structure()
    say("生成合成的云南省数据（固定随机种子）…")
    _import("organisations", to_csv(structure.organisations, ORG_COLUMNS), "demo-organisations.csv", say)
    assets = list(generate_assets(structure, **(scale or DEMO_SCALE)))
    _import("assets", to_csv(assets, ASSET_COLUMNS), "demo-assets.csv", say)
    with transaction.atomic():
        create_demo_users()

    for extend in extensions.STEPS:
        started = time.monotonic()
        extend(structure, say)
        say(f"    （{extend.__name__}：{time.monotonic() - started:.1f}s）")
    # the demo has evaluated its data as of its own day (runs_demo): the re-evaluations its imports
    # queued for the worker (as of now) would only replace those runs

    cancel_automatic("演示数据已按演示日评估")
