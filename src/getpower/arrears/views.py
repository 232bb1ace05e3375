"""Arrears-disconnection pages: case list and inbox, filing form, case detail with checks and the
authority's acknowledgement, questions and objections. Scoped with ``scope_for``."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from getpower.core.models import Region
from getpower.core.scope import scope_for

from . import lists, services
from .models import ArrearsCase, ArrearsFinding


def scoped_cases(request):
    return scope_for(request.user).filter(ArrearsCase.objects.select_related("company", "county", "routed_to"))


def checks_by_case(cases, run=None) -> dict[int, list[ArrearsFinding]]:
    run = run or services.latest_run()
    out: dict[int, list] = {}
    if run is None:
        return out
    for f in ArrearsFinding.objects.filter(run=run, case__in=cases).order_by("id"):
        out.setdefault(f.case_id, []).append(f)
    return out


# the case list (filters, sort, pages, downloads): declared in lists.py on the one list-page pattern
case_list = lists.CASES.view


class CaseForm(forms.Form):
    company = forms.ChoiceField(label="供电单位")
    county_code = forms.ChoiceField(label="所属县区")
    case_id = forms.CharField(label="案件编号", max_length=64)
    community = forms.CharField(label="小区名称", max_length=128)
    households = forms.IntegerField(label="涉及户数", min_value=1)
    arrears_yuan = forms.FloatField(label="欠费金额(元)", min_value=0)
    bill_due_date = forms.DateField(label="电费缴费期限", widget=forms.DateInput(attrs={"type": "date"}))
    demand_at = forms.DateTimeField(label="催交时间", widget=forms.DateTimeInput(attrs={"type": "datetime-local"}))
    approved_by = forms.CharField(label="停电批准人", max_length=64, required=False)
    notice_served_at = forms.DateTimeField(label="停电通知书送达时间",
                                           widget=forms.DateTimeInput(attrs={"type": "datetime-local"}))
    planned_cut_at = forms.DateTimeField(label="计划停电时间", widget=forms.DateTimeInput(attrs={"type": "datetime-local"}))
    authority_level = forms.ChoiceField(label="报告的主管部门层级", choices=ArrearsCase.AuthorityLevel.choices,
                                        initial="county")
    notice_file = forms.FileField(label="停电通知书（签收件）", required=False)

    def __init__(self, *args, scope, **kwargs):
        super().__init__(*args, **kwargs)
        companies = scope.suppliers().order_by("org_code")
        self.fields["company"].choices = [(c.org_code, c.name) for c in companies]
        prefixes = {c.region.prefix for c in companies}
        counties = Region.objects.filter(level="county").order_by("code")
        self.fields["county_code"].choices = [(r.code, f"{r.name}（{r.code}）") for r in counties
                                              if any(r.code.startswith(p) for p in prefixes)]
        self.companies = {c.org_code: c for c in companies}

    def clean(self):
        data = super().clean()
        company = self.companies.get(data.get("company"))
        if company and data.get("county_code") and not data["county_code"].startswith(company.region.prefix):
            self.add_error("county_code", "该县区不在所选供电单位的供电区域内")
        if company and data.get("case_id") and ArrearsCase.objects.filter(company=company,
                                                                          case_id=data["case_id"]).exists():
            self.add_error("case_id", "该案件编号已存在")
        if data.get("notice_served_at") and data.get("demand_at") and data["notice_served_at"] <= data["demand_at"]:
            self.add_error("notice_served_at", "停电通知应在催交之后送达")
        return data


@login_required
def file_case(request):
    scope = scope_for(request.user)
    if not scope.is_supplier:
        raise PermissionDenied("只有供电企业可以报备欠费停电")
    form = CaseForm(request.POST or None, request.FILES or None, scope=scope)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        case = services.file_case(
            user=request.user, company=form.companies[d["company"]], county_code=d["county_code"],
            authority_level=d["authority_level"], notice_file=d.get("notice_file"),
            data={k: d[k] for k in ("case_id", "community", "households", "arrears_yuan", "bill_due_date",
                                    "demand_at", "approved_by", "notice_served_at", "planned_cut_at")})
        messages.success(request, f"已向{case.authority or '主管部门'}报备")
        return redirect(f"/arrears/{case.pk}/")
    return render(request, "arrears/file.html", {"title": "报备居民小区欠费停电", "form": form})


@login_required
def case_detail(request, pk: int):
    case = get_object_or_404(scoped_cases(request), pk=pk)
    scope = scope_for(request.user)
    return render(request, "arrears/detail.html", {
        "title": f"欠费停电 {case.case_id}", "case": case, "checks": checks_by_case([case.pk]).get(case.pk, []),
        "labels": services.CHECK_LABELS, "messages_list": case.messages.all(),
        "can_authority": services.can_answer_for_authority(request.user, case),
        "can_acknowledge": services.can_acknowledge(request.user, case),
        "can_answer": scope.is_supplier and case.company_id in scope.org_ids,
    })


@login_required
@require_POST
def case_message(request, pk: int):
    case = get_object_or_404(scoped_cases(request), pk=pk)
    try:
        services.post_message(case, request.user, request.POST.get("kind", ""), request.POST.get("text", ""))
        messages.success(request, "已提交")
    except ValueError as exc:
        messages.error(request, str(exc))
    return redirect(f"/arrears/{case.pk}/")


@login_required
def case_notice(request, pk: int):
    case = get_object_or_404(scoped_cases(request), pk=pk)
    if not case.notice_file:
        raise Http404
    response = HttpResponse(case.notice_file.open("rb").read(), content_type="application/octet-stream")
    response["Content-Disposition"] = f'attachment; filename="{case.notice_file.name.rsplit("/", 1)[-1]}"'
    return response
