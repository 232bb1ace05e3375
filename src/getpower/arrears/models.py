"""Residential-community arrears disconnections (居民住宅小区欠费停电), rules R4."""

from django.db import models

TIME_FIELDS = ("demand_at", "notice_served_at", "final_notice_at", "reported_at", "planned_cut_at", "cut_at",
               "restored_at", "cancelled_at")


class ArrearsCase(models.Model):
    class AuthorityLevel(models.TextChoices):
        COUNTY = "county", "县级"
        PREFECTURE = "prefecture", "州市级"
        PROVINCE = "province", "省级"

    case_id = models.CharField("案件编号", max_length=64)
    company = models.ForeignKey("core.Organisation", on_delete=models.PROTECT, verbose_name="供电单位")
    county = models.ForeignKey("core.Region", on_delete=models.PROTECT, related_name="+", verbose_name="所属县区")
    community = models.CharField("小区名称", max_length=128)
    households = models.IntegerField("涉及户数")
    arrears_yuan = models.FloatField("欠费金额(元)")
    bill_due_date = models.DateField("电费缴费期限")
    demand_at = models.DateTimeField("催交时间")
    approved_by = models.CharField("停电批准人", max_length=64, blank=True, default="")
    notice_served_at = models.DateTimeField("停电通知书送达时间")
    final_notice_at = models.DateTimeField("停电前再次通知时间", null=True, blank=True)
    reported_at = models.DateTimeField("向能源主管部门报告时间", null=True, blank=True)
    authority = models.CharField("报告的主管部门", max_length=128, blank=True, default="")
    authority_level = models.CharField("主管部门层级", max_length=16, choices=AuthorityLevel.choices, blank=True,
                                       default="")
    planned_cut_at = models.DateTimeField("计划停电时间")
    cut_at = models.DateTimeField("实际停电时间", null=True, blank=True)
    restored_at = models.DateTimeField("恢复供电时间", null=True, blank=True)
    cancelled_at = models.DateTimeField("取消停电时间", null=True, blank=True)
    # routing: the energy authority the report goes to (resolved from county and level)
    routed_to = models.ForeignKey("core.Organisation", null=True, blank=True, on_delete=models.SET_NULL,
                                  related_name="arrears_inbox", verbose_name="报告送达单位")
    acknowledged_at = models.DateTimeField("主管部门确认时间", null=True, blank=True)
    acknowledged_by = models.CharField("确认人", max_length=150, blank=True, default="")
    notice_file = models.FileField("停电通知书（签收件）", upload_to="arrears/%Y/%m/", null=True, blank=True)

    class Meta:
        unique_together = [("company", "case_id")]
        ordering = ["-planned_cut_at"]
        verbose_name = "居民小区欠费停电"
        verbose_name_plural = "居民小区欠费停电"

    @property
    def cut_time(self):
        return self.cut_at or self.planned_cut_at


class CaseMessage(models.Model):
    """The authority's acknowledgement, questions and objections, and the company's answers."""

    class Kind(models.TextChoices):
        ACKNOWLEDGE = "acknowledge", "确认收悉"
        QUESTION = "question", "询问"
        OBJECTION = "objection", "异议"
        ANSWER = "answer", "答复"

    case = models.ForeignKey(ArrearsCase, on_delete=models.CASCADE, related_name="messages")
    at = models.DateTimeField("时间", auto_now_add=True)
    actor = models.CharField("操作人", max_length=150)
    organisation = models.ForeignKey("core.Organisation", null=True, on_delete=models.SET_NULL, related_name="+")
    kind = models.CharField("类型", max_length=16, choices=Kind.choices)
    text = models.TextField("内容", blank=True)

    class Meta:
        ordering = ["at", "id"]


class ArrearsFinding(models.Model):
    """One check of one case in an evaluation run (every check is kept: cases are few)."""

    run = models.ForeignKey("core.EvaluationRun", on_delete=models.CASCADE, related_name="arrears_findings")
    case = models.ForeignKey(ArrearsCase, on_delete=models.CASCADE, related_name="findings")
    company = models.ForeignKey("core.Organisation", on_delete=models.PROTECT, related_name="+")
    county = models.ForeignKey("core.Region", on_delete=models.PROTECT, related_name="+")
    check_name = models.CharField("检查项", max_length=32)
    status = models.CharField("结果", max_length=16)
    reason = models.TextField("说明", blank=True)

    class Meta:
        indexes = [models.Index(fields=["run", "status"]), models.Index(fields=["case", "run"])]
