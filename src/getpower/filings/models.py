"""The filing centre (报备, rules R5): filing types as data, a filing per filer and period, immutable
submitted versions, review events, in-platform reminders, and the F1 'missing row' finding."""

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import models


class FilingType(models.Model):
    """A kind of filing, as data: who files, to whom, per which period, due when, and which producer
    makes its ledger (the code under which a domain registered it: ``F1``, ``F2``, ``F3``; blank when
    the filer fills the filing by hand). F4/F5 are added as rows, not code."""

    code = models.CharField("代码", max_length=8, primary_key=True)
    name = models.CharField("名称", max_length=128)
    source = models.CharField("依据", max_length=128, blank=True)
    filers = models.JSONField("报送单位规则")  # {"kind": "supplier", "top_level": true|false|null}
    recipient = models.CharField("报送对象规则", max_length=32)  # regulator | local_authority | case_authority | provincial
    period = models.CharField("周期", max_length=16)  # month | case | year | quarter
    due = models.JSONField("截止规则")  # {"rule": "day_of_next_month", "day_param": "f1_due_day"} | end_of_month | before_cut
    producer = models.CharField("台账生成器", max_length=128, blank=True)  # a registered producer's code (filings/producers.py)
    row_key = models.JSONField("行标识列", default=list)
    active = models.BooleanField("启用", default=True)

    class Meta:
        ordering = ["code"]
        verbose_name = "报备类型"
        verbose_name_plural = "报备类型"

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class Filing(models.Model):
    class Status(models.TextChoices):
        NOT_STARTED = "not_started", "未开始"
        DRAFT = "draft", "草稿"
        SUBMITTED = "submitted", "已提交"
        RETURNED = "returned", "退回修改"
        RESUBMITTED = "resubmitted", "已重新提交"
        ACCEPTED = "accepted", "已接收"

    type = models.ForeignKey(FilingType, on_delete=models.PROTECT, related_name="filings")
    filer = models.ForeignKey("core.Organisation", on_delete=models.PROTECT, related_name="filings")
    recipient = models.ForeignKey("core.Organisation", null=True, blank=True, on_delete=models.PROTECT,
                                  related_name="filings_received")
    county = models.ForeignKey("core.Region", on_delete=models.PROTECT, related_name="+")
    period = models.CharField("期间", max_length=64)
    due_at = models.DateTimeField("截止时间")
    status = models.CharField("状态", max_length=16, choices=Status.choices, default=Status.NOT_STARTED)
    submitted_at = models.DateTimeField("首次提交时间", null=True, blank=True)
    accepted_at = models.DateTimeField("接收时间", null=True, blank=True)
    is_late = models.BooleanField("迟报", default=False)
    is_overdue = models.BooleanField("逾期未报", default=False)
    entries = models.JSONField("填报说明", default=dict, blank=True)
    case = models.ForeignKey("arrears.ArrearsCase", null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        unique_together = [("type", "filer", "period")]
        indexes = [models.Index(fields=["type", "period"]), models.Index(fields=["status", "due_at"])]
        ordering = ["-due_at", "type_id", "filer_id"]
        verbose_name = "报备"
        verbose_name_plural = "报备"

    @property
    def is_submitted(self) -> bool:
        return self.status in (self.Status.SUBMITTED, self.Status.RESUBMITTED, self.Status.ACCEPTED,
                               self.Status.RETURNED) or self.versions.exists()

    @property
    def display_state(self) -> str:
        if self.is_overdue and self.status in (self.Status.NOT_STARTED, self.Status.DRAFT):
            return "overdue"
        return self.status


class ImmutableQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise PermissionDenied("已提交的报备版本不可修改")

    def delete(self):
        raise PermissionDenied("已提交的报备版本不可删除")


class FilingVersion(models.Model):
    """A submitted version: frozen content, its xlsx file and SHA-256. Never changed, never deleted
    (the model refuses, and database triggers refuse too)."""

    filing = models.ForeignKey(Filing, on_delete=models.PROTECT, related_name="versions")
    number = models.PositiveIntegerField("版本号")
    created_at = models.DateTimeField("提交时间")
    actor = models.CharField("提交人", max_length=150)
    reason = models.TextField("修改原因", blank=True)
    content = models.JSONField("内容")
    xlsx = models.BinaryField("文件")
    sha256 = models.CharField("SHA-256", max_length=64)

    objects = ImmutableQuerySet.as_manager()

    class Meta:
        unique_together = [("filing", "number")]
        ordering = ["filing_id", "number"]

    def save(self, *args, **kwargs):
        if self.pk is not None or kwargs.get("force_update"):
            raise PermissionDenied("已提交的报备版本不可修改")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise PermissionDenied("已提交的报备版本不可删除")


class FilingEvent(models.Model):
    filing = models.ForeignKey(Filing, on_delete=models.CASCADE, related_name="events")
    at = models.DateTimeField("时间")
    actor = models.CharField("操作人", max_length=150)
    transition = models.CharField("操作", max_length=32)
    from_status = models.CharField(max_length=16, blank=True)
    to_status = models.CharField(max_length=16, blank=True)
    comment = models.TextField("意见/说明", blank=True)

    class Meta:
        ordering = ["at", "id"]


class Notification(models.Model):
    """The in-platform inbox. Reminders are unique per (user, filing, kind): sending twice is a no-op.
    ``at`` is the moment of the event the message is about; the text states the filing as it was then."""

    class Kind(models.TextChoices):
        DUE_SOON = "due_soon", "即将到期"
        DUE_TODAY = "due_today", "今天到期"
        OVERDUE = "overdue", "逾期未报"
        ACCEPTED = "accepted", "已接收"
        RETURNED = "returned", "已退回"

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications")
    filing = models.ForeignKey(Filing, null=True, blank=True, on_delete=models.CASCADE)
    kind = models.CharField("类型", max_length=32, choices=Kind.choices)
    text = models.TextField("内容")
    link = models.CharField("链接", max_length=255, blank=True)
    at = models.DateTimeField("时间")
    read_at = models.DateTimeField("已读", null=True, blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        constraints = [models.UniqueConstraint(fields=["user", "filing", "kind"], name="one_reminder_per_kind")]


class MissingFromF1(models.Model):
    """A late grid-upgrade connection missing from a filed F1 ledger (rules R2/R5)."""

    filing = models.ForeignKey(Filing, on_delete=models.CASCADE, related_name="missing_rows")
    application = models.ForeignKey("connections.Application", on_delete=models.CASCADE, related_name="+")
    state = models.CharField("情况", max_length=64)
    detected_at = models.DateTimeField("发现时间")

    class Meta:
        unique_together = [("filing", "application")]


class TickRun(models.Model):
    """Every scheduled run of ``getpower tick``, persisted with what it did."""

    started_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)
    summary = models.JSONField(default=dict)
