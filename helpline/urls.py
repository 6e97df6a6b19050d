from django.contrib import admin
from django.urls import URLPattern, URLResolver, include, path
from django.utils.translation import gettext_lazy

from helpline.accounts.language import choose_language
from helpline.lib.jscatalog import javascript_catalog

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
# The translations our JavaScript uses (gettext() in the browser), for every
# page, under a URL a browser may keep (helpline.lib.jscatalog), and the language
# selector's form (helpline.accounts.language).
urlpatterns += [
    path("i18n/<str:language>/<str:version>/catalog.js", javascript_catalog, name="jsi18n"),
    path("i18n/language/", choose_language, name="choose_language"),
]

urlpatterns += [
    path("", include("helpline.portal.urls")),
]

# Agents get the desk's own not-found page under /desk/ (helpline.lib.errorpages).
handler404 = "helpline.lib.errorpages.page_not_found"
