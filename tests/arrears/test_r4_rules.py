"""R4 arrears-disconnection checks: hand-computed boundaries on DuckDB and Spark, and properties.

Every expected status below is worked out by hand from shared/spec/rules.md R4 and the
interpretations in docs/rules-r4.md. Times are written in China time and turned into epoch
seconds; the standard case is planned to be cut at 2025-06-10 10:00 and passes every check.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from getpower.analytics import engine
from getpower.arrears.rules import (
    CASES_SCHEMA,
    CHECKS,
    OUTPUT_COLUMNS,
    R4Params,
    arrears_findings,
    evaluate_arrears,
)

pytestmark = pytest.mark.engine

CHINA = ZoneInfo("Asia/Shanghai")
MINUTE = 60
HOUR = 3600
DAY = 86400


def ts(text: str) -> int:
    """Epoch seconds of a China-time 'YYYY-MM-DD HH:MM[:SS]'."""
    return int(dt.datetime.fromisoformat(text).replace(tzinfo=CHINA).timestamp())


def day(text: str) -> int:
    """China day number of a date: days since 1970-01-01."""
    return (dt.date.fromisoformat(text) - dt.date(1970, 1, 1)).days


PLANNED = ts("2025-06-10 10:00")

STANDARD = {
    "company": "YN-KM-01",
    "county_code": "530102",
    "bill_due_day": day("2025-05-01"),  # 40 days before the cut day
    "demand_ts": ts("2025-06-01 09:00"),
    "notice_served_ts": ts("2025-06-05 09:00"),  # 5 days before
    "final_notice_ts": ts("2025-06-10 08:00"),  # 2 hours before
    "reported_ts": ts("2025-06-06 10:00"),  # 4 days before
    "planned_cut_ts": PLANNED,
    "cut_ts": None,
    "cancelled_ts": None,
    "approved_by": "张三",
    "authority_level": "county",
}


def cases_table(cases: list[dict]) -> pa.Table:
    rows = []
    for pk, case in enumerate(cases, start=1):
        row = {"case_pk": pk, **STANDARD, **case}
        rows.append({name: row[name] for name in CASES_SCHEMA.names})
    return pa.Table.from_pylist(rows, schema=CASES_SCHEMA)


@pytest.fixture(autouse=True)
def _test_settings():
    """These tests touch no Django settings: replaces the conftest fixture so ``-p no:django`` works."""


# -- backends ------------------------------------------------------------------------------------

_connections: dict[str, object] = {}


def connection(backend: str):
    if backend not in _connections:
        _connections[backend] = engine.connect(backend)
    return _connections[backend]


@pytest.fixture(params=["duckdb", pytest.param("spark", marks=pytest.mark.spark)])
def backend(request) -> str:
    return request.param


def run(backend: str, cases: list[dict], as_of: int, params: R4Params | None = None) -> pa.Table:
    return evaluate_arrears(backend, cases_table(cases), params or R4Params(), as_of, con=connection(backend))


def statuses(result: pa.Table) -> dict[tuple[str, str], str]:
    return {(r["case_id"], r["check"]): r["status"] for r in result.to_pylist()}


# -- hand-computed boundary cases ------------------------------------------------------------------
# (case_id, overrides of the standard case, check, expected status, a fragment of the reason)

AFTER = ts("2025-06-20 00:00")  # long after every cut below

BOUNDARIES = [
    ("std", {}, "final_notice_30min", "ok", "2 小时"),
    # overdue_30d: cut day − due day must be more than 30
    ("over30", {"bill_due_day": day("2025-05-11")}, "overdue_30d", "violation", "30 天"),
    ("over31", {"bill_due_day": day("2025-05-10")}, "overdue_30d", "ok", "31 天"),
    # a recorded cut a day after the planned one is the cut time: 31 days
    (
        "over31cut",
        {"bill_due_day": day("2025-05-11"), "cut_ts": ts("2025-06-11 10:00")},
        "overdue_30d",
        "ok",
        "停电日距电费缴费期限 31 天",
    ),
    # the cut day is the China date: 2025-06-11 07:00 China is 2025-06-10 23:00 UTC
    (
        "over31china",
        {"bill_due_day": day("2025-05-11"), "cut_ts": ts("2025-06-11 07:00")},
        "overdue_30d",
        "ok",
        "31 天",
    ),
    # demand_first: strictly before
    ("demand_eq", {"demand_ts": ts("2025-06-05 09:00")}, "demand_first", "violation", "同时"),
    (
        "demand_after",
        {"demand_ts": ts("2025-06-05 09:01")},
        "demand_first",
        "violation",
        "晚于停电通知送达 1 分钟",
    ),
    ("demand_1s", {"demand_ts": ts("2025-06-05 08:59:59")}, "demand_first", "ok", "1 秒"),
    # approved
    ("appr_none", {"approved_by": None}, "approved", "violation", "未记录"),
    ("appr_empty", {"approved_by": ""}, "approved", "violation", "未记录"),
    ("appr_blank", {"approved_by": "   "}, "approved", "violation", "未记录"),
    ("appr_ok", {"approved_by": "李四"}, "approved", "ok", "李四"),
    # notice_3_7d: calendar days in China time, cut day 2025-06-10
    ("notice2", {"notice_served_ts": ts("2025-06-08 00:00")}, "notice_3_7d", "violation", "相隔 2 天"),
    ("notice3", {"notice_served_ts": ts("2025-06-07 23:59")}, "notice_3_7d", "ok", "相隔 3 天"),
    ("notice7", {"notice_served_ts": ts("2025-06-03 00:00")}, "notice_3_7d", "ok", "相隔 7 天"),
    ("notice8", {"notice_served_ts": ts("2025-06-02 23:59")}, "notice_3_7d", "violation", "相隔 8 天"),
    # 2025-06-03 07:30 China is 2025-06-02 23:30 UTC: 7 days in China time (8 by the UTC date)
    ("notice7china", {"notice_served_ts": ts("2025-06-03 07:30")}, "notice_3_7d", "ok", "相隔 7 天"),
    ("notice_after", {"notice_served_ts": ts("2025-06-10 11:00")}, "notice_3_7d", "violation", "相隔 0 天"),
    # the recorded cut (a day early) is what counts: 2025-06-09 − 2025-06-02 = 7 (8 to the planned day)
    (
        "notice_cut",
        {"cut_ts": ts("2025-06-09 10:00"), "notice_served_ts": ts("2025-06-02 09:00")},
        "notice_3_7d",
        "ok",
        "通知送达至停电相隔 7 天",
    ),
    # final_notice_30min: cut − 24 h <= final <= cut − 30 min
    ("final30m", {"final_notice_ts": PLANNED - 30 * MINUTE}, "final_notice_30min", "ok", "30 分钟"),
    (
        "final2959",
        {"final_notice_ts": PLANNED - 29 * MINUTE - 59},
        "final_notice_30min",
        "violation",
        "29 分钟 59 秒",
    ),
    ("final24h", {"final_notice_ts": PLANNED - 24 * HOUR}, "final_notice_30min", "ok", "1 天"),
    (
        "final24h1s",
        {"final_notice_ts": PLANNED - 24 * HOUR - 1},
        "final_notice_30min",
        "violation",
        "1 天 1 秒",
    ),
    ("final_at_cut", {"final_notice_ts": PLANNED}, "final_notice_30min", "violation", "同时"),
    ("final_after", {"final_notice_ts": PLANNED + 5 * MINUTE}, "final_notice_30min", "violation", "晚于"),
    # against the recorded cut, not the planned one: 08:00 is after a 07:00 cut
    ("final_cut", {"cut_ts": ts("2025-06-10 07:00")}, "final_notice_30min", "violation", "晚于停电 1 小时"),
    ("final_missing", {"final_notice_ts": None}, "final_notice_30min", "violation", "已过"),
    # reported_in_advance (report_lead_days 0): strictly before the cut, county level or above
    (
        "rep_after1m",
        {"reported_ts": PLANNED + MINUTE},
        "reported_in_advance",
        "violation",
        "晚于计划停电 1 分钟",
    ),
    ("rep_at_cut", {"reported_ts": PLANNED}, "reported_in_advance", "violation", "同时"),
    ("rep_1s", {"reported_ts": PLANNED - 1}, "reported_in_advance", "ok", "1 秒"),
    ("rep_level_none", {"authority_level": None}, "reported_in_advance", "violation", "层级"),
    ("rep_level_low", {"authority_level": "township"}, "reported_in_advance", "violation", "层级"),
    ("rep_prefecture", {"authority_level": "prefecture"}, "reported_in_advance", "ok", "州市级"),
    ("rep_province", {"authority_level": "province"}, "reported_in_advance", "ok", "省级"),
    ("rep_missing", {"reported_ts": None}, "reported_in_advance", "violation", "未向"),
    (
        "rep_missing_nolevel",
        {"reported_ts": None, "authority_level": None},
        "reported_in_advance",
        "violation",
        "未向",
    ),
    # a report after a recorded early cut is late even though before the planned time
    ("rep_cut", {"cut_ts": ts("2025-06-06 09:00")}, "reported_in_advance", "violation", "晚于停电"),
]

CANCELLED = [
    ("cancelled", {"cancelled_ts": ts("2025-06-09 12:00")}),
    # cancellation recorded after the as-of time still excludes the case
    ("cancelled_late", {"cancelled_ts": AFTER + DAY, "final_notice_ts": None, "reported_ts": None}),
]


@pytest.fixture(scope="module")
def boundary_results():
    cache: dict[str, pa.Table] = {}

    def get(backend: str) -> pa.Table:
        if backend not in cache:
            cases = [{"case_id": cid, **over} for cid, over, *_ in BOUNDARIES]
            cases += [{"case_id": cid, **over} for cid, over in CANCELLED]
            cache[backend] = run(backend, cases, AFTER)
        return cache[backend]

    return get


@pytest.mark.parametrize(
    ("case_id", "overrides", "check", "expected", "fragment"), BOUNDARIES, ids=[b[0] for b in BOUNDARIES]
)
def test_boundary(backend, boundary_results, case_id, overrides, check, expected, fragment):
    rows = [
        r for r in boundary_results(backend).to_pylist() if r["case_id"] == case_id and r["check"] == check
    ]
    assert len(rows) == 1
    assert rows[0]["status"] == expected, rows[0]["reason"]
    assert fragment in rows[0]["reason"]


def test_standard_case_passes_every_check(backend, boundary_results):
    rows = [r for r in boundary_results(backend).to_pylist() if r["case_id"] == "std"]
    assert [r["check"] for r in rows] == list(CHECKS)
    assert {r["status"] for r in rows} == {"ok"}


def test_cancelled_cases_are_not_listed(backend, boundary_results):
    listed = set(boundary_results(backend).column("case_id").to_pylist())
    assert not listed & {cid for cid, _ in CANCELLED}
    assert listed == {b[0] for b in BOUNDARIES}


def test_output_columns_and_order(backend, boundary_results):
    result = boundary_results(backend)
    assert tuple(result.column_names[:3]) == ("case_id", "check", "status")
    assert tuple(result.column_names) == OUTPUT_COLUMNS
    keys = [(r["case_id"], CHECKS.index(r["check"])) for r in result.to_pylist()]
    assert keys == sorted(keys)
    assert len(keys) == 6 * len(BOUNDARIES)
    first = result.slice(0, 1).to_pylist()[0]
    assert first["company"] == "YN-KM-01" and first["county_code"] == "530102"
    assert all(r["reason"] for r in result.to_pylist())


def test_report_lead_days_two(backend):
    cases = [
        {"case_id": "lead2_late", "reported_ts": ts("2025-06-08 23:59")},  # 2 days: ok
        {"case_id": "lead2_early", "reported_ts": ts("2025-06-08 00:00")},  # 2 days: ok
        {"case_id": "lead3", "reported_ts": ts("2025-06-07 10:00")},  # 3 days: ok
        {"case_id": "lead1", "reported_ts": ts("2025-06-09 00:00")},  # 1 day: violation
        {"case_id": "lead0", "reported_ts": ts("2025-06-10 09:00")},  # same day: violation
    ]
    got = statuses(run(backend, cases, AFTER, R4Params(report_lead_days=2)))
    assert got[("lead2_late", "reported_in_advance")] == "ok"
    assert got[("lead2_early", "reported_in_advance")] == "ok"
    assert got[("lead3", "reported_in_advance")] == "ok"
    assert got[("lead1", "reported_in_advance")] == "violation"
    assert got[("lead0", "reported_in_advance")] == "violation"
    # with the default lead of 0 the same-day report is in time
    assert statuses(run(backend, cases, AFTER))[("lead0", "reported_in_advance")] == "ok"


def test_pending_until_the_cut_time_passes(backend):
    cases = [
        {"case_id": "both_missing", "final_notice_ts": None, "reported_ts": None},
        {"case_id": "report_missing", "reported_ts": None},
        # a final notice recorded already outside the window is a violation at once, not pending
        {"case_id": "final_bad", "final_notice_ts": PLANNED - 2 * DAY, "reported_ts": None},
        # the cut recorded two hours after the planned time is the cut time
        {"case_id": "cut_late", "final_notice_ts": None, "reported_ts": None, "cut_ts": PLANNED + 2 * HOUR},
        # the cut recorded a day early: passed as soon as that time is reached
        {"case_id": "cut_early", "final_notice_ts": None, "reported_ts": None, "cut_ts": PLANNED - DAY},
    ]
    final, report = "final_notice_30min", "reported_in_advance"
    expectations = {
        PLANNED - DAY - 1: {
            ("both_missing", final): "pending",
            ("both_missing", report): "pending",
            ("report_missing", final): "ok",
            ("report_missing", report): "pending",
            ("final_bad", final): "violation",
            ("final_bad", report): "pending",
            ("cut_late", report): "pending",
            ("cut_early", report): "pending",
        },
        PLANNED - 1: {
            ("both_missing", final): "pending",
            ("report_missing", report): "pending",
            ("cut_late", final): "pending",
            ("cut_early", final): "violation",
            ("cut_early", report): "violation",
        },
        PLANNED: {
            ("both_missing", final): "violation",
            ("both_missing", report): "violation",
            ("report_missing", final): "ok",
            ("report_missing", report): "violation",
            ("cut_late", final): "pending",
            ("cut_late", report): "pending",
        },
        PLANNED + 2 * HOUR: {
            ("cut_late", final): "violation",
            ("cut_late", report): "violation",
        },
    }
    for as_of, expected in expectations.items():
        got = statuses(run(backend, cases, as_of))
        for key, status in expected.items():
            assert got[key] == status, (as_of - PLANNED, key)
        # only a missing final notice or report is ever pending
        assert {check for (_, check), s in got.items() if s == "pending"} <= {final, report}


def test_reasons_of_pending_and_overdue_missing(backend):
    case = [{"case_id": "m", "final_notice_ts": None, "reported_ts": None}]
    before = {r["check"]: r["reason"] for r in run(backend, case, PLANNED - HOUR).to_pylist()}
    after = {r["check"]: r["reason"] for r in run(backend, case, PLANNED + HOUR).to_pylist()}
    assert before["final_notice_30min"] == "停电时间未到，尚未记录停电前再次通知"
    assert after["reported_in_advance"] == "停电时间已过，未向能源主管部门报告"


def test_missing_required_times_are_violations_not_errors(backend):
    cases = [
        {"case_id": "no_demand", "demand_ts": None},
        {"case_id": "no_notice", "notice_served_ts": None},
        {"case_id": "no_due", "bill_due_day": None},
        {"case_id": "no_cut", "planned_cut_ts": None},
        {"case_id": "no_cut_nothing", "planned_cut_ts": None, "final_notice_ts": None, "reported_ts": None},
    ]
    rows = {
        (r["case_id"], r["check"]): (r["status"], r["reason"]) for r in run(backend, cases, AFTER).to_pylist()
    }
    assert rows[("no_demand", "demand_first")] == ("violation", "缺少催交时间或通知送达时间")
    assert rows[("no_notice", "notice_3_7d")] == ("violation", "缺少通知送达时间或停电时间")
    assert rows[("no_due", "overdue_30d")][0] == "violation"
    for check in ("overdue_30d", "notice_3_7d", "final_notice_30min", "reported_in_advance"):
        assert rows[("no_cut", check)][0] == "violation"
    assert rows[("no_cut", "final_notice_30min")][1] == "缺少停电时间"
    # without any cut time the cut cannot have passed: a missing record stays pending
    assert rows[("no_cut_nothing", "reported_in_advance")] == (
        "pending",
        "缺少停电时间，尚未向能源主管部门报告",
    )
    assert all(reason for _, reason in rows.values())


def test_parameters_change_the_limits(backend):
    params = R4Params(
        arrears_overdue_days=40,
        notice_min_days=5,
        notice_max_days=5,
        final_notice_min_minutes=120,
        final_notice_window_hours=2,
    )
    got = statuses(run(backend, [{"case_id": "p"}], AFTER, params))
    assert got[("p", "overdue_30d")] == "violation"  # 40 days, not more than 40
    assert got[("p", "notice_3_7d")] == "ok"  # exactly 5
    assert got[("p", "final_notice_30min")] == "ok"  # exactly 2 h = 120 min


def test_empty_input(backend):
    result = evaluate_arrears(backend, CASES_SCHEMA.empty_table(), R4Params(), AFTER, con=connection(backend))
    assert result.num_rows == 0
    assert tuple(result.column_names) == OUTPUT_COLUMNS


@pytest.mark.spark
def test_spark_and_duckdb_agree(boundary_results):
    assert boundary_results("spark").equals(boundary_results("duckdb"))


def test_findings_expression_is_ordered_and_portable(backend):
    con = connection(backend)
    table = engine.register(con, "r4_expr", cases_table([{"case_id": "b"}, {"case_id": "a"}]))
    expr = arrears_findings(table, R4Params(), AFTER)
    assert tuple(expr.columns) == OUTPUT_COLUMNS
    rows = engine.to_arrow(expr).to_pylist()
    assert [(r["case_id"], r["check"]) for r in rows] == [(c, k) for c in "ab" for k in CHECKS]


def test_timestamps_must_be_epoch_seconds():
    table = cases_table([{"case_id": "x"}])
    as_timestamps = table.set_column(
        table.schema.get_field_index("demand_ts"),
        "demand_ts",
        table.column("demand_ts").cast(pa.timestamp("s")),
    )
    with pytest.raises(TypeError, match="demand_ts"):
        evaluate_arrears("duckdb", as_timestamps, R4Params(), AFTER)


def test_params_from_rulebook_values():
    values = {
        "report_lead_days": "2",
        "notice_max_days": 6,
        "min_minutes": 3,
        "final_notice_window_hours": None,
    }
    params = R4Params.from_values(values)
    assert params == R4Params(report_lead_days=2, notice_max_days=6)
    with pytest.raises(ValueError):
        R4Params(notice_min_days=8)


def test_extra_and_missing_columns():
    table = cases_table([{"case_id": "x"}]).append_column("community", pa.array(["翠湖小区"]))
    assert evaluate_arrears("duckdb", table, R4Params(), AFTER).num_rows == 6
    with pytest.raises(ValueError, match="cut_ts"):
        evaluate_arrears("duckdb", table.drop_columns(["cut_ts"]), R4Params(), AFTER)


# -- properties (DuckDB) -------------------------------------------------------------------------

BASE = ts("2025-03-01 00:00")


@st.composite
def random_case(draw, index: int):
    def offset(low_days: int, high_days: int) -> int:
        return PLANNED_R + draw(st.integers(low_days * DAY, high_days * DAY))

    PLANNED_R = BASE + draw(st.integers(0, 20 * DAY))  # noqa: N806
    maybe = st.booleans()
    return {
        "case_id": f"c{index:03d}",
        "bill_due_day": (PLANNED_R + 8 * HOUR) // DAY - draw(st.integers(0, 45)),
        "demand_ts": offset(-12, 1),
        "notice_served_ts": offset(-10, 1),
        "final_notice_ts": offset(-2, 1) if draw(maybe) else None,
        "reported_ts": offset(-5, 1) if draw(maybe) else None,
        "planned_cut_ts": PLANNED_R,
        "cut_ts": offset(-2, 2) if draw(maybe) else None,
        "cancelled_ts": offset(-3, 3) if draw(st.integers(0, 5)) == 0 else None,
        "approved_by": draw(st.sampled_from([None, "", " ", "王五"])),
        "authority_level": draw(st.sampled_from([None, "county", "prefecture", "province", "township"])),
    }


@st.composite
def case_lists(draw):
    n = draw(st.integers(1, 12))
    return [draw(random_case(i)) for i in range(n)]


as_of_times = st.lists(st.integers(BASE - 3 * DAY, BASE + 25 * DAY), min_size=2, max_size=4).map(sorted)
param_sets = st.builds(
    R4Params,
    report_lead_days=st.integers(0, 3),
    notice_min_days=st.integers(0, 3),
    notice_max_days=st.integers(3, 8),
    final_notice_min_minutes=st.integers(0, 60),
    final_notice_window_hours=st.integers(1, 48),
)

# each example is a few evaluations of about half a second (Ibis compiles the expression each time)
PROPERTY_SETTINGS = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@PROPERTY_SETTINGS
@given(cases=case_lists(), times=as_of_times, params=param_sets)
def test_status_only_leaves_pending_as_time_goes_on(cases, times, params):
    history = [statuses(run("duckdb", cases, t, params)) for t in times]
    for earlier, later in zip(history, history[1:], strict=False):
        assert earlier.keys() == later.keys()
        for key, status in earlier.items():
            if status != "pending":
                assert later[key] == status, key
    listed = {cid for cid, _ in history[0]}
    assert listed == {c["case_id"] for c in cases if c["cancelled_ts"] is None}
    assert all(len([k for k in history[0] if k[0] == cid]) == len(CHECKS) for cid in listed)


@PROPERTY_SETTINGS
@given(cases=case_lists(), times=as_of_times, params=param_sets)
def test_all_evidence_present_is_never_pending(cases, times, params):
    for case in cases:
        case["final_notice_ts"] = case["final_notice_ts"] or case["planned_cut_ts"] - HOUR
        case["reported_ts"] = case["reported_ts"] or case["planned_cut_ts"] - 2 * DAY
    for t in times:
        assert "pending" not in statuses(run("duckdb", cases, t, params)).values()


def _oracle(case: dict, params: R4Params, as_of: int) -> dict[str, str]:
    """R4 in plain Python, for comparison with the Ibis expressions."""

    def cday(x: int) -> int:
        return (x + 8 * HOUR) // DAY

    cut = case["cut_ts"] if case["cut_ts"] is not None else case["planned_cut_ts"]
    passed = cut <= as_of

    def verdict(ok: bool) -> str:
        return "ok" if ok else "violation"

    final, report = case["final_notice_ts"], case["reported_ts"]
    return {
        "overdue_30d": verdict(cday(cut) - case["bill_due_day"] > params.arrears_overdue_days),
        "demand_first": verdict(case["demand_ts"] < case["notice_served_ts"]),
        "approved": verdict(bool((case["approved_by"] or "").strip())),
        "notice_3_7d": verdict(
            params.notice_min_days <= cday(cut) - cday(case["notice_served_ts"]) <= params.notice_max_days
        ),
        "final_notice_30min": ("violation" if passed else "pending")
        if final is None
        else verdict(
            cut - params.final_notice_window_hours * HOUR
            <= final
            <= cut - params.final_notice_min_minutes * MINUTE
        ),
        "reported_in_advance": ("violation" if passed else "pending")
        if report is None
        else verdict(
            report < cut
            and cday(cut) - cday(report) >= params.report_lead_days
            and case["authority_level"] in ("county", "prefecture", "province")
        ),
    }


@PROPERTY_SETTINGS
@given(cases=case_lists(), times=as_of_times, params=param_sets)
def test_matches_a_plain_python_reading(cases, times, params):
    as_of = times[0]
    got = statuses(run("duckdb", cases, as_of, params))
    expected = {
        (c["case_id"], check): status
        for c in cases
        if c["cancelled_ts"] is None
        for check, status in _oracle(c, params, as_of).items()
    }
    assert got == expected
