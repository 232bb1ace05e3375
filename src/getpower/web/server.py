"""Serving the platform with waitress (pure Python, no extra server) and whitenoise for static files."""

from __future__ import annotations

from pathlib import Path

from django.conf import settings


def wsgi_app():
    from django.core.wsgi import get_wsgi_application
    from whitenoise import WhiteNoise

    application = get_wsgi_application()
    static_root = Path(__file__).parent / "static"
    wrapped = WhiteNoise(application, root=str(static_root), prefix=settings.STATIC_URL.strip("/"))
    import django.contrib.admin

    admin_static = Path(django.contrib.admin.__file__).parent / "static"
    wrapped.add_files(str(admin_static), prefix=settings.STATIC_URL.strip("/"))
    return wrapped


def run_server(*, port: int = 8000, threads: int = 8, host: str = "127.0.0.1") -> None:
    from waitress import serve

    print(f"getpower 已启动：http://{host}:{port}/  （Ctrl+C 停止）", flush=True)
    serve(wsgi_app(), host=host, port=port, threads=threads, ident="getpower")
