"""The outages ledger, frequent-outage findings and governance items (rules R3)."""

from django.db import models

from .exclusions import EXCLUSION_CHOICES


class Outage(models.Model):
    class Kind(models.TextChoices):
        FAULT = "fault", "故障"
        PLANNED = "planned", "计划检修"
        TEMPORARY = "temporary", "临时检修"
        SHEDDING = "shedding", "限电"

    event_id = models.CharField("停电事件编号", max_length=64)
    company = models.ForeignKey("core.Organisation", on_delete=models.PROTECT, verbose_name="供电单位")
    county = models.ForeignKey("core.Region", on_delete=models.PROTECT, related_name="+", verbose_name="所属县区")
    asset = models.ForeignKey("grid.Asset", on_delete=models.PROTECT, related_name="outages", verbose_name="设备")
    asset_type = models.CharField("设备类型", max_length=8)
    start_time = models.DateTimeField("停电开始时间")
    end_time = models.DateTimeField("复电时间", null=True, blank=True)
    kind = models.CharField("停电性质", max_length=16, choices=Kind.choices)
    cause = models.TextField("停电原因", blank=True, default="")
    exclusion = models.CharField("剔除类别", max_length=32, choices=EXCLUSION_CHOICES, default="none")
    warning_ref = models.CharField("预警文号", max_length=128, blank=True, default="")
    warning_issuer = models.CharField("预警发布单位", max_length=128, blank=True, default="")
    warning_level = models.CharField("预警发布层级", max_length=16, blank=True, default="")
    warning_time = models.DateTimeField("预警发布时间", null=True, blank=True)
    affected_tq = models.JSONField("影响台区", default=list, blank=True)
    users_affected = models.IntegerField("停电用户数", null=True, blank=True)
    evidence_problem = models.CharField("剔除证据问题", max_length=200, blank=True, default="")

    class Meta:
        unique_together = [("company", "event_id")]
        indexes = [models.Index(fields=["asset", "start_time"]), models.Index(fields=["start_time"])]
        ordering = ["start_time"]
        verbose_name = "停电事件"
        verbose_name_plural = "停电事件"

    @property
    def evidence_ok(self) -> bool:
        return not self.evidence_problem


class OutageAffected(models.Model):
    """The 台区 a line outage lists as cut off (resolved from affected_tq)."""

    outage = models.ForeignKey(Outage, on_delete=models.CASCADE, related_name="affected")
    tq = models.ForeignKey("grid.Asset", on_delete=models.PROTECT, related_name="+")

    class Meta:
        unique_together = [("outage", "tq")]
