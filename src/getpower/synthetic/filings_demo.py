"""Demo step: open the filing periods since go-live and file them the way a province would — most
on time, some late, some overdue, some returned and resubmitted, most accepted."""

from __future__ import annotations

import datetime as dt
import random

from django.contrib.auth import get_user_model
from django.utils import timezone

from getpower.connections import f1 as f1_ledger
from getpower.connections import services as r2
from getpower.core.services import service_account as account
from getpower.filings import services
from getpower.filings.models import Filing
from getpower.filings.producers import CHINA, Period
from getpower.outages import f3 as f3_ledger
from getpower.outages import services as r3


def demo_filings_step(structure, say) -> None:
    """The filings' history is written in the order it happens: the periods open, the filers submit
    (at their past moments) and the authorities review, and only then does the tick run at the present,
    so it marks overdue — and messages about — just the filings that really are still missing."""
    now = timezone.now()
    services.load_filing_types()
    services.open_periods(now)
    services.sync_case_filings(now)
    User = get_user_model()
    admin = User.objects.get(username="admin")
    rng = random.Random(11)
    months = [p for p in services.months_until(Period(now.astimezone(CHINA).year, now.astimezone(CHINA).month))
              if p.end < now]
    filed = returned = late = 0
    for period in months:
        r3_eval = r3.evaluate(period.last_day, store=False)
        r2_eval = r2.evaluate(period.end, store=False)
        filings = Filing.objects.filter(period=period.label, type_id__in=["F1", "F1L", "F3"]).select_related(
            "type", "filer", "recipient")
        for filing in filings:
            roll = rng.random()
            if roll < 0.06:
                continue  # left overdue
            if filing.type_id == "F3":
                deliverable = f3_ledger.produce(filing.filer, period, evaluation=r3_eval)
            else:
                deliverable = f1_ledger.produce(filing.filer, period, evaluation=r2_eval)
            is_late = roll < 0.16
            when = filing.due_at + (dt.timedelta(days=rng.randint(1, 6)) if is_late
                                    else -dt.timedelta(hours=rng.randint(2, 72)))
            services.submit(filing, filer_account(filing, admin), now=min(when, now), deliverable=deliverable)
            filed += 1
            late += int(is_late)
            reviewer = reviewer_for(filing, admin)
            reviewed = when + dt.timedelta(days=1)
            if rng.random() < 0.12 and reviewed + dt.timedelta(days=2) < now:
                services.review(filing, reviewer, "return", "请补充治理措施及计划完成日期", now=reviewed)
                filing.refresh_from_db()
                services.save_entries(filing, filer_account(filing, admin),
                                      {"remarks": "已按意见补充", "rows": {}}, now=reviewed + dt.timedelta(hours=2))
                services.submit(filing, filer_account(filing, admin), reason="按退回意见补充说明",
                                now=reviewed + dt.timedelta(days=1), deliverable=deliverable)
                returned += 1
                reviewed += dt.timedelta(days=2)
            if rng.random() < 0.8 and reviewed < now:
                services.review(filing, reviewer, "accept", "", now=reviewed)
    services.tick(now)
    say(f"  报备：已提交 {filed} 份（迟报 {late}，退回后重新提交 {returned}），其余逾期未报")


def service_account(org):
    """A non-login account of an organisation, acting for it in the demo (no password hashing)."""
    return account(org)


def filer_account(filing: Filing, admin):
    return service_account(filing.filer)


def reviewer_for(filing: Filing, admin):
    return service_account(filing.recipient) if filing.recipient is not None else admin
