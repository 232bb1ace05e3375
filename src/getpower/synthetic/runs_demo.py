"""Demo step: evaluate the connection time limits and the arrears cases at the demo time, so that
every page has its findings (frequent outages are evaluated by the governance step)."""

from __future__ import annotations

import datetime as dt

from getpower.arrears import services as r4
from getpower.connections import services as r2

from .outages import DEMO_AS_OF

CHINA = dt.timezone(dt.timedelta(hours=8))


def demo_evaluations_step(structure, say) -> None:
    moment = dt.datetime.combine(DEMO_AS_OF, dt.time(18, 0), tzinfo=CHINA)
    e2 = r2.evaluate(moment, actor="demo")
    say(f"  报装时限评估：{e2.run.summary.get('totals')}（{e2.seconds:.1f}s）")
    e4 = r4.evaluate(moment, actor="demo")
    say(f"  欠费停电检查：违规案件 {e4.run.summary.get('violating_cases', 0)} 起（{e4.seconds:.1f}s）")
