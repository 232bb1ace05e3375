"""Working-day calendar (rules R1): the State Council's yearly schedules and regional extra rest days."""

from django.db import models


class HolidaySchedule(models.Model):
    """One year's national schedule, as published by the State Council."""

    year = models.IntegerField("年份", primary_key=True)
    source_title = models.CharField("来源通知", max_length=200)
    source_ref = models.CharField("文号", max_length=200, blank=True)
    published_on = models.DateField("发布日期", null=True, blank=True)
    loaded_at = models.DateTimeField("载入时间", auto_now=True)
    note = models.TextField("备注", blank=True)

    class Meta:
        ordering = ["year"]
        verbose_name = "年度节假日安排"
        verbose_name_plural = "年度节假日安排"

    def __str__(self) -> str:
        return f"{self.year}年 {self.source_title}"


class ScheduleDay(models.Model):
    """A day the schedule changes: a weekday off (holiday) or a weekend day worked (调休上班)."""

    schedule = models.ForeignKey(HolidaySchedule, on_delete=models.CASCADE, related_name="days")
    date = models.DateField("日期", unique=True)
    is_workday = models.BooleanField("上班")
    name = models.CharField("名称", max_length=64)

    class Meta:
        ordering = ["date"]
        verbose_name = "节假日调整"
        verbose_name_plural = "节假日调整"


class RegionRestDay(models.Model):
    """An extra rest day of an ethnic autonomous area (全国年节及纪念日放假办法 Art. 4)."""

    region = models.ForeignKey("core.Region", on_delete=models.PROTECT, verbose_name="适用区划")
    date = models.DateField("日期")
    name = models.CharField("名称", max_length=64)
    source = models.CharField("依据", max_length=200)

    class Meta:
        ordering = ["date", "region_id"]
        unique_together = [("region", "date")]
        verbose_name = "地方补充假日"
        verbose_name_plural = "地方补充假日"
