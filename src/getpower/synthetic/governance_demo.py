"""Demo step: evaluate R3 at the demo day and walk the governance items into every state, with
event times spread over the months after each breach (so that 动态清零 has a history)."""

from __future__ import annotations

import datetime as dt
import random

from django.contrib.auth import get_user_model

from getpower.core.scope import organisation_subtree_ids
from getpower.outages import governance, services
from getpower.outages.models import GovernanceEvent, GovernanceItem

from .outages import DEMO_AS_OF

CHINA = dt.timezone(dt.timedelta(hours=8))
# (state reached, share of items)
PLAN = (("identified", 0.2), ("plan_filed", 0.15), ("in_progress", 0.2), ("completed", 0.12), ("verified", 0.08),
        ("closed", 0.25))
PATH = {
    "plan_filed": ["file_plan"],
    "in_progress": ["file_plan", "start", "progress"],
    "completed": ["file_plan", "start", "progress", "complete"],
    "verified": ["file_plan", "start", "progress", "complete", "verify"],
    "closed": ["file_plan", "start", "progress", "complete", "verify", "close"],
}
WALK_AT_MOST = 80  # enough to show every state; the rest stay identified
MEASURES = ("更换高损配变并增容", "新增线路分段开关和联络", "绝缘化改造、加装避雷器", "树障清理及防外破巡视",
            "低压线路整线成片改造")


def supplier_user_for(company_id: int, users: list) -> object | None:
    for user in users:
        org = user.profile.organisation
        if org and org.kind == "supplier" and company_id in organisation_subtree_ids(org.pk):
            return user
    return None


def demo_governance_step(structure, say) -> None:
    evaluation = services.evaluate(DEMO_AS_OF, actor="demo")
    summary = evaluation.run.summary
    say(f"  频繁停电评估（{DEMO_AS_OF}）：越限 {summary.get('breach', 0)}，预警 {summary.get('warning', 0)}"
        f"（{evaluation.seconds:.1f}s）")
    User = get_user_model()
    suppliers = list(User.objects.filter(username__in=["whpg", "kmpg", "ynpg", "bsdl", "zd_idc"])
                     .select_related("profile__organisation"))
    regulator = User.objects.get(username="regulator")
    rng = random.Random(7)
    items = list(GovernanceItem.objects.order_by("id"))
    rng.shuffle(items)
    end = dt.datetime.combine(DEMO_AS_OF, dt.time(17, 0), tzinfo=CHINA)
    walked = 0
    for item in items:
        opened = dt.datetime.combine(item.first_breach_date or DEMO_AS_OF, dt.time(9, 0), tzinfo=CHINA)
        item.opened_at = opened
        item.save(update_fields=["opened_at"])
        GovernanceEvent.objects.filter(item=item, transition="identify").update(at=opened)
        roll, state = rng.random(), "identified"
        for name, share in PLAN:
            roll -= share
            if roll < 0:
                state = name
                break
        if state == "identified" or walked >= WALK_AT_MOST:
            continue
        supplier = supplier_user_for(item.company_id, suppliers)
        if supplier is None:
            continue
        steps = PATH[state]
        span = max((end - opened).total_seconds(), 3600 * len(steps))
        at = opened
        for index, name in enumerate(steps):
            at = min(end, at + dt.timedelta(seconds=span / (len(steps) + 1) * rng.uniform(0.5, 1.0)))
            at = max(at, opened + dt.timedelta(hours=index + 1))
            user = regulator if name in ("verify", "close") else supplier
            governance.transition(
                item, name, user, now=at, measures=rng.choice(MEASURES),
                planned_completion=(opened + dt.timedelta(days=rng.randint(30, 120))).date(),
                note={"progress": "已完成主要改造工程", "complete": "治理工程已完工，近期未再停电",
                      "verify": "现场检查，用户走访无反映"}.get(name, ""),
                verification_method="site_check" if rng.random() < 0.6 else "visit")
            item.refresh_from_db()
        walked += 1
    say(f"  治理事项 {len(items)} 个，其中 {walked} 个已推进到各办理环节")
