"""Ledger imports: the upload page, an import job's page (with its live progress) and the blank
template of each ledger."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Q
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods

from getpower.core.models import ImportJob
from getpower.core.scope import REGULATOR_ROLES, Role, scope_for
from getpower.jobs.models import Job
from getpower.ledgers.jobs import queue_import
from getpower.ledgers.registry import all_ledgers, get_ledger
from getpower.ledgers.templates import template_xlsx


@login_required
@require_http_methods(["GET", "POST"])
def imports(request):
    scope = scope_for(request.user)
    ledgers = [lg for lg in all_ledgers() if lg.name != "organisations" or scope.role == Role.ADMIN]
    if request.method == "POST":
        ledger = request.POST.get("ledger")
        upload = request.FILES.get("file")
        if ledger not in {lg.name for lg in ledgers} or upload is None:
            messages.error(request, "请选择台账类型和文件")
        else:
            if upload.size > settings.GETPOWER_IMPORT_MAX_BYTES:
                messages.error(request, f"文件过大（{upload.size / 1048576:.1f} MB），上限 "
                                        f"{settings.GETPOWER_IMPORT_MAX_BYTES / 1048576:.0f} MB，请分批导入")
            else:
                # the file is kept and an import job queued: the worker runs it (getpower.jobs), and
                # the job page follows its progress; a restart of the web server loses nothing
                record, _ = queue_import(ledger, upload.read(), upload.name, user=request.user,
                                         dry_run=bool(request.POST.get("dry_run")))
                return redirect(f"/imports/{record.pk}/")
    jobs = ImportJob.objects.all()
    if scope.role != Role.ADMIN and scope.role not in REGULATOR_ROLES:
        jobs = jobs.filter(user=request.user) if not scope.org_ids else jobs.filter(
            Q(user=request.user) | Q(organisation_id__in=scope.org_ids))
    elif scope.role != Role.ADMIN and not scope.everything:
        jobs = jobs.filter(user=request.user)
    return render(request, "web/imports.html", {"title": "台账导入", "ledgers": ledgers, "jobs": jobs[:30]})


def visible_job(request, pk: int) -> ImportJob:
    job = get_object_or_404(ImportJob, pk=pk)
    scope = scope_for(request.user)
    if scope.role == Role.ADMIN or job.user_id == request.user.pk:
        return job
    if scope.org_ids and job.organisation_id in scope.org_ids:
        return job
    raise Http404


@login_required
def import_job(request, pk: int):
    job = visible_job(request, pk)
    template = "web/import_progress.html" if request.htmx else "web/import_job.html"
    queued = Job.objects.filter(kind=Job.Kind.IMPORT, subject=f"import:{job.pk}").order_by("-id").first()
    return render(request, template, {"title": f"导入任务 {job.pk}", "job": job, "queued": queued})


@login_required
def ledger_template(request, name: str):
    try:
        ledger = get_ledger(name)
    except KeyError:
        raise Http404 from None
    response = HttpResponse(template_xlsx(ledger),
                            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    response["Content-Disposition"] = f'attachment; filename="{name}_template.xlsx"'
    return response
