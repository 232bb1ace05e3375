"""Connection applications (用电报装) and customer pauses (客户原因中止), rules R2."""

from django.db import models

TIME_FIELDS = (
    "applied_at", "accepted_at", "scheme_replied_at", "design_submitted_at", "design_reviewed_at",
    "midcheck_requested_at", "midcheck_done_at", "completion_requested_at", "completion_done_at",
    "connect_ready_at", "energized_at",
)


class Application(models.Model):
    class CustomerKind(models.TextChoices):
        RESIDENT = "resident", "居民"
        PRIVATE_ORG = "private_org", "民营经济组织"
        OTHER = "other", "其他"

    class Supply(models.TextChoices):
        SINGLE = "single", "单电源"
        DUAL = "dual", "双电源"

    app_id = models.CharField("申请编号", max_length=64)
    company = models.ForeignKey("core.Organisation", on_delete=models.PROTECT, verbose_name="供电单位")
    county = models.ForeignKey("core.Region", on_delete=models.PROTECT, related_name="+", verbose_name="所属县区")
    customer_kind = models.CharField("用户类别", max_length=16, choices=CustomerKind.choices)
    voltage_kv = models.FloatField("供电电压(kV)")
    supply = models.CharField("电源类型", max_length=8, choices=Supply.choices, blank=True, default="")
    capacity_kw = models.FloatField("报装容量(kW)")
    zero_service = models.BooleanField("三零服务", null=True, blank=True)
    external_works = models.BooleanField("有电力外线工程", default=False)
    grid_upgrade = models.BooleanField("需10kV及以上电网改造", default=False)
    upgrade_due_date = models.DateField("改造计划完成日期", null=True, blank=True)
    contact_phone_last4 = models.CharField("联系电话后四位", max_length=4, blank=True, default="")
    applied_at = models.DateTimeField("申请时间")
    accepted_at = models.DateTimeField("受理完成时间", null=True, blank=True)
    scheme_replied_at = models.DateTimeField("供电方案答复时间", null=True, blank=True)
    design_submitted_at = models.DateTimeField("设计文件送审时间", null=True, blank=True)
    design_reviewed_at = models.DateTimeField("设计审查完成时间", null=True, blank=True)
    midcheck_requested_at = models.DateTimeField("中间检查报验时间", null=True, blank=True)
    midcheck_done_at = models.DateTimeField("中间检查完成时间", null=True, blank=True)
    completion_requested_at = models.DateTimeField("竣工报验时间", null=True, blank=True)
    completion_done_at = models.DateTimeField("竣工检验完成时间", null=True, blank=True)
    connect_ready_at = models.DateTimeField("具备装表接电条件时间", null=True, blank=True)
    energized_at = models.DateTimeField("装表接电时间", null=True, blank=True)

    class Meta:
        unique_together = [("company", "app_id")]
        indexes = [models.Index(fields=["applied_at"]), models.Index(fields=["app_id"])]
        ordering = ["-applied_at"]
        verbose_name = "用电报装申请"
        verbose_name_plural = "用电报装申请"

    @property
    def is_low_voltage(self) -> bool:
        return self.voltage_kv <= 0.38


class ApplicationPause(models.Model):
    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="pauses")
    pause_start = models.DateTimeField("中止开始时间")
    pause_end = models.DateTimeField("中止结束时间", null=True, blank=True)
    reason = models.TextField("中止原因")

    class Meta:
        unique_together = [("application", "pause_start")]
        ordering = ["pause_start"]


class TimeLimitFinding(models.Model):
    """A check of one evaluation run that needs attention: late, overdue, or still open (worklist)."""

    run = models.ForeignKey("core.EvaluationRun", on_delete=models.CASCADE, related_name="time_limit_findings")
    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="findings")
    company = models.ForeignKey("core.Organisation", on_delete=models.PROTECT, related_name="+")
    county = models.ForeignKey("core.Region", on_delete=models.PROTECT, related_name="+")
    user_class = models.CharField("用户类型", max_length=16)
    check_name = models.CharField("环节", max_length=16)
    elapsed_workdays = models.IntegerField("已用工作日")
    limit_workdays = models.IntegerField("时限(工作日)")
    status = models.CharField("状态", max_length=8)
    deadline = models.DateField("截止日", null=True, blank=True)
    provisional = models.BooleanField("暂定", default=False)

    class Meta:
        indexes = [models.Index(fields=["run", "status"]), models.Index(fields=["run", "company"])]

