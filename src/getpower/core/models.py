"""Regions, organisations, user profiles, audit log and import jobs."""

from django.conf import settings
from django.db import models


class Region(models.Model):
    """A GB/T 2260 administrative division of Yunnan (province, prefecture, county) or a township."""

    class Level(models.TextChoices):
        PROVINCE = "province", "省级"
        PREFECTURE = "prefecture", "州市级"
        COUNTY = "county", "县级"
        TOWNSHIP = "township", "乡镇级"

    code = models.CharField("行政区划代码", max_length=12, primary_key=True)
    name = models.CharField("名称", max_length=64)
    level = models.CharField("层级", max_length=16, choices=Level.choices)
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="children")

    class Meta:
        ordering = ["code"]
        verbose_name = "行政区划"
        verbose_name_plural = "行政区划"

    def __str__(self) -> str:
        return f"{self.name}（{self.code}）"

    @property
    def prefix(self) -> str:
        """Code prefix shared by every division inside this one (GB/T 2260 is hierarchical)."""
        return region_prefix(self.code, self.level)


def region_prefix(code: str, level: str) -> str:
    if level == Region.Level.PROVINCE:
        return code[:2]
    if level == Region.Level.PREFECTURE:
        return code[:4]
    return code


class Organisation(models.Model):
    """The `organisations` ledger: supply companies, energy authorities and the regulator."""

    class Kind(models.TextChoices):
        SUPPLIER = "supplier", "供电企业"
        ENERGY_AUTHORITY = "energy_authority", "能源主管部门"
        REGULATOR = "regulator", "监管机构"

    class Level(models.TextChoices):
        PROVINCE = "province", "省级"
        PREFECTURE = "prefecture", "州市级"
        COUNTY = "county", "县级"

    org_code = models.CharField("单位编码", max_length=64, unique=True)
    name = models.CharField("单位名称", max_length=128)
    kind = models.CharField("单位类型", max_length=32, choices=Kind.choices)
    level = models.CharField("层级", max_length=16, choices=Level.choices)
    region = models.ForeignKey(Region, on_delete=models.PROTECT, verbose_name="所在行政区划")
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="children", verbose_name="上级单位"
    )

    class Meta:
        ordering = ["org_code"]
        verbose_name = "单位"
        verbose_name_plural = "单位"

    def __str__(self) -> str:
        return self.name

    @property
    def is_supplier(self) -> bool:
        return self.kind == self.Kind.SUPPLIER


class Profile(models.Model):
    """Links a login to its organisation; the role follows from the organisation's kind and level."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="profile")
    organisation = models.ForeignKey(Organisation, null=True, blank=True, on_delete=models.PROTECT)
    # 单位管理员: may issue and revoke the organisation's API tokens (docs/security.md)
    is_org_admin = models.BooleanField("单位管理员", default=False)

    class Meta:
        verbose_name = "用户单位"
        verbose_name_plural = "用户单位"


class AuditLog(models.Model):
    """One row per change of master data, ledgers, rulebook or calendar: who, when, before/after, why."""

    at = models.DateTimeField("时间", auto_now_add=True, db_index=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    actor = models.CharField("操作人", max_length=150, blank=True)
    action = models.CharField("操作", max_length=32, db_index=True)
    object_type = models.CharField("对象类型", max_length=64, db_index=True)
    object_id = models.CharField("对象编号", max_length=128, db_index=True)
    organisation = models.ForeignKey(Organisation, null=True, blank=True, on_delete=models.SET_NULL)
    before = models.JSONField("变更前", null=True, blank=True)
    after = models.JSONField("变更后", null=True, blank=True)
    reason = models.TextField("原因", blank=True)
    job = models.ForeignKey("ImportJob", null=True, blank=True, on_delete=models.SET_NULL)

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = "审计日志"
        verbose_name_plural = "审计日志"


class ImportJob(models.Model):
    """Every ledger import, successful or not: who, file name and hash, counts, errors, duration."""

    class Status(models.TextChoices):
        RUNNING = "running", "进行中"
        SUCCEEDED = "succeeded", "成功"
        REJECTED = "rejected", "校验未通过"
        FAILED = "failed", "失败"

    ledger = models.CharField("台账", max_length=32)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    actor = models.CharField("操作人", max_length=150, blank=True)
    organisation = models.ForeignKey(Organisation, null=True, blank=True, on_delete=models.SET_NULL)
    channel = models.CharField("渠道", max_length=16, default="cli")
    file_name = models.CharField("文件名", max_length=255)
    file_sha256 = models.CharField("文件SHA-256", max_length=64)
    file_bytes = models.BigIntegerField("文件大小", default=0)
    dry_run = models.BooleanField("仅校验", default=False)
    status = models.CharField("状态", max_length=16, choices=Status.choices, default=Status.RUNNING)
    progress = models.FloatField("进度", default=0.0)
    rows_total = models.IntegerField("总行数", default=0)
    rows_added = models.IntegerField("新增", default=0)
    rows_updated = models.IntegerField("更新", default=0)
    rows_unchanged = models.IntegerField("未变", default=0)
    errors = models.JSONField("错误", default=list, blank=True)
    warnings = models.JSONField("提示", default=list, blank=True)
    started_at = models.DateTimeField("开始时间", auto_now_add=True)
    finished_at = models.DateTimeField("结束时间", null=True, blank=True)
    duration_seconds = models.FloatField("耗时(秒)", null=True, blank=True)

    class Meta:
        ordering = ["-started_at", "-id"]
        verbose_name = "导入任务"
        verbose_name_plural = "导入任务"


class EvaluationRun(models.Model):
    """One evaluation of a rule at an as-of time: which engine, which rulebook version, how long, what
    it found. Findings point at their run, so a finding always names the data and version behind it."""

    rule = models.CharField("规则", max_length=32, db_index=True)
    as_of = models.DateTimeField("评估时点")
    rulebook_version = models.PositiveIntegerField("规则版本")
    engine = models.CharField("计算引擎", max_length=16, default="duckdb")
    actor = models.CharField("触发者", max_length=150, default="system")
    started_at = models.DateTimeField("开始时间", auto_now_add=True)
    duration_seconds = models.FloatField("耗时(秒)", default=0)
    provisional = models.BooleanField("暂定", default=False)
    summary = models.JSONField("汇总", default=dict)

    class Meta:
        ordering = ["-started_at", "-id"]
        indexes = [models.Index(fields=["rule", "as_of"])]
        verbose_name = "评估批次"
        verbose_name_plural = "评估批次"


class ApiToken(models.Model):
    """A JSON API token of one organisation (``Authorization: Bearer gp_<prefix>_<secret>``). Only the
    SHA-256 of the whole token is stored; the prefix identifies it in lists, logs and the CLI. Requests
    with it act as the organisation's service account, so they see and change what the organisation may."""

    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="api_tokens",
                                     verbose_name="单位")
    name = models.CharField("名称", max_length=64)
    prefix = models.CharField("前缀", max_length=16, unique=True)
    key_sha256 = models.CharField("令牌SHA-256", max_length=64)
    service_user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                                     verbose_name="服务账号")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+", verbose_name="创建人")
    created_at = models.DateTimeField("创建时间", auto_now_add=True)
    expires_at = models.DateTimeField("到期时间")
    last_used_at = models.DateTimeField("最近使用", null=True, blank=True)
    revoked_at = models.DateTimeField("吊销时间", null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = "API 令牌"
        verbose_name_plural = "API 令牌"

    def __str__(self) -> str:
        return f"{self.name}（{self.prefix}）"

    @property
    def label(self) -> str:
        """Who acted, for audit rows and import jobs."""
        return f"API令牌“{self.name}”（{self.organisation.org_code}）"[:150]

    def status_at(self, now) -> str:
        if self.revoked_at is not None:
            return "已吊销"
        if self.expires_at <= now:
            return "已过期"
        return "有效"
