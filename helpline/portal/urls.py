from django.urls import path

from helpline.portal import accounts, previews, views
from helpline.tickets import numbers  # noqa: F401  (registers <ticket:...>)

app_name = "portal"

urlpatterns = [
    path("", views.home, name="home"),
    path("open/", views.open_ticket, name="open"),
    path("open/thanks/", views.thanks, name="thanks"),
    path("status/", views.status, name="status"),
    path("register/", accounts.register, name="register"),
    path("register/confirm/<uidb64>/<token>/", accounts.ConfirmView.as_view(), name="confirm"),
    path("login/", views.login_view, name="login"),
    path("logout/", views.logout_view, name="logout"),
    path("password/reset/", views.ResetRequestView.as_view(), name="password_reset"),
    path("password/reset/sent/", views.reset_sent, name="password_reset_sent"),
    path(
        "password/reset/<uidb64>/<token>/",
        views.ResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path("my/", views.my_tickets, name="my_tickets"),
    path("tickets/<ticket:number>/", views.ticket, name="ticket"),
    path("tickets/<ticket:number>/reply/", views.ticket_reply, name="reply"),
    path("tickets/<ticket:number>/people/", views.ticket_people, name="people"),
    path("tickets/<ticket:number>/files/<int:attachment_id>/", views.ticket_file, name="file"),
    # A file's previews live under its URL: the ticket page appends "thumbnail.png"
    # and "pages/" to it.
    path(
        "tickets/<ticket:number>/files/<int:attachment_id>/thumbnail.png",
        previews.thumbnail,
        name="file_thumbnail",
    ),
    path(
        "tickets/<ticket:number>/files/<int:attachment_id>/pages/",
        previews.pages,
        name="file_pages",
    ),
    path(
        "tickets/<ticket:number>/files/<int:attachment_id>/pages/<int:page>.png",
        previews.page,
        name="file_page",
    ),
    path("t/<str:token>/", views.signed_ticket, name="signed_ticket"),
    path("t/<str:token>/reply/", views.signed_reply, name="signed_reply"),
    path("t/<str:token>/people/", views.signed_people, name="signed_people"),
    path("t/<str:token>/files/<int:attachment_id>/", views.signed_file, name="signed_file"),
    path(
        "t/<str:token>/files/<int:attachment_id>/thumbnail.png",
        previews.signed_thumbnail,
        name="signed_file_thumbnail",
    ),
    path(
        "t/<str:token>/files/<int:attachment_id>/pages/",
        previews.signed_pages,
        name="signed_file_pages",
    ),
    path(
        "t/<str:token>/files/<int:attachment_id>/pages/<int:page>.png",
        previews.signed_page,
        name="signed_file_page",
    ),
]
