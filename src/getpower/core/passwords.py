"""Password rules beyond Django's own validators (settings.AUTH_PASSWORD_VALIDATORS)."""

from __future__ import annotations

from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError


class MinimumLengthValidator(password_validation.MinimumLengthValidator):
    """Django's minimum length, with its message in Chinese (Django 5.2's zh-hans catalogue lacks it)."""

    def get_error_message(self) -> str:
        return f"密码太短，至少需要 {self.min_length} 个字符。"

    def get_help_text(self) -> str:
        return f"密码至少需要 {self.min_length} 个字符。"


def password_problems(password: str, user=None) -> list[str]:
    """The validators' complaints about a password (empty when it is acceptable)."""
    try:
        password_validation.validate_password(password, user=user)
    except ValidationError as exc:
        return [str(m) for m in exc.messages]
    return []
