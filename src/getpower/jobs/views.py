"""The jobs page: the jobs in the user's scope with status, progress, duration, who and log."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, render

from .evaluations import freshness_context
from .models import Job
from .services import visible_jobs


@login_required
def job_list(request):
    qs = visible_jobs(request.user)
    kind = request.GET.get("kind", "")
    status = request.GET.get("status", "")
    if kind in Job.Kind.values:
        qs = qs.filter(kind=kind)
    if status in Job.Status.values:
        qs = qs.filter(status=status)
    page = Paginator(qs, 50).get_page(request.GET.get("page"))
    active = any(j.status in (Job.Status.QUEUED, Job.Status.RUNNING) for j in page)
    template = "jobs/_table.html" if request.htmx else "jobs/list.html"
    query = request.GET.copy()
    query.pop("page", None)
    return render(request, template, {"title": "后台任务", "page": page, "active": active, "kind": kind,
                                      "status": status, "kinds": Job.Kind.choices, "statuses": Job.Status.choices,
                                      "query": query.urlencode()})


@login_required
def job_detail(request, pk: int):
    job = get_object_or_404(visible_jobs(request.user), pk=pk)  # outside the user's scope: 404
    template = "jobs/_job.html" if request.htmx else "jobs/detail.html"
    return render(request, template, {"title": f"后台任务 #{job.pk}", "job": job})


@login_required
def freshness_partial(request):
    """The freshness line of a page, polled while an evaluation of its rules is pending."""
    rules = [r for r in request.GET.get("rules", "").split(",") if r][:20]
    return render(request, "jobs/_freshness.html", freshness_context(rules, request.GET.get("since", "")[:200]))
