"""Serving the platform with waitress (pure Python, no extra server) and whitenoise for static files."""

from __future__ import annotations

from pathlib import Path

import django.contrib.admin
import ninja
from django.conf import settings
from django.core.wsgi import get_wsgi_application
from waitress import serve
from whitenoise import WhiteNoise

from getpower.settings import DEV_SECRET_KEY


def wsgi_app():
    application = get_wsgi_application()
    static_root = Path(__file__).parent / "static"
    wrapped = WhiteNoise(application, root=str(static_root), prefix=settings.STATIC_URL.strip("/"))

    # the admin's assets and django-ninja's Swagger UI (/api/docs works without internet)
    for package in (django.contrib.admin, ninja):
        wrapped.add_files(str(Path(package.__file__).parent / "static"), prefix=settings.STATIC_URL.strip("/"))
    return wrapped


def production_problems(conf=None) -> list[str]:
    """Why ``getpower serve`` must not start with these settings (empty: it may). ``getpower demo``
    skips this check: it serves synthetic data on 127.0.0.1 for a local look."""
    conf = conf or settings
    problems = []
    if not conf.SECRET_KEY or conf.SECRET_KEY == DEV_SECRET_KEY:
        problems.append("SECRET_KEY 仍是开发用的默认值：请在环境变量 GETPOWER_SECRET_KEY 中设置一个随机长字符串"
                        "（例如 python -c \"import secrets; print(secrets.token_urlsafe(50))\" 的输出）")
    elif len(conf.SECRET_KEY) < 32:
        problems.append("SECRET_KEY 太短：GETPOWER_SECRET_KEY 至少需要 32 个字符")
    if conf.DEBUG:
        problems.append("调试模式已开启（GETPOWER_DEBUG=1）：生产环境请关闭")
    return problems


def run_server(*, port: int = 8000, threads: int = 8, host: str = "127.0.0.1") -> None:
    print(f"getpower 已启动：http://{host}:{port}/  （Ctrl+C 停止）", flush=True)
    serve(wsgi_app(), host=host, port=port, threads=threads, ident="getpower")
