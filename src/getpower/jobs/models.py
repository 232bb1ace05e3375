"""The job row: what runs in the background (or was run by a command), its state, progress and log."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q


class Job(models.Model):
    class Kind(models.TextChoices):
        IMPORT = "import", "台账导入"
        EVALUATE = "evaluate", "规则评估"
        TICK = "tick", "报备定时处理"
        REPORT = "report", "监管月报"
        PUBLISH = "publish", "发布"

    class Status(models.TextChoices):
        QUEUED = "queued", "排队中"
        RUNNING = "running", "进行中"
        SUCCEEDED = "succeeded", "成功"
        FAILED = "failed", "失败"
        CANCELLED = "cancelled", "已取消"

    FINAL = (Status.SUCCEEDED, Status.FAILED, Status.CANCELLED)

    kind = models.CharField("类型", max_length=16, choices=Kind.choices, db_index=True)
    label = models.CharField("说明", max_length=200, blank=True)
    status = models.CharField("状态", max_length=16, choices=Status.choices, default=Status.QUEUED, db_index=True)
    progress = models.FloatField("进度", default=0.0)  # 0–1
    stage = models.CharField("当前步骤", max_length=100, blank=True)
    log = models.TextField("日志", blank=True)  # one line per event, each with its time
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                             verbose_name="发起用户")
    actor = models.CharField("发起者", max_length=150, blank=True)  # a user's name, "cli", "自动评估", "定时任务"
    organisation = models.ForeignKey("core.Organisation", null=True, blank=True, on_delete=models.SET_NULL,
                                     verbose_name="所属单位")  # scopes the job list
    subject = models.CharField("对象", max_length=64, blank=True, db_index=True)  # e.g. "import:12", "rule:R3"
    args = models.JSONField("参数", default=dict, blank=True)
    result = models.JSONField("结果", default=dict, blank=True)
    error = models.TextField("失败原因", blank=True)
    created_at = models.DateTimeField("创建时间", auto_now_add=True, db_index=True)
    not_before = models.DateTimeField("最早开始", null=True, blank=True)  # a coalesced evaluation waits until then
    started_at = models.DateTimeField("开始时间", null=True, blank=True)
    finished_at = models.DateTimeField("结束时间", null=True, blank=True)
    duration_seconds = models.FloatField("耗时(秒)", null=True, blank=True)
    attempts = models.PositiveSmallIntegerField("尝试次数", default=0)
    max_attempts = models.PositiveSmallIntegerField("最多尝试", default=3)
    worker = models.CharField("工作进程", max_length=100, blank=True)  # host:pid of the process running it
    heartbeat_at = models.DateTimeField("心跳", null=True, blank=True)
    # periodic work: "(job, period)", e.g. "evaluate:R3:2026-10-05" — a second row with it cannot exist
    period_key = models.CharField("周期键", max_length=100, null=True, blank=True, unique=True)
    # a queued job that later requests of the same key join (coalesced evaluations: "evaluate:R3")
    coalesce_key = models.CharField("合并键", max_length=100, blank=True, db_index=True)
    absorbed = models.PositiveIntegerField("合并的请求", default=0)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = "后台任务"
        verbose_name_plural = "后台任务"
        constraints = [
            # at most one queued job per coalescing key: a second request joins the queued one
            models.UniqueConstraint(fields=["coalesce_key"], condition=Q(status="queued") & ~Q(coalesce_key=""),
                                    name="jobs_one_queued_per_coalesce_key"),
        ]
        indexes = [models.Index(fields=["status", "kind"])]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} #{self.pk}"

    @property
    def is_final(self) -> bool:
        return self.status in self.FINAL

    @property
    def percent(self) -> int:
        return round(100 * max(0.0, min(1.0, self.progress or 0.0)))

    def log_lines(self) -> list[str]:
        return [line for line in self.log.splitlines() if line]
