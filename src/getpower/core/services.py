"""State changes of core master data (users, organisations). Each writes its audit row."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.db import transaction

from . import audit
from .models import Organisation, Profile


@transaction.atomic
def create_user(*, username: str, password: str, org_code: str | None = None, is_admin: bool = False,
                full_name: str = "", actor=None):
    User = get_user_model()
    if User.objects.filter(username=username).exists():
        raise ValueError(f"用户名 {username} 已存在")
    org = None
    if org_code:
        org = Organisation.objects.filter(org_code=org_code).first()
        if org is None:
            raise ValueError(f"未知的单位编码：{org_code}")
    user = User.objects.create_user(username=username, password=password, first_name=full_name[:150])
    if is_admin:
        user.is_superuser = True
        user.is_staff = True
        user.save(update_fields=["is_superuser", "is_staff"])
    Profile.objects.create(user=user, organisation=org)
    audit.record(user=actor, action="create", object_type="auth.user", object_id=username,
                 after={"organisation": org_code, "is_admin": is_admin}, reason="创建用户",
                 organisation_id=org.pk if org else None)
    return user
