"""Jurisdiction: who may see and change what. Enforced here, once, for pages, API and exports.

- platform administrator (superuser), regulator (监管机构) and provincial energy bureau: the whole province;
- prefecture and county energy authorities: every row whose county lies inside their region;
- supply company users: rows of their own organisation and of the organisations under it.

Every query for jurisdiction-bound data goes through :func:`scope_for` and :meth:`Scope.filter`.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet

from .models import Organisation, region_prefix


class Role(StrEnum):
    ADMIN = "admin"
    REGULATOR = "regulator"
    PROVINCIAL_BUREAU = "provincial_bureau"
    PREFECTURE_AUTHORITY = "prefecture_authority"
    COUNTY_AUTHORITY = "county_authority"
    SUPPLIER_PROVINCE = "supplier_province"
    SUPPLIER_PREFECTURE = "supplier_prefecture"
    SUPPLIER_COUNTY = "supplier_county"
    NONE = "none"


ROLE_LABELS = {
    Role.ADMIN: "平台管理员",
    Role.REGULATOR: "国家能源局云南监管办",
    Role.PROVINCIAL_BUREAU: "省能源局",
    Role.PREFECTURE_AUTHORITY: "州市能源主管部门",
    Role.COUNTY_AUTHORITY: "县区能源主管部门",
    Role.SUPPLIER_PROVINCE: "供电企业（省级）",
    Role.SUPPLIER_PREFECTURE: "供电企业（州市级）",
    Role.SUPPLIER_COUNTY: "供电企业（县级）",
    Role.NONE: "未分配单位",
}

REGULATOR_ROLES = {Role.ADMIN, Role.REGULATOR, Role.PROVINCIAL_BUREAU, Role.PREFECTURE_AUTHORITY, Role.COUNTY_AUTHORITY}
SUPPLIER_ROLES = {Role.SUPPLIER_PROVINCE, Role.SUPPLIER_PREFECTURE, Role.SUPPLIER_COUNTY}


def organisation_of(user) -> Organisation | None:
    if not getattr(user, "is_authenticated", False):
        return None
    profile = getattr(user, "profile", None)
    return profile.organisation if profile else None


def role_of(user) -> Role:
    if getattr(user, "is_superuser", False):
        return Role.ADMIN
    org = organisation_of(user)
    if org is None:
        return Role.NONE
    if org.kind == Organisation.Kind.REGULATOR:
        return Role.REGULATOR
    if org.kind == Organisation.Kind.ENERGY_AUTHORITY:
        return {
            Organisation.Level.PROVINCE: Role.PROVINCIAL_BUREAU,
            Organisation.Level.PREFECTURE: Role.PREFECTURE_AUTHORITY,
            Organisation.Level.COUNTY: Role.COUNTY_AUTHORITY,
        }[org.level]
    return {
        Organisation.Level.PROVINCE: Role.SUPPLIER_PROVINCE,
        Organisation.Level.PREFECTURE: Role.SUPPLIER_PREFECTURE,
        Organisation.Level.COUNTY: Role.SUPPLIER_COUNTY,
    }[org.level]


def organisation_subtree_ids(root_id: int) -> frozenset[int]:
    """The organisation and every organisation under it (parent links), without recursion in SQL."""
    children: dict[int, list[int]] = {}
    for org_id, parent_id in Organisation.objects.values_list("id", "parent_id"):
        children.setdefault(parent_id, []).append(org_id)
    found, stack = {root_id}, [root_id]
    while stack:
        for child in children.get(stack.pop(), ()):
            if child not in found:
                found.add(child)
                stack.append(child)
    return frozenset(found)


@dataclass(frozen=True)
class Scope:
    """What one user may see. ``everything`` wins; else a region prefix (authorities) or a set of
    organisation ids (supply companies); an empty scope sees nothing."""

    role: Role
    everything: bool = False
    region_prefix: str | None = None
    org_ids: frozenset[int] = frozenset()

    @property
    def is_regulator_side(self) -> bool:
        return self.role in REGULATOR_ROLES

    @property
    def is_supplier(self) -> bool:
        return self.role in SUPPLIER_ROLES

    def filter(self, qs: QuerySet, *, company: str | None = "company", county: str | None = "county") -> QuerySet:
        """Restrict a queryset of jurisdiction-bound rows.

        ``company`` names the field holding the owning organisation, ``county`` the field holding the
        county region; authorities are scoped by county, supply companies by company."""
        if self.everything:
            return qs
        if self.region_prefix is not None and county is not None:
            return qs.filter(**{f"{county}__code__startswith": self.region_prefix})
        if self.org_ids and company is not None:
            return qs.filter(**{f"{company}_id__in": self.org_ids})
        return qs.none()

    def organisations(self) -> QuerySet:
        qs = Organisation.objects.select_related("region", "parent")
        if self.everything:
            return qs
        if self.region_prefix is not None:
            return qs.filter(region__code__startswith=self.region_prefix)
        return qs.filter(id__in=self.org_ids)

    def suppliers(self) -> QuerySet:
        return self.organisations().filter(kind=Organisation.Kind.SUPPLIER)

    def covers_region(self, code: str) -> bool:
        if self.everything:
            return True
        if self.region_prefix is not None:
            return code.startswith(self.region_prefix)
        return False

    def can_see(self, *, company_id: int | None, county_code: str | None) -> bool:
        if self.everything:
            return True
        if self.region_prefix is not None:
            return bool(county_code) and county_code.startswith(self.region_prefix)
        return company_id in self.org_ids

    def can_submit_for(self, company_id: int) -> bool:
        """Ledgers are handed in by supply companies for themselves and the organisations under them;
        the platform administrator may import for anyone. Authorities read, they do not hand in."""
        if self.role == Role.ADMIN:
            return True
        return self.is_supplier and company_id in self.org_ids

    def require_submit(self, company_id: int) -> None:
        if not self.can_submit_for(company_id):
            raise PermissionDenied("无权提交该单位的数据")


def scope_for(user) -> Scope:
    role = role_of(user)
    if role in (Role.ADMIN, Role.REGULATOR, Role.PROVINCIAL_BUREAU):
        return Scope(role=role, everything=True)
    org = organisation_of(user)
    if org is None:
        return Scope(role=Role.NONE)
    if role in (Role.PREFECTURE_AUTHORITY, Role.COUNTY_AUTHORITY):
        return Scope(role=role, region_prefix=region_prefix(org.region_id, org.level))
    return Scope(role=role, org_ids=organisation_subtree_ids(org.id))


def q_in_scope(scope: Scope, *, company: str = "company", county: str = "county") -> Q:
    """The same restriction as :meth:`Scope.filter`, as a Q object for use inside aggregates."""
    if scope.everything:
        return Q()
    if scope.region_prefix is not None:
        return Q(**{f"{county}__code__startswith": scope.region_prefix})
    if scope.org_ids:
        return Q(**{f"{company}_id__in": scope.org_ids})
    return Q(pk__in=[])
