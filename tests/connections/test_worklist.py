"""The supply company's worklist at one instant (issue 23 item 1): every figure of the page — used,
left, overdue, due soon — is the evaluation's, at the time the page states; a stage past its deadline
reads 已超期 N 个工作日 (never "0 left"), and used + overdue = the working days from the stage's start
to the stated time. Hand-computed on November 2026 (no holiday, no regional rest day in 五华区)."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from getpower.connections import services
from getpower.workdays.calendar import load_calendar
from tests.factories import import_text

CHINA = dt.timezone(dt.timedelta(hours=8))
HEADER = ("app_id,company,county_code,customer_kind,voltage_kv,supply,capacity_kw,zero_service,external_works,"
          "grid_upgrade,upgrade_due_date,applied_at,accepted_at,scheme_replied_at,design_submitted_at,"
          "design_reviewed_at,midcheck_requested_at,midcheck_done_at,completion_requested_at,completion_done_at,"
          "connect_ready_at,energized_at,contact_phone_last4")
# low voltage, not 三零 (class lv: 受理 1, 供电方案答复 3, 全过程 6 working days); accepted the day applied
APPS = "\n".join([HEADER,
                  "W1,WHPG,530102,other,0.38,,50,否,,,,2026-11-02 09:00,2026-11-02 15:00,,,,,,,,,,1111",
                  "W2,WHPG,530102,other,0.38,,50,否,,,,2026-11-06 09:00,2026-11-06 10:00,,,,,,,,,,2222",
                  "W3,WHPG,530102,other,0.38,,50,否,,,,2026-11-04 09:00,2026-11-04 10:00,,,,,,,,,,3333"]) + "\n"
AS_OF = dt.datetime(2026, 11, 9, 12, 0, tzinfo=CHINA)  # a Monday; the wall clock is weeks later

# stage 供电方案答复 starts at acceptance; working days d with date(start) < d ≤ 2026-11-09:
#   W1 from Mon 11-02: Tue 3, Wed 4, Thu 5, Fri 6, Mon 9 = 5 > 3 → 已超期 2 (deadline Thu 11-05)
#   W3 from Wed 11-04: Thu 5, Fri 6, Mon 9 = 3 = 3 → 今日到期 (deadline Mon 11-09)
#   W2 from Fri 11-06: Mon 9 = 1 → 2 left (deadline Wed 11-11)
# 全过程 (the sum of the stages so far, limit 6): W1 5 → 1 left; W3 3 → 3 left; W2 1 → 5 left
EXPECTED = [
    # 申请编号, 环节, 已用, 时限, 截止日, 剩余
    ["W1", "供电方案答复", "3", "3", "2026-11-05", "已超期 2 个工作日"],
    ["W3", "供电方案答复", "3", "3", "2026-11-09", "今日到期"],
    ["W1", "全过程", "5", "6", "2026-11-10", "1"],
    ["W2", "供电方案答复", "1", "3", "2026-11-11", "2"],
    ["W3", "全过程", "3", "6", "2026-11-12", "3"],
    ["W2", "全过程", "1", "6", "2026-11-16", "5"],
]


@pytest.fixture
def worklist(province, client):
    import_text("applications", APPS, name="applications.csv")
    services.evaluate(AS_OF)
    assert client.login(username="whpg", password=province.password)
    response = client.get("/connections/")
    assert response.status_code == 200
    return response


def rows_of(html: str) -> list[list[str]]:
    table = html[html.index('id="worklist"'):html.index("</table>", html.index('id="worklist"'))]
    rows = []
    for tr in re.findall(r"<tr class=\"([^\"]*)\">(.*?)</tr>", table, re.S):
        cells = [re.sub(r"<[^>]+>", "", c).strip() for c in re.findall(r"<td[^>]*>(.*?)</td>", tr[1], re.S)]
        rows.append([tr[0], *cells])
    return rows


def test_every_figure_is_counted_to_the_stated_instant(worklist):
    html = worklist.content.decode()
    assert "本页各数（已用、剩余、超期、即将到期）均按 <b>2026-11-09 12:00</b> 计算" in html
    rows = rows_of(html)
    # columns: 申请编号, 供电单位, 用户类型, 环节, 已用工作日, 时限, 截止日, 剩余工作日
    assert [[r[1], r[4], r[5], r[6], r[7], r[8]] for r in rows] == EXPECTED
    assert all(r[2] == "五华供电局" and r[3] == "低压非三零" for r in rows)
    classes = {(r[1], r[4]): r[0].split() for r in rows}
    assert "overdue" in classes[("W1", "供电方案答复")]
    assert "urgent" in classes[("W3", "供电方案答复")] and "urgent" in classes[("W1", "全过程")]
    assert "urgent" not in classes[("W2", "供电方案答复")]
    assert worklist.context["overdue"] == 1


def test_used_plus_overdue_is_the_working_days_to_the_stated_time(worklist):
    cal = load_calendar()
    row = next(r for r in rows_of(worklist.content.decode()) if r[1] == "W1" and r[4] == "供电方案答复")
    used, overdue = int(row[5]), int(re.fullmatch(r"已超期 (\d+) 个工作日", row[8]).group(1))
    stage_start = dt.date(2026, 11, 2)  # accepted 11-02 15:00
    to_instant = cal.count_days(stage_start + dt.timedelta(days=1), AS_OF.date(), "530102").count
    assert to_instant == 5 and used + overdue == to_instant
    # before the deadline: used + left = the limit
    for r in rows_of(worklist.content.decode()):
        if not r[8].startswith("已超期"):
            left = 0 if r[8] == "今日到期" else int(r[8])
            assert int(r[5]) + left == int(r[6])
    assert "剩余 0" not in worklist.content.decode()


def test_the_worklist_filters_by_state(worklist, client):
    overdue = client.get("/connections/", {"state": "overdue"})
    assert [(f.application.app_id, f.check_name) for f in overdue.context["page"]] == [("W1", "scheme")]
    soon = client.get("/connections/", {"state": "soon"})
    assert [(f.application.app_id, f.check_name) for f in soon.context["page"]] == [("W3", "scheme"), ("W1", "total")]
