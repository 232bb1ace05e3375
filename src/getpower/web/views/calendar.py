"""The working-day calendar: the year's working days by month, the loaded holiday schedules and the
regions' own rest days (loaded by the platform administrator)."""

from __future__ import annotations

import datetime as dt
import json

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_http_methods

from getpower.core import params
from getpower.core.models import Region
from getpower.workdays import services
from getpower.workdays.calendar import load_calendar
from getpower.workdays.models import HolidaySchedule, RegionRestDay, ScheduleDay


@login_required
@require_http_methods(["GET", "POST"])
def calendar_page(request):
    if request.method == "POST":
        if not request.user.is_superuser:
            raise PermissionDenied("只有平台管理员可以载入节假日安排")
        try:
            if request.POST.get("action") == "region_day":
                region = get_object_or_404(Region, code=request.POST.get("region"))
                services.add_region_rest_day(
                    region=region, date=dt.date.fromisoformat(request.POST.get("date", "")),
                    name=request.POST.get("name", ""), source=request.POST.get("source", ""),
                    user=request.user, reason=request.POST.get("reason", ""))
                messages.success(request, "已添加地方补充假日")
            else:
                upload = request.FILES.get("file")
                text = upload.read().decode("utf-8-sig") if upload else request.POST.get("schedule", "")
                schedule = services.load_schedule(json.loads(text), user=request.user,
                                                  reason=request.POST.get("reason", ""))
                messages.success(request, f"已载入 {schedule.year} 年节假日安排")
        except (ValueError, services.ScheduleError) as exc:
            messages.error(request, f"载入失败：{exc}")
    year = params.get_int(request.GET, "year", dt.date.today().year, min_value=1990, max_value=2100)
    cal = load_calendar()
    months = []
    for month in range(1, 13):
        first = dt.date(year, month, 1)
        last = (dt.date(year + (month == 12), month % 12 + 1, 1) - dt.timedelta(days=1))
        months.append({"month": month, "workdays": cal.count_days(first, last).count})
    return render(request, "web/calendar.html", {
        "title": "工作日历", "year": year, "months": months, "total": sum(m["workdays"] for m in months),
        "schedules": HolidaySchedule.objects.all(), "loaded": year in cal.loaded_years,
        "days": ScheduleDay.objects.filter(date__year=year), "region_days": RegionRestDay.objects.select_related("region"),
        "years": range(2025, dt.date.today().year + 2),
    })
