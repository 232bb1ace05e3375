"""The `organisations` ledger (data contract): supply companies, energy authorities, regulators.

It lives here rather than in ``core`` because core sits below the ledgers (core imports no ledger
code); the ledgers app registers it."""

from __future__ import annotations

from getpower.core import audit
from getpower.core.models import Organisation, Region

from .columns import Column, LedgerRow
from .registry import Ledger

LEVEL_OF_REGION = {"province": "province", "prefecture": "prefecture", "county": "county"}
FIELDS = ("org_code", "name", "kind", "level", "region", "parent")


class OrganisationsLedger(Ledger):
    name = "organisations"
    label = "单位"
    description = "供电企业、能源主管部门和监管机构。平台管理员导入或维护。"
    model = Organisation
    key = ("org_code",)
    object_type = "core.organisation"
    columns = (
        Column("org_code", "text", required=True, key=True, note="如统一社会信用代码或内部编码"),
        Column("name", "text", required=True),
        Column("kind", "enum", required=True, choices=tuple(Organisation.Kind.choices)),
        Column("level", "enum", required=True, choices=tuple(Organisation.Level.choices)),
        Column("region_code", "region6", label="所在行政区划代码", field="region", required=True, note="该单位负责的区域"),
        Column("parent_code", "text", label="上级单位编码", field="parent__org_code", note="如县级供电局的州市供电局"),
    )

    def validate(self, rows: list[LedgerRow], ctx) -> None:
        if ctx.scope.role != "admin":
            ctx.error(0, "", "", "只有平台管理员可以导入单位台账")
            return
        regions = dict(Region.objects.values_list("code", "level"))
        known = set(Organisation.objects.values_list("org_code", flat=True))
        in_file = {r.values["org_code"] for r in rows if r.ok("org_code")}
        for row in rows:
            v = row.values
            if not row.ok("region_code"):
                continue
            level = regions.get(v["region_code"])
            if level is None:
                ctx.error(row.number, "region_code", v["region_code"], "未知的行政区划代码（须为云南省内代码）")
            elif row.ok("level") and LEVEL_OF_REGION.get(level) != v["level"]:
                ctx.error(row.number, "region_code", v["region_code"],
                          f"行政区划层级（{Region.Level(level).label}）与单位层级不一致")
            parent = v.get("parent_code")
            if parent and row.ok("org_code"):
                if parent == v["org_code"]:
                    ctx.error(row.number, "parent_code", parent, "上级单位不能是本单位")
                elif parent not in known and parent not in in_file:
                    ctx.error(row.number, "parent_code", parent, "上级单位编码不存在")

    def write(self, rows: list[LedgerRow], ctx) -> tuple[int, int, int]:
        existing = {o.org_code: o for o in Organisation.objects.all()}
        pending = {r.values["org_code"]: r for r in rows}
        ordered: list[LedgerRow] = []
        placed: set[str] = set()

        def place(code: str, trail: tuple = ()) -> None:
            if code in placed or code not in pending:
                return
            parent = pending[code].values.get("parent_code")
            if parent and parent not in trail:
                place(parent, trail + (code,))
            placed.add(code)
            ordered.append(pending[code])

        for code in pending:
            place(code)
        added = updated = unchanged = 0
        for row in ordered:
            v = row.values
            parent = existing.get(v.get("parent_code")) if v.get("parent_code") else None
            fields = {"name": v["name"], "kind": v["kind"], "level": v["level"],
                      "region_id": v["region_code"], "parent_id": parent.pk if parent else None}
            org = existing.get(v["org_code"])
            if org is None:
                org = Organisation.objects.create(org_code=v["org_code"], **fields)
                existing[org.org_code] = org
                audit.record(user=ctx.user, action="create", object_type=self.object_type, object_id=org.org_code,
                             after=audit.snapshot(org, FIELDS), reason="单位台账导入", organisation_id=org.pk,
                             job_id=ctx.job.pk if ctx.job else None)
                added += 1
                continue
            before = audit.snapshot(org, FIELDS)
            if all(getattr(org, k) == val for k, val in fields.items()):
                unchanged += 1
                continue
            for k, val in fields.items():
                setattr(org, k, val)
            org.save()
            audit.record(user=ctx.user, action="update", object_type=self.object_type, object_id=org.org_code,
                         before=before, after=audit.snapshot(org, FIELDS), reason="单位台账导入",
                         organisation_id=org.pk, job_id=ctx.job.pk if ctx.job else None)
            updated += 1
        return added, updated, unchanged
