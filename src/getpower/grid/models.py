"""Grid assets: 10 kV lines and 台区 (transformer areas) — the units watched by rules R3."""

from django.db import models


class Asset(models.Model):
    class Type(models.TextChoices):
        LINE = "line", "中压线路"
        TQ = "tq", "台区"

    class AreaType(models.TextChoices):
        URBAN_CORE = "urban_core", "市中心"
        URBAN = "urban", "市区"
        TOWN = "town", "城镇"
        RURAL = "rural", "农村"

    asset_id = models.CharField("设备编号", max_length=64)
    asset_type = models.CharField("设备类型", max_length=8, choices=Type.choices)
    name = models.CharField("设备名称", max_length=128)
    company = models.ForeignKey("core.Organisation", on_delete=models.PROTECT, verbose_name="供电单位")
    county = models.ForeignKey("core.Region", on_delete=models.PROTECT, verbose_name="所属县区", related_name="+")
    township_code = models.CharField("所属乡镇代码", max_length=9, blank=True, default="")
    line = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="tqs",
                             verbose_name="所属线路")
    rated_kva = models.FloatField("额定容量(kVA)", null=True, blank=True)
    users = models.IntegerField("用户数")
    area_type = models.CharField("区域类型", max_length=16, choices=AreaType.choices, blank=True, default="")

    class Meta:
        unique_together = [("company", "asset_id")]
        indexes = [models.Index(fields=["asset_type", "county"]), models.Index(fields=["asset_id"])]
        ordering = ["asset_id"]
        verbose_name = "线路/台区"
        verbose_name_plural = "线路/台区"

    def __str__(self) -> str:
        return f"{self.name}（{self.asset_id}）"
