"""The Content-Security-Policy every response carries (docs/security.md).

No inline script runs: every script is a file under ``/static/`` (ours or vendored) and pages hand
their data to it in ``<script type="application/json">`` elements (Django's ``json_script``).
Should company-supplied text ever reach HTML unescaped, the browser still refuses to run it.

``style-src`` keeps ``'unsafe-inline'``: ECharts writes its tooltip content (the coloured series
marker is a ``<span style=…>``) with ``innerHTML``, and the templates and the Django admin use
``style`` attributes. Inline CSS cannot run script; the escaping rule keeps markup out of data.
"""

from __future__ import annotations

from django.conf import settings

POLICY = {
    "default-src": "'self'",
    "script-src": "'self'",
    "style-src": "'self' 'unsafe-inline'",
    # ECharts draws on <canvas> or inline SVG; Swagger UI's icons are data: URIs
    "img-src": "'self' data: blob:",
    "font-src": "'self' data:",
    # the maps (/static/vendor/maps/*.json), the OpenAPI schema, htmx polling
    "connect-src": "'self'",
    "worker-src": "'self' blob:",
    "object-src": "'none'",
    "base-uri": "'self'",
    "frame-ancestors": "'none'",
    "form-action": "'self'",
}


def header_value(policy: dict[str, str] | None = None) -> str:
    return "; ".join(f"{directive} {sources}" for directive, sources in (policy or POLICY).items())


class ContentSecurityPolicyMiddleware:
    """Adds the policy to every response that does not set its own (``GETPOWER_CSP`` overrides
    the whole header, e.g. to add a report-uri)."""

    def __init__(self, get_response):
        self.get_response = get_response
        self.value = getattr(settings, "GETPOWER_CSP", None) or header_value()

    def __call__(self, request):
        response = self.get_response(request)
        if "Content-Security-Policy" not in response.headers:
            response.headers["Content-Security-Policy"] = self.value
        return response
