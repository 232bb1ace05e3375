"""The ``getpower`` command line (shared/spec/cli.md): the platform's scripting face.

Exit status: 0 done; 1 the input was invalid (nothing written); 2 the command was used wrongly.
Errors go to standard error, in Chinese with the English code of the problem.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import inspect
import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path
from typing import Annotated

import django
import typer
from django.apps import apps as django_apps
from django.conf import settings
from django.core.management import call_command
from django.utils import timezone
from rich.console import Console
from rich.table import Table
from typer._click import exceptions as click_errors

from getpower.core import exports
from getpower.domains.registry import all_domains
from getpower.ledgers.columns import CHINA, CellError, parse_time
from getpower.workdays.calendar import load_calendar

app = typer.Typer(add_completion=False, no_args_is_help=True, pretty_exceptions_enable=False,
                  help="getpower 获得电力数字化监管平台")
evaluate_app = typer.Typer(no_args_is_help=True, help="按规则评估（每条已登记的规则一个子命令）")
app.add_typer(evaluate_app, name="evaluate")
token_app = typer.Typer(no_args_is_help=True, help="单位的 API 令牌：创建、吊销、列出")
app.add_typer(token_app, name="token")




class UsageError(Exception):
    """Exit 2: the command was used wrongly."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code


def fail(code: str, message: str, status: int) -> None:
    typer.echo(f"错误 [{code}]：{message}", err=True)
    raise typer.Exit(status)


def setup_django(db: str | None) -> None:
    if db:
        os.environ["GETPOWER_DATABASE_URL"] = db
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "getpower.settings")
    if not settings.configured or not getattr(settings, "_getpower_ready", False):
        django.setup()


@app.callback()
def main_callback(
    db: Annotated[str | None, typer.Option("--db", help="数据库 URL（默认取 GETPOWER_DATABASE_URL，否则 var/ 下的 SQLite）")] = None,
) -> None:
    if db and not (db.startswith("sqlite:") or db.startswith("postgres")):
        fail("bad_db_url", f"无法识别的数据库 URL：{db}", 2)
    setup_django(db)
    if db is None and "GETPOWER_DATABASE_URL" not in os.environ:
        Path(settings.VAR_DIR).mkdir(parents=True, exist_ok=True)


def parse_moment(text: str, name: str) -> dt.datetime:
    """A date (start of day) or a time, in China time; otherwise a usage error (exit 2)."""
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
    call_command("migrate", interactive=False, verbosity=0)
    # the app's modules need Django, set up by main_callback once the command line is read
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
    # the app's modules need Django, set up by main_callback once the command line is read
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
    # the app's modules need Django, set up by main_callback once the command line is read
    from getpower.core.models import Region

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

    if fmt == "csv":
        # A machine interface (cli.md "CSV outputs"): ids, codes and numbers, byte for byte as specified,
        # so no spreadsheet quoting here (docs/decisions.md, issue 12). Files for people — the F1–F3
        # ledgers of `getpower ledger` — go through exports' spreadsheet guard.
        writer = exports.csv_writer(sys.stdout, spreadsheet=False, lineterminator="\n")
        writer.writerow(columns)
        for row in rows:
            writer.writerow([cell(row.get(c)) for c in columns])
    elif fmt == "json":
        payload = {**meta, "results": rows}
        typer.echo(json.dumps(payload, ensure_ascii=False, default=cell, indent=1))
    else:
        table = Table(title=title)
        for c in columns:
            table.add_column(c)
        for row in rows:
            table.add_row(*[cell(row.get(c)) for c in columns])
        Console().print(table)
        typer.echo(" · ".join(f"{k}: {v}" for k, v in meta.items() if not isinstance(v, list | dict)))


FORMAT_OPTION = typer.Option("--format", help="csv | json | table（默认：终端为 table，否则 csv）")
ENGINE_OPTION = typer.Option("--engine", help="duckdb（默认）或 spark")
AS_OF_HELP = {"day": "评估日 YYYY-MM-DD（按该日 24:00 评估）", "time": "评估时点（日期或时间，北京时间）"}


def check_engine(engine: str) -> None:
    if engine not in ("duckdb", "spark"):
        fail("bad_engine", f"未知的计算引擎“{engine}”，可选 duckdb、spark", 2)


def run_evaluation(domain, given: dict) -> None:
    """``getpower evaluate <domain>``: parse the common and the domain's options, evaluate and store
    a run, print the ``cli.md`` table. JSON and tables also carry the rulebook version on every row."""
    fmt = resolve_format(given.pop("fmt"))
    engine = given.pop("engine")
    check_engine(engine)
    kwargs: dict = {}
    as_of_text = given.pop("as_of", None)
    if as_of_text is not None:
        kwargs["as_of"] = parse_day(as_of_text, "--as-of") if domain.as_of == "day" else parse_moment(
            as_of_text, "--as-of")
    for option in domain.options:
        text = given.get(option.dest)
        if option.flag or text is None:
            kwargs[option.dest] = text if text is not None else option.default
            continue
        try:
            kwargs[option.dest] = option.parse(text)
        except ValueError as exc:
            fail(f"bad_{option.dest}", f"{option.name}“{text}”：{exc}", 2)
    if domain.detail_for_json:
        kwargs["detail"] = fmt == "json"
    # every evaluation is a job row; the app's modules load once Django is set up (main)
    from getpower.jobs.services import track

    as_of_value = kwargs.get("as_of")
    with track("evaluate", label=f"{domain.label}（{domain.rule}）评估", actor="cli", subject=f"rule:{domain.rule}",
               args={"domain": domain.name, "engine": engine,
                     "as_of": as_of_value.isoformat() if as_of_value is not None else None}) as job:
        evaluation = domain.evaluate(engine=engine, actor="cli", **kwargs)
        job.result = {"rule": domain.rule, "run": evaluation.run.pk if evaluation.run else None,
                      "rulebook_version": evaluation.rulebook.version}
    out = domain.output(evaluation, fmt, kwargs)
    version = evaluation.rulebook.version
    if fmt != "csv":
        for r in out.rows:
            r.setdefault("rulebook_version", version)
    as_of = kwargs.get("as_of")
    meta = {"rule": domain.rule, "as_of": as_of.isoformat() if as_of is not None else None,
            "rulebook_version": version, "engine": engine, "run": evaluation.run.pk if evaluation.run else None,
            **out.meta}
    emit(out.rows, list(out.columns), fmt, meta, out.title)
    for code, text in out.warnings:
        typer.echo(f"警告 [{code}]：{text}", err=True)


def evaluate_command(domain):
    """The ``evaluate`` sub-command of a rule domain, its options read from the declaration."""
    def command(**given) -> None:
        run_evaluation(domain, given)

    keyword = inspect.Parameter.KEYWORD_ONLY
    params = []
    if domain.as_of != "none":
        option = typer.Option("--as-of", help=AS_OF_HELP[domain.as_of])
        if domain.as_of_required:
            params.append(inspect.Parameter("as_of", keyword, annotation=Annotated[str, option]))
        else:
            params.append(inspect.Parameter("as_of", keyword, annotation=Annotated[str | None, option], default=None))
    for o in domain.options:
        if o.flag:
            params.append(inspect.Parameter(o.dest, keyword, annotation=Annotated[bool, typer.Option(o.name, help=o.help)],
                                            default=False))
        elif o.required:
            params.append(inspect.Parameter(o.dest, keyword, annotation=Annotated[str, typer.Option(o.name, help=o.help)]))
        else:
            params.append(inspect.Parameter(o.dest, keyword, default=None,
                                            annotation=Annotated[str | None, typer.Option(o.name, help=o.help)]))
    params.append(inspect.Parameter("fmt", keyword, annotation=Annotated[str | None, FORMAT_OPTION], default=None))
    params.append(inspect.Parameter("engine", keyword, annotation=Annotated[str, ENGINE_OPTION], default="duckdb"))
    command.__signature__ = inspect.Signature(params)
    command.__annotations__ = {p.name: p.annotation for p in params}
    command.__doc__ = f"{domain.label}（规则 {domain.rule}）：{domain.description}。"
    command.__name__ = domain.name.replace("-", "_")
    return command


def install_domain_commands() -> None:
    """One ``evaluate`` sub-command per registered rule domain (the registry is filled when Django's
    apps are ready, so this runs after ``django.setup()``)."""
    known = {c.name for c in evaluate_app.registered_commands}
    for domain in all_domains():
        if domain.name not in known:
            evaluate_app.command(domain.name)(evaluate_command(domain))


@app.command()
def ledger(
    filing: Annotated[str, typer.Argument(metavar="F1|F2|F3", help="报备台账")],
    period: Annotated[str, typer.Option("--period", help="统计月份 YYYY-MM")],
    company: Annotated[str, typer.Option("--company", help="供电单位编码")],
    out: Annotated[Path | None, typer.Option("--out", help="输出文件（.xlsx 或 .csv），默认 <台账>_<单位>_<月份>.xlsx")] = None,
) -> None:
    """按报送格式生成某供电单位某月的报备台账（R5）。"""
    # the app's modules need Django, set up by main_callback once the command line is read
    from getpower.filings.producers import DeliverableError, produce, to_csv, to_xlsx

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
    # the app's modules need Django, set up by main_callback once the command line is read
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
    # the app's modules load once Django is set up (main); the report is recorded as a job
    from getpower.jobs.services import track

    try:
        with track("report", label=f"监管月报 {month}{' ' + region if region else ''}", actor="cli",
                   args={"month": str(month), "region": region, "out": str(out)}) as job:
            data = monthly.build(month, region)
            monthly.write(data, out)
            job.result = {"file": str(out)}
    except monthly.ReportError as exc:
        fail(exc.code, str(exc), 2)
    if not data.has_runs:
        typer.echo(f"提示：{month} 没有评估数据，报告中的指标为空", err=True)
    typer.echo(f"已生成 {data.title}：{out}")


@app.command()
def tick() -> None:
    """定时任务（供 cron 调用）：开启新报备期、标记逾期、发送提醒、核对 F1 台账；重复运行不会重复处理。"""
    # the app's modules load once Django is set up (main); the tick is recorded as a job
    from getpower.filings.services import tick as run_tick
    from getpower.jobs.services import track

    with track("tick", label="报备定时处理（命令行）", actor="cli") as job:
        summary = run_tick()
        job.result = summary
    typer.echo("；".join(f"{k}={v}" for k, v in summary.items()))


@app.command()
def serve(
    port: Annotated[int, typer.Option("--port", help="端口")] = 8000,
    threads: Annotated[int, typer.Option("--threads", help="工作线程数")] = 8,
    no_worker: Annotated[bool, typer.Option("--no-worker", help="不启动后台任务进程（另行运行 getpower worker）")] = False,
) -> None:
    """在 127.0.0.1 上提供网站服务，并启动后台任务进程（生产环境：须设置 GETPOWER_SECRET_KEY，且不能开启调试模式）。"""
    # the app's modules need Django, set up by main_callback once the command line is read
    from getpower.web.server import production_problems, run_server

    problems = production_problems()
    if problems:
        fail("unsafe_settings", "拒绝启动：" + "；".join(problems) + "。仅本机演示请用 getpower demo", 2)
    with worker_beside(not no_worker):
        run_server(port=port, threads=threads)


@contextlib.contextmanager
def worker_beside(start: bool):
    """A ``getpower worker`` process for as long as the web server runs (stopped with it); none when
    jobs run inline (``GETPOWER_JOBS_SYNC``: nothing would be queued for it)."""
    from django.conf import settings  # Django is set up by main() before any command runs

    if not start or settings.GETPOWER_JOBS_SYNC:
        yield None
        return
    # the app's modules load once Django is set up (main)
    from getpower.jobs.worker import start_worker_process

    process = start_worker_process()
    typer.echo(f"后台任务进程已启动（pid {process.pid}）")
    try:
        yield process
    finally:
        process.terminate()  # SIGTERM: django-q2 lets the running jobs finish
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:  # still busy: end it; its job is recovered at the next start
            process.kill()


@app.command()
def worker() -> None:
    """运行后台任务进程：台账导入、规则评估、每日定时评估与报备定时处理；重启时恢复中断的任务。"""
    # the app's modules load once Django is set up (main)
    from getpower.jobs.worker import run_worker

    run_worker(echo=typer.echo)


@app.command()
def createuser(
    username: str,
    password: Annotated[str, typer.Option("--password", prompt=True, hide_input=True)],
    org: Annotated[str | None, typer.Option("--org", help="所属单位编码")] = None,
    admin: Annotated[bool, typer.Option("--admin", help="平台管理员")] = False,
    org_admin: Annotated[bool, typer.Option("--org-admin", help="单位管理员（可管理本单位的 API 令牌）")] = False,
) -> None:
    """创建登录账号（密码须通过强度校验：至少 10 个字符，不能是常见密码、纯数字或与用户名相近）。"""
    # the app's modules need Django, set up by main_callback once the command line is read
    from getpower.core.services import create_user

    try:
        create_user(username=username, password=password, org_code=org, is_admin=admin, is_org_admin=org_admin)
    except ValueError as exc:
        fail("invalid_user", str(exc), 1)
    typer.echo(f"已创建用户 {username}")


@app.command()
def demo(
    port: Annotated[int, typer.Option("--port", help="端口")] = 8000,
    no_serve: Annotated[bool, typer.Option("--no-serve", help="只生成数据，不启动网站")] = False,
    no_worker: Annotated[bool, typer.Option("--no-worker", help="不启动后台任务进程")] = False,
) -> None:
    """迁移数据库、生成合成的云南演示数据并评估，然后在 127.0.0.1 提供网站服务。"""

    # the app's modules need Django, set up by main_callback once the command line is read
    from getpower.synthetic.demo import DEMO_PASSWORD, DEMO_USERS, load_demo

    started = time.monotonic()
    typer.echo("迁移数据库…")
    call_command("migrate", interactive=False, verbosity=0)
    load_demo(typer.echo)
    typer.echo(f"演示数据就绪（{time.monotonic() - started:.0f}s）。演示账号（密码均为 {DEMO_PASSWORD}）：")
    for username, (_, label) in DEMO_USERS.items():
        typer.echo(f"  {username:<14}{label}")
    if not no_serve:
        # the app's modules need Django, set up by main_callback once the command line is read
        from getpower.web.server import run_server

        with worker_beside(not no_worker):
            run_server(port=port, threads=8)  # local synthetic data: the production check of serve does not apply


@app.command()
def unlock(
    username: Annotated[str | None, typer.Argument(help="被锁定的用户名")] = None,
    ip: Annotated[str | None, typer.Option("--ip", help="被锁定的地址")] = None,
) -> None:
    """解除登录锁定（连续登录失败后的账号或地址锁定），并记入审计日志。"""
    # the app's modules need Django, set up by main_callback once the command line is read
    from getpower.core.lockout import unlock as lift

    if not username and not ip:
        fail("missing_target", "请指定用户名或 --ip 地址", 2)
    removed = lift(username=username, ip_address=ip, via="命令行")
    target = "、".join(x for x in (username and f"用户 {username}", ip and f"地址 {ip}") if x)
    if not removed:
        fail("not_locked", f"{target} 没有登录失败记录，无需解除", 1)
    typer.echo(f"已解除 {target} 的登录锁定（清除 {removed} 条失败记录）")


@token_app.command("create")
def token_create(
    org: Annotated[str, typer.Option("--org", help="单位编码")],
    name: Annotated[str, typer.Option("--name", help="令牌名称（如对接的系统）")],
    days: Annotated[int, typer.Option("--days", help="有效期（天）")] = 365,
) -> None:
    """为单位创建 API 令牌：令牌只输出这一次（标准输出），平台只保存其 SHA-256。"""
    # the app's modules need Django, set up by main_callback once the command line is read
    from getpower.core import tokens
    from getpower.core.models import Organisation

    organisation = Organisation.objects.filter(org_code=org).first()
    if organisation is None:
        fail("unknown_org", f"未知的单位编码：{org}", 2)
    try:
        token, secret = tokens.issue(org=organisation, name=name, days=days)
    except tokens.TokenError as exc:
        fail("invalid_token", str(exc), 2)
    expires = timezone.localtime(token.expires_at)
    typer.echo(f"已为 {organisation.name}（{org}）创建 API 令牌“{token.name}”，前缀 {token.prefix}，"
               f"有效期至 {expires:%Y-%m-%d %H:%M}。令牌只显示这一次：", err=True)
    typer.echo(secret)


@token_app.command("revoke")
def token_revoke(prefix: Annotated[str, typer.Argument(help="令牌前缀（见 getpower token list）")]) -> None:
    """吊销 API 令牌（立即生效）。"""
    # the app's modules need Django, set up by main_callback once the command line is read
    from getpower.core import tokens
    from getpower.core.models import ApiToken

    token = ApiToken.objects.filter(prefix=prefix.strip()).select_related("organisation").first()
    if token is None:
        fail("unknown_token", f"没有前缀为 {prefix} 的令牌", 1)
    if tokens.revoke(token):
        typer.echo(f"已吊销 {token.organisation.org_code} 的令牌“{token.name}”（{token.prefix}）")
    else:
        typer.echo(f"令牌 {token.prefix} 此前已吊销")


@token_app.command("list")
def token_list(
    org: Annotated[str | None, typer.Option("--org", help="只列出该单位的令牌")] = None,
    fmt: Annotated[str | None, FORMAT_OPTION] = None,
) -> None:
    """列出 API 令牌（前缀、单位、名称、到期与最近使用时间、状态；不含令牌本身）。"""
    # the app's modules need Django, set up by main_callback once the command line is read
    from getpower.core.models import ApiToken

    fmt = resolve_format(fmt)
    now = timezone.now()
    qs = ApiToken.objects.select_related("organisation", "created_by").order_by("organisation__org_code", "id")
    if org:
        qs = qs.filter(organisation__org_code=org)

    def local(value):
        return timezone.localtime(value).replace(microsecond=0) if value else None

    rows = [{"prefix": t.prefix, "org_code": t.organisation.org_code, "name": t.name,
             "created_by": t.created_by.username if t.created_by else "", "created_at": local(t.created_at),
             "expires_at": local(t.expires_at), "last_used_at": local(t.last_used_at),
             "revoked_at": local(t.revoked_at), "status": t.status_at(now)} for t in qs]
    columns = ["prefix", "org_code", "name", "created_by", "created_at", "expires_at", "last_used_at", "status"]
    emit(rows, columns, fmt, {"count": len(rows)}, "API 令牌")


def preparse_db(argv: list[str]) -> str | None:
    """``--db`` before the command: Django's settings need the database before the commands exist."""
    for index, arg in enumerate(argv):
        if arg == "--db" and index + 1 < len(argv):
            return argv[index + 1]
        if arg.startswith("--db="):
            return arg.split("=", 1)[1]
        if not arg.startswith("-"):
            break
    return None


def main() -> None:
    db = preparse_db(sys.argv[1:])
    if db and not (db.startswith("sqlite:") or db.startswith("postgres")):
        typer.echo(f"错误 [bad_db_url]：无法识别的数据库 URL：{db}", err=True)
        sys.exit(2)
    setup_django(db)
    install_domain_commands()
    try:
        status = invoke(sys.argv[1:])
    except UsageError as exc:
        typer.echo(f"错误 [{exc.code}]：{exc}", err=True)
        sys.exit(2)
    sys.exit(status)


def invoke(args: list[str]) -> int:
    """Run the command line and return its exit status. Usage errors that the argument parser (click,
    inside typer) finds itself — a missing option, an unknown command — are written the platform's way,
    in Chinese with the English code of the problem, instead of click's English box."""
    try:
        result = app(args=args, prog_name="getpower", standalone_mode=False)
    except click_errors.NoArgsIsHelpError as exc:  # the help (rich prints it while the error is made)
        if exc.format_message().strip():
            typer.echo(exc.format_message(), err=True)
        return 2
    except click_errors.UsageError as exc:
        code, message = usage_message(exc, click_errors)
        typer.echo(f"错误 [{code}]：{message}", err=True)
        if exc.ctx is not None:
            usage = exc.ctx.get_usage().removeprefix("Usage:").strip()
            typer.echo(f"用法：{usage}（查看帮助：{exc.ctx.command_path} --help）", err=True)
        return exc.exit_code
    except typer.Abort:
        typer.echo("已中止", err=True)
        return 1
    return result if isinstance(result, int) else 0


def usage_message(exc, errors) -> tuple[str, str]:
    """click's usage error (English) → (code, message in Chinese)."""
    text = exc.format_message()
    hint = ""
    if getattr(exc, "param_hint", None):
        hint = exc.param_hint if isinstance(exc.param_hint, str) else " / ".join(exc.param_hint)
    elif getattr(exc, "param", None) is not None:
        hint = exc.param.get_error_hint()
    if isinstance(exc, errors.NoSuchOption):
        more = f"（是否想用：{'、'.join(sorted(exc.possibilities))}）" if exc.possibilities else ""
        return "no_such_option", f"没有选项 {exc.option_name}{more}"
    if isinstance(exc, errors.MissingParameter):
        kind = exc.param_type or (exc.param.param_type_name if exc.param is not None else "")
        if kind == "option":
            return "missing_option", f"缺少选项 {hint}"
        return "missing_argument", f"缺少参数 {hint}"
    if isinstance(exc, errors.BadParameter):
        detail = f"（{exc.message}）"
        for pattern, chinese in ((r".*valid integer", "：应为整数"), (r".*valid (float|number)", "：应为数值"),
                                 (r".*valid boolean", "：应为布尔值"), (r".*is not one of (.*?)\.?$", "：可选值为 {}")):
            match = re.match(pattern, exc.message, re.IGNORECASE)
            if match:
                detail = chinese.format(*match.groups())
                break
        return "bad_parameter", f"{hint} 的值无效{detail}"
    if isinstance(exc, errors.BadOptionUsage):
        match = re.match(r"Option '(.*)' requires (an argument|\d+ arguments)", text)
        if match:
            return "missing_value", f"选项 {match.group(1)} 需要一个值"
    for pattern, code, chinese in ((r"No such command '(.*)'", "no_such_command", "没有命令“{}”"),
                                   (r"Got unexpected extra argument(?:s|\(s\))? \((.*)\)", "extra_arguments", "多余的参数：{}")):
        match = re.match(pattern, text)
        if match:
            return code, chinese.format(*match.groups())
    return "usage", f"命令用法错误（{text}）"


def _apps_ready() -> bool:
    return django_apps.ready


if _apps_ready():  # imported inside a set-up Django (the tests): the commands exist at once
    install_domain_commands()

if __name__ == "__main__":
    main()
