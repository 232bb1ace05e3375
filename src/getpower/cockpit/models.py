"""Precomputed KPI values of the regulator cockpit: one row per month, area and KPI, written after
every evaluation run (``services.snapshot_after_run``) and read by pages and the monthly report."""

from django.db import models


class KpiSnapshot(models.Model):
    """One KPI of one area in one month, with what it was computed from (the runs behind it)."""

    class Level(models.TextChoices):
        PROVINCE = "province", "全省"
        PREFECTURE = "prefecture", "州市"
        COUNTY = "county", "县区"
        COMPANY = "company", "供电单位"

    month = models.CharField("月份", max_length=7)  # YYYY-MM, China time
    area_level = models.CharField("区域层级", max_length=16, choices=Level.choices)
    area_code = models.CharField("区域代码", max_length=64)  # region code, or org_code for a company
    kpi = models.CharField("指标", max_length=48)
    value = models.FloatField("取值", null=True, blank=True)
    numerator = models.FloatField("分子", null=True, blank=True)
    denominator = models.FloatField("分母", null=True, blank=True)
    parts = models.JSONField("构成", default=dict, blank=True)  # e.g. {"breach": 3, "warning": 5}
    computed_at = models.DateTimeField("计算时间")
    runs = models.JSONField("评估批次", default=dict, blank=True)  # {"R3": 12}

    class Meta:
        constraints = [models.UniqueConstraint(fields=["month", "area_level", "area_code", "kpi"],
                                               name="cockpit_snapshot_key")]
        indexes = [models.Index(fields=["area_level", "area_code", "kpi"], name="cockpit_trend")]
        verbose_name = "指标快照"
        verbose_name_plural = "指标快照"


class MonthState(models.Model):
    """What a month's snapshots were computed from: the run of each rule and the governance state,
    so that a page can tell, in a few small queries, whether they are still current."""

    month = models.CharField("月份", max_length=7, primary_key=True)
    runs = models.JSONField("评估批次", default=dict)  # {"R2": id | None, "R3": …, "R4": …}
    stamp = models.CharField("状态戳", max_length=128, blank=True, default="")  # services.state_stamp
    computed_at = models.DateTimeField("计算时间")

    class Meta:
        ordering = ["month"]
        verbose_name = "指标月度状态"
        verbose_name_plural = "指标月度状态"
