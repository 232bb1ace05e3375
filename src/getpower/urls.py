from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from getpower.api import api
from getpower.connections import lookup
from getpower.disclosure import views as public
from getpower.filings import views as filing_views
from getpower.web import errors, views

urlpatterns = [
    path("login/", auth_views.LoginView.as_view(template_name="web/login.html"), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("", views.home, name="home"),
    path("assets/", views.asset_list, name="assets"),
    path("assets/export.csv", views.asset_export, name="assets-export"),
    path("assets/<int:pk>/", views.asset_detail, name="asset"),
    path("imports/", views.imports, name="imports"),
    path("imports/<int:pk>/", views.import_job, name="import-job"),
    path("ledgers/<str:name>/template.xlsx", views.ledger_template, name="ledger-template"),
    path("dictionary/", views.dictionary, name="dictionary"),
    path("calendar/", views.calendar_page, name="calendar"),
    path("rulebook/", views.rulebook_page, name="rulebook"),
    path("audit/", views.audit_page, name="audit"),
    path("account/tokens/", views.token_list, name="account-tokens"),
    path("account/tokens/<str:prefix>/revoke/", views.token_revoke, name="account-token-revoke"),
    path("healthz", views.healthz),
    path("favicon.ico", errors.favicon, name="favicon"),
    path("jobs/", include("getpower.jobs.urls")),
    path("outages/", include("getpower.outages.urls")),
    path("arrears/", include("getpower.arrears.urls")),
    path("connections/", include("getpower.connections.urls")),
    path("cockpit/", include("getpower.cockpit.urls")),
    path("filings/", include("getpower.filings.urls")),
    path("inbox/", filing_views.inbox, name="inbox"),
    path("public/lookup/", lookup.lookup, name="public-lookup"),
    path("public/", public.index, name="public"),
    path("public/outages/<str:org_code>/", public.company_outages, name="public-outages"),
    path("api/", api.urls),
    path("admin/", admin.site.urls),
]

# Chinese error pages in the site's layout (JSON under /api/): getpower.web.errors
handler400 = errors.bad_request
handler403 = errors.permission_denied
handler404 = errors.page_not_found
handler500 = errors.server_error
