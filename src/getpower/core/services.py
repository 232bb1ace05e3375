"""State changes of core master data (users, organisations). Each writes its audit row."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.db import transaction

from . import audit
from .models import Organisation, Profile
from .passwords import password_problems


@transaction.atomic
def create_user(*, username: str, password: str, org_code: str | None = None, is_admin: bool = False,
                full_name: str = "", actor=None, is_org_admin: bool = False):
    User = get_user_model()
    if User.objects.filter(username=username).exists():
        raise ValueError(f"用户名 {username} 已存在")
    org = None
    if org_code:
        org = Organisation.objects.filter(org_code=org_code).first()
        if org is None:
            raise ValueError(f"未知的单位编码：{org_code}")
    if is_org_admin and org is None:
        raise ValueError("单位管理员须属于一个单位（--org）")
    problems = password_problems(password, User(username=username, first_name=full_name[:150]))
    if problems:
        raise ValueError("密码不符合要求：" + "".join(problems))
    user = User.objects.create_user(username=username, password=password, first_name=full_name[:150])
    if is_admin:
        user.is_superuser = True
        user.is_staff = True
        user.save(update_fields=["is_superuser", "is_staff"])
    Profile.objects.create(user=user, organisation=org, is_org_admin=is_org_admin)
    audit.record(user=actor, action="create", object_type="auth.user", object_id=username,
                 after={"organisation": org_code, "is_admin": is_admin, "is_org_admin": is_org_admin},
                 reason="创建用户", organisation_id=org.pk if org else None)
    return user


def service_account(org: Organisation):
    """The organisation's non-login account (``svc_<org code>``, no usable password): filings made for
    it in the demo and requests with its API tokens act as this account, within its organisation's scope."""
    User = get_user_model()
    username = f"svc_{org.org_code}".lower()[:150]
    user = User.objects.filter(username=username).first()
    if user is None:
        user = User(username=username, first_name=org.name[:150])
        user.set_unusable_password()
        user.save()
        Profile.objects.create(user=user, organisation=org)
    return user
