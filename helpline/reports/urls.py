from django.urls import path

from helpline.reports import views

app_name = "reports"
urlpatterns = [
    path("", views.report_page, name="page"),
    path("data", views.report_data, name="data"),
    path("export.csv", views.report_csv, name="export"),
    path("queues/<slug:queue>/export.csv", views.queue_csv, name="queue_export"),
    path("search/export.csv", views.search_csv, name="search_export"),
    path("selection/export.csv", views.selection_csv, name="selection_export"),
]
