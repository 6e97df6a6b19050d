from django.urls import path

from helpline.desk.views import auth, dashboard, new, ticket
from helpline.tickets import numbers  # noqa: F401  (registers <ticket:...>)

app_name = "desk"

urlpatterns = [
    path("", dashboard.dashboard, name="dashboard"),
    path("login/", auth.login_view, name="login"),
    path("logout/", auth.logout_view, name="logout"),
    path("queues/<slug:queue>/", dashboard.dashboard, name="queue"),
    path("go/", dashboard.jump, name="jump"),
    path("tickets/new/", new.new_ticket, name="new_ticket"),
    path("tickets/<ticket:number>/", ticket.ticket_view, name="ticket"),
    path(
        "tickets/<ticket:number>/files/<int:attachment_id>/",
        ticket.attachment_view,
        name="attachment",
    ),
    path("tickets/<ticket:number>/<slug:action>/", ticket.ticket_action, name="action"),
]
