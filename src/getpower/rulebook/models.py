"""Versioned rulebook: each version is a full snapshot of every parameter, in force from a date."""

from django.conf import settings
from django.db import models


class RulebookVersion(models.Model):
    number = models.PositiveIntegerField("版本号", unique=True)
    effective_from = models.DateField("生效日期")
    note = models.TextField("说明", blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    created_at = models.DateTimeField("创建时间", auto_now_add=True)

    class Meta:
        ordering = ["-effective_from", "-number"]
        verbose_name = "规则版本"
        verbose_name_plural = "规则版本"

    def __str__(self) -> str:
        return f"v{self.number}（{self.effective_from} 起）"


class RuleParameter(models.Model):
    version = models.ForeignKey(RulebookVersion, on_delete=models.CASCADE, related_name="parameters")
    key = models.CharField("参数", max_length=64)
    value = models.JSONField("取值")
    source_tag = models.CharField("来源", max_length=16)
    note = models.TextField("说明", blank=True)

    class Meta:
        unique_together = [("version", "key")]
        ordering = ["key"]
