"""The ``getpower`` command line (shared/spec/cli.md): the platform's scripting face.

Exit status: 0 done; 1 the input was invalid (nothing written); 2 the command was used wrongly.
Errors go to standard error, in Chinese with the English code of the problem.
"""

from __future__ import annotations

import datetime as dt
import os
import sys
from pathlib import Path
from typing import Annotated
from zoneinfo import ZoneInfo

import typer

app = typer.Typer(add_completion=False, no_args_is_help=True, pretty_exceptions_enable=False,
                  help="getpower 获得电力数字化监管平台")
evaluate_app = typer.Typer(no_args_is_help=True, help="按规则评估（R2/R3/R4）")
app.add_typer(evaluate_app, name="evaluate")


CHINA_TZ = ZoneInfo("Asia/Shanghai")


class UsageError(Exception):
    """Exit 2: the command was used wrongly."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code


def fail(code: str, message: str, status: int) -> None:
    typer.echo(f"错误 [{code}]：{message}", err=True)
    raise typer.Exit(status)


def setup_django(db: str | None) -> None:
    from django.conf import settings

    if db:
        os.environ["GETPOWER_DATABASE_URL"] = db
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "getpower.settings")
    if not settings.configured or not getattr(settings, "_getpower_ready", False):
        import django

        django.setup()


@app.callback()
def main_callback(
    db: Annotated[str | None, typer.Option("--db", help="数据库 URL（默认取 GETPOWER_DATABASE_URL，否则 var/ 下的 SQLite）")] = None,
) -> None:
    if db and not (db.startswith("sqlite:") or db.startswith("postgres")):
        fail("bad_db_url", f"无法识别的数据库 URL：{db}", 2)
    setup_django(db)
    if db is None and "GETPOWER_DATABASE_URL" not in os.environ:
        from django.conf import settings

        Path(settings.VAR_DIR).mkdir(parents=True, exist_ok=True)


def parse_moment(text: str, name: str) -> dt.datetime:
    """A date (start of day) or a time, in China time; otherwise a usage error (exit 2)."""
    from getpower.ledgers.columns import CHINA, CellError, parse_time

    text = text.strip()
    try:
        return parse_time(text)
    except CellError:
        pass
    try:
        day = dt.date.fromisoformat(text)
    except ValueError:
        fail("bad_time", f"{name}“{text}”不是可识别的日期或时间（YYYY-MM-DD 或 YYYY-MM-DD HH:MM[:SS]）", 2)
    return dt.datetime(day.year, day.month, day.day, tzinfo=CHINA)


def parse_day(text: str, name: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text.strip())
    except ValueError:
        fail("bad_date", f"{name}“{text}”不是可识别的日期（YYYY-MM-DD）", 2)
    raise AssertionError


@app.command()
def migrate() -> None:
    """创建或升级数据库结构，并载入内置参考数据（行政区划、工作日历、默认规则）。"""
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=0)
    from getpower.core.models import Region
    from getpower.workdays.models import HolidaySchedule

    typer.echo(
        f"数据库已就绪：行政区划 {Region.objects.count()} 个，"
        f"工作日历 {', '.join(str(y) for y in HolidaySchedule.objects.values_list('year', flat=True))} 年"
    )


@app.command("import")
def import_ledger(
    ledger: Annotated[str, typer.Argument(help="台账：organisations, assets, outages, applications, application_pauses, arrears_cases")],
    file: Annotated[Path, typer.Argument(help="CSV 或 XLSX 文件")],
    dry_run: Annotated[bool, typer.Option("--dry-run", help="只校验，不写入")] = False,
) -> None:
    """导入一个台账文件：先校验全部行，无误后整体写入。"""
    from getpower.ledgers.importer import run_import
    from getpower.ledgers.registry import all_ledgers

    names = [item.name for item in all_ledgers()]
    if ledger not in names:
        fail("unknown_ledger", f"未知台账“{ledger}”，可选：{', '.join(names)}", 2)
    if not file.is_file():
        fail("file_not_found", f"文件不存在或不可读：{file}", 2)
    data = file.read_bytes()
    result = run_import(ledger, data, file.name, dry_run=dry_run, channel="cli")
    for warning in result.warnings:
        typer.echo(f"提示：{warning}", err=True)
    if not result.ok:
        typer.echo(f"错误 [invalid_input]：文件 {file.name} 有 {len(result.errors)} 处错误，未写入任何数据：", err=True)
        for e in result.errors:
            where = f"第 {e['row']} 行" if e["row"] else "文件"
            column = f"，列 {e['column']}（{e['label']}）" if e["column"] else ""
            typer.echo(f"  {where}{column}，值“{e['value']}”：{e['reason']}", err=True)
        raise typer.Exit(1)
    prefix = "校验通过（未写入）：" if dry_run else ""
    typer.echo(
        f"{prefix}{result.ledger.label}（{ledger}）共 {result.total} 行：新增 {result.added}，更新 {result.updated}，"
        f"未变 {result.unchanged}（导入任务 {result.job.pk}）"
    )


@app.command()
def workdays(
    start: Annotated[str, typer.Argument(metavar="FROM", help="起始日期或时间")],
    end: Annotated[str, typer.Argument(metavar="TO", help="结束日期或时间")],
    region: Annotated[str | None, typer.Option("--region", help="县级或州市行政区划代码（适用地方补充假日）")] = None,
) -> None:
    """打印 FROM 至 TO 经过的工作日数（规则 R1）。"""
    from getpower.core.models import Region
    from getpower.workdays.calendar import load_calendar

    a, b = parse_moment(start, "FROM"), parse_moment(end, "TO")
    if a > b:
        fail("from_after_to", f"FROM（{start}）晚于 TO（{end}）", 2)
    if region and not Region.objects.filter(code=region).exists():
        fail("unknown_region", f"未知的行政区划代码：{region}", 2)
    result = load_calendar().elapsed(a, b, region)
    typer.echo(str(result.count))
    if result.provisional:
        years = "、".join(str(y) for y in result.provisional_years)
        typer.echo(f"警告 [provisional]：{years} 年的节假日安排尚未载入，按普通周计算，结果为暂定", err=True)


def cell(value) -> str:
    """CSV cell: integers where whole, ISO dates, empty for missing (cli.md)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else f"{value:g}"
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    return str(value)


def resolve_format(fmt: str | None) -> str:
    if fmt is None:
        return "table" if sys.stdout.isatty() else "csv"
    if fmt not in ("csv", "json", "table"):
        fail("bad_format", f"未知的输出格式“{fmt}”，可选 csv、json、table", 2)
    return fmt


def emit(rows: list[dict], columns: list[str], fmt: str, meta: dict, title: str) -> None:
    """Write results as CSV (the cli.md columns), JSON (the same fields plus more) or a table."""
    import csv
    import json

    if fmt == "csv":
        writer = csv.writer(sys.stdout, lineterminator="\n")
        writer.writerow(columns)
        for row in rows:
            writer.writerow([cell(row.get(c)) for c in columns])
    elif fmt == "json":
        payload = {**meta, "results": rows}
        typer.echo(json.dumps(payload, ensure_ascii=False, default=cell, indent=1))
    else:
        from rich.console import Console
        from rich.table import Table

        table = Table(title=title)
        for c in columns:
            table.add_column(c)
        for row in rows:
            table.add_row(*[cell(row.get(c)) for c in columns])
        Console().print(table)
        typer.echo(" · ".join(f"{k}: {v}" for k, v in meta.items() if not isinstance(v, list | dict)))


FORMAT_OPTION = typer.Option("--format", help="csv | json | table（默认：终端为 table，否则 csv）")
ENGINE_OPTION = typer.Option("--engine", help="duckdb（默认）或 spark")


def check_engine(engine: str) -> None:
    if engine not in ("duckdb", "spark"):
        fail("bad_engine", f"未知的计算引擎“{engine}”，可选 duckdb、spark", 2)


def emit_evaluation(rows: list[dict], columns: list[str], fmt: str, *, rule: str, as_of: str, evaluation,
                    engine: str, title: str, extra: dict | None = None) -> None:
    """Write an evaluation's rows; JSON and tables also carry the rulebook version on every row."""
    version = evaluation.rulebook.version
    if fmt != "csv":
        for r in rows:
            r.setdefault("rulebook_version", version)
    meta = {"rule": rule, "as_of": as_of, "rulebook_version": version, "engine": engine,
            "run": evaluation.run.pk if evaluation.run else None, **(extra or {})}
    emit(rows, columns, fmt, meta, title)


@evaluate_app.command("frequent-outages")
def evaluate_frequent_outages(
    as_of: Annotated[str, typer.Option("--as-of", help="评估日 YYYY-MM-DD（按该日 24:00 评估）")],
    fmt: Annotated[str | None, FORMAT_OPTION] = None,
    engine: Annotated[str, ENGINE_OPTION] = "duckdb",
) -> None:
    """频繁停电（规则 R3）：每个在统计期内有计入停电的线路/台区一行。"""
    from getpower.outages.services import evaluate

    day = parse_day(as_of, "--as-of")
    fmt = resolve_format(fmt)
    check_engine(engine)
    evaluation = evaluate(day, engine=engine, actor="cli", detail=fmt == "json")
    findings = evaluation.result.findings.to_pylist()
    columns = ["asset_type", "asset_id", "company", "county_code", "year_count", "max_60d_count", "status",
               "first_breach_date"]
    if fmt == "json":
        from getpower.outages.services import counted_by_unit

        behind = counted_by_unit(evaluation.result, {r["asset_pk"] for r in findings})
        event_ids = dict(zip(evaluation.result.decisions["outage_pk"].to_pylist(),
                             evaluation.result.decisions["event_id"].to_pylist(), strict=True))
        for r in findings:
            r["counted_outages"] = [
                {"start": dt.datetime.fromtimestamp(o["start"], dt.UTC).astimezone(CHINA_TZ).isoformat(),
                 "event_ids": [event_ids[p] for p in o["outages"]]} for o in behind.get(r["asset_pk"], [])]
    emit_evaluation(findings, columns, fmt, rule="R3", as_of=day.isoformat(), evaluation=evaluation, engine=engine,
                    title=f"频繁停电评估（{day}）")


@evaluate_app.command("time-limits")
def evaluate_time_limits(
    as_of: Annotated[str, typer.Option("--as-of", help="评估时点（日期或时间，北京时间）")],
    fmt: Annotated[str | None, FORMAT_OPTION] = None,
    engine: Annotated[str, ENGINE_OPTION] = "duckdb",
) -> None:
    """用电报装时限（规则 R2）：每个已开始的环节一行，每个申请一行 total。"""
    from getpower.connections.services import evaluate

    moment = parse_moment(as_of, "--as-of")
    fmt = resolve_format(fmt)
    check_engine(engine)
    evaluation = evaluate(moment, engine=engine, actor="cli")
    columns = ["app_id", "user_class", "check", "elapsed_workdays", "limit_workdays", "status"]
    emit_evaluation(evaluation.result.checks.to_pylist(), columns, fmt, rule="R2", as_of=moment.isoformat(),
                    evaluation=evaluation, engine=engine, title=f"用电报装时限评估（{moment}）",
                    extra={"provisional": evaluation.provisional})
    if evaluation.provisional:
        typer.echo("警告 [provisional]：评估涉及尚未载入节假日安排的年份，结果为暂定", err=True)


@evaluate_app.command("arrears")
def evaluate_arrears(
    as_of: Annotated[str, typer.Option("--as-of", help="评估时点（日期或时间，北京时间）")],
    fmt: Annotated[str | None, FORMAT_OPTION] = None,
    engine: Annotated[str, ENGINE_OPTION] = "duckdb",
) -> None:
    """居民小区欠费停电（规则 R4）：每个案件每项检查一行；已取消的案件不列出。"""
    from getpower.arrears.services import evaluate

    moment = parse_moment(as_of, "--as-of")
    fmt = resolve_format(fmt)
    check_engine(engine)
    evaluation = evaluate(moment, engine=engine, actor="cli")
    emit_evaluation(evaluation.findings.to_pylist(), ["case_id", "check", "status"], fmt, rule="R4",
                    as_of=moment.isoformat(), evaluation=evaluation, engine=engine, title=f"欠费停电评估（{moment}）")


@app.command()
def ledger(
    filing: Annotated[str, typer.Argument(metavar="F1|F2|F3", help="报备台账")],
    period: Annotated[str, typer.Option("--period", help="统计月份 YYYY-MM")],
    company: Annotated[str, typer.Option("--company", help="供电单位编码")],
    out: Annotated[Path | None, typer.Option("--out", help="输出文件（.xlsx 或 .csv），默认 <台账>_<单位>_<月份>.xlsx")] = None,
) -> None:
    """按报送格式生成某供电单位某月的报备台账（R5）。"""
    from getpower.deliverables import DeliverableError, produce, to_csv, to_xlsx

    if out is not None and out.suffix.lower() not in (".xlsx", ".csv"):
        fail("bad_output", f"输出文件须为 .xlsx 或 .csv：{out}", 2)
    try:
        deliverable = produce(filing.upper(), period, company)
    except DeliverableError as exc:
        fail(exc.code, str(exc), 2)
    out = out or Path(f"{deliverable.code}_{company}_{deliverable.period.label}.xlsx")
    out.write_bytes(to_csv(deliverable) if out.suffix.lower() == ".csv" else to_xlsx(deliverable))
    typer.echo(f"已生成 {deliverable.title}：{out}（{len(deliverable.rows)} 行）")


@app.command()
def report(
    month: Annotated[str, typer.Option("--month", help="统计月份 YYYY-MM")],
    out: Annotated[Path, typer.Option("--out", help="输出文件：.xlsx（工作簿）、.html（可打印页面）或 .pdf")],
    region: Annotated[str | None, typer.Option("--region", help="省、州市或县区行政区划代码（默认全省）")] = None,
) -> None:
    """生成某月某区域的“获得电力”监管月报（指标汇总、排名与各类清单）。"""
    from getpower.cockpit import report as monthly
    from getpower.cockpit import services

    if out.suffix.lower() not in (".xlsx", ".html", ".pdf"):
        fail("bad_output", f"输出文件须为 .xlsx、.html 或 .pdf：{out}", 2)
    try:
        month = services.parse_month(month)
    except services.MonthError as exc:
        fail("bad_month", str(exc), 2)
    if out.suffix.lower() == ".pdf" and monthly.chromium() is None:
        fail("no_pdf", "无法离线生成 PDF：本机未安装 Chromium（/usr/bin/chromium）。请改为输出 .html 后用浏览器打印，或输出 .xlsx", 2)
    try:
        data = monthly.build(month, region)
        monthly.write(data, out)
    except monthly.ReportError as exc:
        fail(exc.code, str(exc), 2)
    if not data.has_runs:
        typer.echo(f"提示：{month} 没有评估数据，报告中的指标为空", err=True)
    typer.echo(f"已生成 {data.title}：{out}")


@app.command()
def tick() -> None:
    """定时任务（供 cron 调用）：开启新报备期、标记逾期、发送提醒、核对 F1 台账；重复运行不会重复处理。"""
    from getpower.filings.services import tick as run_tick

    summary = run_tick()
    typer.echo("；".join(f"{k}={v}" for k, v in summary.items()))


@app.command()
def serve(
    port: Annotated[int, typer.Option("--port", help="端口")] = 8000,
    threads: Annotated[int, typer.Option("--threads", help="工作线程数")] = 8,
) -> None:
    """在 127.0.0.1 上提供网站服务。"""
    from getpower.web.server import run_server

    run_server(port=port, threads=threads)


@app.command()
def createuser(
    username: str,
    password: Annotated[str, typer.Option("--password", prompt=True, hide_input=True)],
    org: Annotated[str | None, typer.Option("--org", help="所属单位编码")] = None,
    admin: Annotated[bool, typer.Option("--admin", help="平台管理员")] = False,
) -> None:
    """创建登录账号。"""
    from getpower.core.services import create_user

    try:
        create_user(username=username, password=password, org_code=org, is_admin=admin)
    except ValueError as exc:
        fail("invalid_user", str(exc), 1)
    typer.echo(f"已创建用户 {username}")


@app.command()
def demo(
    port: Annotated[int, typer.Option("--port", help="端口")] = 8000,
    no_serve: Annotated[bool, typer.Option("--no-serve", help="只生成数据，不启动网站")] = False,
) -> None:
    """迁移数据库、生成合成的云南演示数据并评估，然后在 127.0.0.1 提供网站服务。"""
    import time

    from django.core.management import call_command

    from getpower.synthetic.demo import DEMO_PASSWORD, DEMO_USERS, load_demo

    started = time.monotonic()
    typer.echo("迁移数据库…")
    call_command("migrate", interactive=False, verbosity=0)
    load_demo(typer.echo)
    typer.echo(f"演示数据就绪（{time.monotonic() - started:.0f}s）。演示账号（密码均为 {DEMO_PASSWORD}）：")
    for username, (_, label) in DEMO_USERS.items():
        typer.echo(f"  {username:<14}{label}")
    if not no_serve:
        serve(port=port, threads=8)


def main() -> None:
    try:
        app()
    except UsageError as exc:
        typer.echo(f"错误 [{exc.code}]：{exc}", err=True)
        sys.exit(2)


if __name__ == "__main__":
    main()
