from django.urls import path

from helpline.desk.views import (
    auth,
    canned,
    dashboard,
    new,
    on_it,
    previews,
    profile,
    search,
    ticket,
    together,
    twofactor,
)
from helpline.tickets import numbers  # noqa: F401  (registers <ticket:...>)

app_name = "desk"

urlpatterns = [
    path("", dashboard.dashboard, name="dashboard"),
    path("login/", auth.login_view, name="login"),
    path("logout/", auth.logout_view, name="logout"),
    path("login/code/", auth.login_code, name="login_code"),
    path("password/reset/", auth.ResetRequestView.as_view(), name="password_reset"),
    path("password/reset/sent/", auth.reset_sent, name="password_reset_sent"),
    path(
        "password/reset/<uidb64>/<token>/",
        auth.ResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path("two-factor/", twofactor.two_factor, name="two_factor"),
    path("two-factor/start/", twofactor.start, name="two_factor_start"),
    path("two-factor/confirm/", twofactor.confirm, name="two_factor_confirm"),
    path("two-factor/codes/", twofactor.new_codes, name="two_factor_codes"),
    path("two-factor/disable/", twofactor.disable, name="two_factor_disable"),
    path("profile/", profile.profile, name="profile"),
    path("queues/<slug:queue>/", dashboard.dashboard, name="queue"),
    path("go/", dashboard.jump, name="jump"),
    path("search/", search.search_page, name="search"),
    path("search/suggest/", search.suggest, name="search_suggest"),
    path("search/customers/", search.customer_lookup, name="customer_lookup"),
    path("tickets/new/", new.new_ticket, name="new_ticket"),
    path("canned/", canned.canned_list, name="canned"),
    path("canned/new/", canned.canned_edit, name="canned_new"),
    path("canned/<int:pk>/", canned.canned_edit, name="canned_edit"),
    path("canned/<int:pk>/delete/", canned.canned_delete, name="canned_delete"),
    path("tickets/<ticket:number>/", ticket.ticket_view, name="ticket"),
    path(
        "tickets/<ticket:number>/files/<int:attachment_id>/",
        ticket.attachment_view,
        name="attachment",
    ),
    # A file's previews live under its URL: the ticket page appends "thumbnail.png"
    # and "pages/" to it.
    path(
        "tickets/<ticket:number>/files/<int:attachment_id>/thumbnail.png",
        previews.thumbnail,
        name="attachment_thumbnail",
    ),
    path(
        "tickets/<ticket:number>/files/<int:attachment_id>/pages/",
        previews.pages,
        name="attachment_pages",
    ),
    path(
        "tickets/<ticket:number>/files/<int:attachment_id>/pages/<int:page>.png",
        previews.page,
        name="attachment_page",
    ),
    # Before the actions: "presence" and "on-it" would read as ones.
    path("tickets/<ticket:number>/presence/", together.presence, name="presence"),
    path("tickets/<ticket:number>/on-it/", on_it.on_it_view, name="on_it"),
    path("tickets/<ticket:number>/draft/<slug:kind>/", together.save_draft, name="draft"),
    path("tickets/<ticket:number>/canned/", canned.pick, name="canned_pick"),
    path("tickets/<ticket:number>/<slug:action>/", ticket.ticket_action, name="action"),
]
