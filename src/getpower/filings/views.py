"""Filing centre pages: my filings, the reviewer's matrix, a filing with its versions and differences,
review, downloads, the monthly summary, and the inbox."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from getpower.core import exports, params
from getpower.core.scope import scope_for

from . import lists, services
from .lists import STATE_LABELS
from .models import Filing, FilingType, Notification
from .producers import DeliverableError, Period

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


# the filing list with the authorities' matrix: declared in lists.py on the one list-page pattern
index = lists.FILINGS.view


def visible(request, pk: int) -> Filing:
    return get_object_or_404(services.visible_filings(request.user), pk=pk)


def with_display_keys(rows: list[dict]) -> None:
    """Templates cannot read names starting with an underscore: expose each row's key as row_key."""
    for row in rows:
        row["row_key"] = row.get("_key", "")


def entries_from(post) -> dict:
    rows: dict = {}
    for key, value in post.items():
        if key.startswith("note::"):
            rows.setdefault(key[6:], {})["note"] = value
        if key.startswith("date::"):
            rows.setdefault(key[6:], {})["date"] = value
    return {"remarks": post.get("remarks", ""), "rows": rows}


@login_required
def detail(request, pk: int):
    filing = visible(request, pk)
    # the two versions to compare (default: the last two); read whatever the filing has
    wanted_a = params.get_int(request.GET, "a", min_value=1)
    wanted_b = params.get_int(request.GET, "b", min_value=1)
    versions = list(filing.versions.order_by("number"))
    changes = None
    if len(versions) >= 2:
        a = wanted_a or versions[-2].number
        b = wanted_b or versions[-1].number
        va = next((v for v in versions if v.number == a), None)
        vb = next((v for v in versions if v.number == b), None)
        if va and vb:
            changes = {"a": a, "b": b, **services.diff(va.content, vb.content)}
    preview = None
    if filing.type.producer and filing.type.period == "month" and services.is_filer(request.user, filing) and \
            filing.status in ("not_started", "draft", "returned"):
        preview = services.freeze(filing, services.produce(filing))
        with_display_keys(preview["rows"])
    if changes:
        with_display_keys(changes["added"])
        with_display_keys(changes["removed"])
    return render(request, "filings/detail.html", {
        "title": f"{filing.type.code} {filing.period}", "filing": filing, "versions": versions, "changes": changes,
        "events": filing.events.all(), "is_filer": services.is_filer(request.user, filing),
        "is_reviewer": services.is_reviewer(request.user, filing), "preview": preview,
        "state_label": STATE_LABELS[filing.display_state], "missing": filing.missing_rows.select_related("application"),
    })


@login_required
@require_POST
def act(request, pk: int):
    filing = visible(request, pk)
    action = request.POST.get("action")
    try:
        if action == "edit":
            services.save_entries(filing, request.user, entries_from(request.POST))
            messages.success(request, "草稿已保存")
        elif action == "submit":
            typed = entries_from(request.POST)
            if "remarks" in request.POST and typed != (filing.entries or {}):
                # what was typed on the page (and not yet saved) goes into the version
                services.save_entries(filing, request.user, typed)
                filing.refresh_from_db()
            services.submit(filing, request.user, reason=request.POST.get("reason", ""))
            messages.success(request, "已提交，版本已冻结")
        elif action in ("accept", "return"):
            services.review(filing, request.user, action, request.POST.get("comment", ""))
            messages.success(request, "已处理")
        else:
            raise Http404
    except services.FilingError as exc:
        messages.error(request, str(exc))
    return redirect(f"/filings/{filing.pk}/")


@login_required
def version_file(request, pk: int, number: int):
    filing = visible(request, pk)
    version = get_object_or_404(filing.versions, number=number)
    response = HttpResponse(bytes(version.xlsx), content_type=XLSX)
    response["Content-Disposition"] = (f'attachment; filename="{filing.type.code}_{filing.filer.org_code}_'
                                       f'{filing.period}_v{number}.xlsx"')
    response["X-Content-SHA256"] = version.sha256
    return response


@login_required
def summary(request):
    """Monthly filing summary for the user's authority: per filing type, filers due, on time, late, overdue."""
    scope = scope_for(request.user)
    if not scope.is_regulator_side:
        raise PermissionDenied("仅主管部门和监管机构可导出报备汇总")
    month = params.get_text(request.GET, "month", max_length=16) or timezone.localdate().strftime("%Y-%m")

    try:
        period = Period.parse(month)
    except DeliverableError as exc:
        raise params.BadParameter("month", month, str(exc)) from None
    qs = services.visible_filings(request.user).filter(due_at__gte=period.start, due_at__lte=period.end)
    book = exports.workbook()  # filers' names are stored as text, never as formulas
    head = book.add_format({"bold": True, "bg_color": "#DCE6F1", "border": 1})
    sheet = book.add_worksheet("汇总")
    exports.write_row(sheet, 0, 0, ["报备类型", "应报", "按时提交", "迟报", "逾期未报", "已接收", "退回修改"], head)
    for r, ftype in enumerate(FilingType.objects.all(), start=1):
        f = qs.filter(type=ftype)
        exports.write_row(sheet, r, 0, [
            f"{ftype.code} {ftype.name}", f.count(), f.filter(submitted_at__isnull=False, is_late=False).count(),
            f.filter(is_late=True).count(), f.filter(is_overdue=True, submitted_at__isnull=True).count(),
            f.filter(status="accepted").count(), f.filter(status="returned").count()])
    detail_sheet = book.add_worksheet("明细")
    exports.write_row(detail_sheet, 0, 0, ["报备类型", "报送单位", "期间", "截止时间", "状态", "提交时间", "迟报", "逾期"], head)
    for r, f in enumerate(qs.select_related("type", "filer").order_by("type_id", "filer__org_code"), start=1):
        exports.write_row(detail_sheet, r, 0, [
            f.type.code, f.filer.name, f.period, f.due_at.astimezone().strftime("%Y-%m-%d %H:%M"),
            STATE_LABELS[f.display_state],
            f.submitted_at.astimezone().strftime("%Y-%m-%d %H:%M") if f.submitted_at else "",
            "是" if f.is_late else "", "是" if f.is_overdue and not f.submitted_at else ""])
    sheet.set_column(0, 0, 40)
    detail_sheet.set_column(0, 7, 16)
    response = HttpResponse(exports.workbook_bytes(book), content_type=XLSX)
    response["Content-Disposition"] = f'attachment; filename="filings_summary_{period.label}.xlsx"'
    return response


@login_required
def inbox(request):
    items = Notification.objects.filter(user=request.user)[:200]
    if request.method == "POST":
        Notification.objects.filter(user=request.user, read_at__isnull=True).update(read_at=timezone.now())
        return redirect("/inbox/")
    return render(request, "filings/inbox.html", {"title": "消息", "items": items})
