"""The outages ledger, frequent-outage findings and governance items (rules R3)."""

from django.db import models

from getpower.core.fields import TextJSONField

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


class Finding(models.Model):
    """A unit's frequent-outage status (warning or breach) in one evaluation run (rules R3)."""

    class Status(models.TextChoices):
        OK = "ok", "正常"
        WARNING = "warning", "预警"
        BREACH = "breach", "频繁停电"

    # Findings are derived rows, written in bulk by an evaluation from keys it has just read (a province
    # run stores ~170,000): no database-level foreign-key checks (a million trigger calls at commit);
    # Django still cascades and protects on delete. Every read names its run, so two indexes serve
    # them all: (run, status) and (asset, run); company and county are filtered within a run.
    run = models.ForeignKey("core.EvaluationRun", on_delete=models.CASCADE, related_name="outage_findings",
                            db_index=False, db_constraint=False)
    asset = models.ForeignKey("grid.Asset", on_delete=models.CASCADE, related_name="findings", db_index=False,
                              db_constraint=False)
    asset_type = models.CharField("设备类型", max_length=8)
    company = models.ForeignKey("core.Organisation", on_delete=models.PROTECT, related_name="+",
                                db_constraint=False, db_index=False)
    county = models.ForeignKey("core.Region", on_delete=models.PROTECT, related_name="+", db_constraint=False,
                               db_index=False)
    year_count = models.IntegerField("年内停电次数")
    max_60d_count = models.IntegerField("60天内最多停电次数")
    long_count = models.IntegerField("近50天停电次数", default=0)
    short_count = models.IntegerField("近30天停电次数", default=0)
    status = models.CharField("状态", max_length=8, choices=Status.choices)
    first_breach_date = models.DateField("首次达到频繁停电日期", null=True, blank=True)
    # the outages behind the counts: per counted (merged) outage in the period, in order, its record ids
    counted = TextJSONField("计入的停电", default=list)

    class Meta:
        indexes = [models.Index(fields=["run", "status"]), models.Index(fields=["asset", "run"])]
        verbose_name = "频繁停电发现"
        verbose_name_plural = "频繁停电发现"


class GovernanceItem(models.Model):
    """A breaching unit's remediation, from identification to the regulator's close (闭环销号)."""

    class Status(models.TextChoices):
        IDENTIFIED = "identified", "已识别"
        PLAN_FILED = "plan_filed", "已报治理计划"
        IN_PROGRESS = "in_progress", "治理中"
        COMPLETED = "completed", "企业已完成"
        VERIFIED = "verified", "监管已核验"
        CLOSED = "closed", "已销号"

    # An evaluation opens a province's items in bulk (~115,000) from the asset keys it has just read:
    # no database-level foreign-key checks (each locks the asset row and costs a trigger call at
    # commit, seconds per run; see docs/decisions.md). Django still protects on delete, and
    # nothing deletes assets. The (asset, status) index serves the asset.
    asset = models.ForeignKey("grid.Asset", on_delete=models.PROTECT, related_name="governance_items",
                              db_index=False, db_constraint=False)
    # the asset's company and county, copied for scoping: kept by Django, not checked again by the database
    company = models.ForeignKey("core.Organisation", on_delete=models.PROTECT, related_name="+", db_constraint=False)
    county = models.ForeignKey("core.Region", on_delete=models.PROTECT, related_name="+", db_constraint=False,
                               db_index=False)  # a plain index in Meta: never searched with LIKE
    status = models.CharField("状态", max_length=16, choices=Status.choices, default=Status.IDENTIFIED)
    cycle = models.PositiveIntegerField("轮次", default=1)
    opened_at = models.DateTimeField("识别时间")
    first_breach_date = models.DateField("首次达到频繁停电日期", null=True, blank=True)
    year_count = models.IntegerField("识别时年内停电次数", default=0)
    max_60d_count = models.IntegerField("识别时60天最多次数", default=0)
    measures = models.TextField("治理措施", blank=True)
    planned_completion = models.DateField("计划完成日期", null=True, blank=True)
    completed_at = models.DateTimeField("完成时间", null=True, blank=True)
    verification_method = models.CharField("核验方式", max_length=16, blank=True)
    verification_note = models.TextField("核验情况", blank=True)
    closed_at = models.DateTimeField("销号时间", null=True, blank=True)
    updated_at = models.DateTimeField("更新时间", auto_now=True)

    class Meta:
        ordering = ["-opened_at"]
        # no index on status alone: few distinct values (a province run inserts 115,000 equal keys),
        # and the lists read "not closed", which no index serves
        indexes = [models.Index(fields=["asset", "status"]), models.Index(fields=["county"])]
        verbose_name = "频繁停电治理"
        verbose_name_plural = "频繁停电治理"

    @property
    def is_open(self) -> bool:
        return self.status != self.Status.CLOSED


class GovernanceEvent(models.Model):
    """Every transition of a governance item, with who, when, the note and any evidence file."""

    # written with its item (in bulk by an evaluation, from the item rows just inserted): Django
    # cascades on delete; no database-level check (see GovernanceItem.asset)
    item = models.ForeignKey(GovernanceItem, on_delete=models.CASCADE, related_name="events", db_constraint=False)
    at = models.DateTimeField("时间")
    actor = models.CharField("操作人", max_length=150)
    transition = models.CharField("操作", max_length=32)
    from_status = models.CharField("原状态", max_length=16, blank=True)
    to_status = models.CharField("新状态", max_length=16)
    note = models.TextField("说明", blank=True)
    attachment = models.FileField("附件", upload_to="governance/%Y/%m/", null=True, blank=True)

    class Meta:
        ordering = ["at", "id"]


class ExclusionClaims(models.Model):
    """Per run and company: the outage records whose exclusion claim the rule accepted or rejected,
    so that every number of the exclusion audit can be followed to its list."""

    run = models.ForeignKey("core.EvaluationRun", on_delete=models.CASCADE, related_name="exclusion_claims")
    company = models.ForeignKey("core.Organisation", on_delete=models.CASCADE, related_name="+")
    total_records = models.IntegerField("停电记录数")
    counts = models.JSONField("按类别统计", default=dict)  # {category: {"accepted": n, "rejected": n}}
    accepted_ids = models.JSONField(default=list)
    rejected_ids = models.JSONField(default=list)
