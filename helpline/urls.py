from django.contrib import admin
from django.http import HttpRequest
from django.http.response import HttpResponseBase
from django.urls import URLPattern, URLResolver, include, path
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET
from django.views.i18n import JavaScriptCatalog

from helpline.accounts.language import choose_language
from helpline.lib.access import public

admin.site.site_header = gettext_lazy("Helpline administration")
admin.site.site_title = gettext_lazy("Helpline admin")

urlpatterns: list[URLPattern | URLResolver] = [
    # Health endpoints for load balancers and monitoring (no language prefix, no login).
    path("", include("helpline.ops.urls")),
    path("desk/reports/", include("helpline.reports.urls")),
    path("desk/", include("helpline.desk.urls")),
    path("rate/", include("helpline.feedback.urls")),
    path("api/", include("helpline.api.urls")),
    path("admin/", admin.site.urls),
]

# --- i18n ---
_catalog = JavaScriptCatalog.as_view()


@public
@require_GET
def javascript_catalog(request: HttpRequest) -> HttpResponseBase:
    """Django's JavaScriptCatalog, answering GET only (the class view's Allow
    would name OPTIONS, which no page of ours takes)."""
    return _catalog(request)


# The translations our JavaScript uses (gettext() in the browser), for every
# page, and the language selector's form (helpline.accounts.language).
urlpatterns += [
    path("i18n/catalog.js", javascript_catalog, name="jsi18n"),
    path("i18n/language/", choose_language, name="choose_language"),
]

urlpatterns += [
    path("", include("helpline.portal.urls")),
]

# Agents get the desk's own not-found page under /desk/ (helpline.lib.errorpages).
handler404 = "helpline.lib.errorpages.page_not_found"
