from django.contrib import admin
from django.urls import include, path

admin.site.site_header = "Helpline administration"
admin.site.site_title = "Helpline admin"

urlpatterns = [
    # Health endpoints for load balancers and monitoring (no language prefix, no login).
    path("", include("helpline.ops.urls")),
    path("desk/reports/", include("helpline.reports.urls")),
    path("desk/", include("helpline.desk.urls")),
    path("rate/", include("helpline.feedback.urls")),
    path("api/", include("helpline.api.urls")),
    path("admin/", admin.site.urls),
    path("", include("helpline.portal.urls")),
]

# Agents get the desk's own not-found page under /desk/ (helpline.lib.errorpages).
handler404 = "helpline.lib.errorpages.page_not_found"
