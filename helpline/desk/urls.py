from django.urls import path

from helpline.desk.views import (
    auth,
    away,
    bulk,
    canned,
    dashboard,
    linking,
    new,
    next_ticket,
    on_it,
    previews,
    profile,
    saved,
    search,
    tasks,
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
    path("profile/away/", away.away, name="away"),
    path("queues/<slug:queue>/", dashboard.dashboard, name="queue"),
    path("go/", dashboard.jump, name="jump"),
    # Saved views: queues as agents shape them (helpline.desk.saved_views).
    path("views/", saved.view_list, name="views"),
    path("views/new/", saved.view_edit, name="view_new"),
    path("views/counts/", saved.view_counts, name="view_counts"),
    path("views/<int:pk>/", saved.view_page, name="view"),
    path("views/<int:pk>/edit/", saved.view_edit, name="view_edit"),
    path("views/<int:pk>/delete/", saved.view_delete, name="view_delete"),
    path("next/", next_ticket.next_ticket, name="next_ticket"),
    path("bulk/", bulk.bulk_start, name="bulk_start"),
    path("bulk/matching/", bulk.bulk_matching, name="bulk_matching"),
    path("bulk/<int:pk>/", bulk.bulk_job, name="bulk_job"),
    path("search/", search.search_page, name="search"),
    path("search/suggest/", search.suggest, name="search_suggest"),
    path("search/customers/", search.customer_lookup, name="customer_lookup"),
    path("tickets/new/", new.new_ticket, name="new_ticket"),
    path("canned/", canned.canned_list, name="canned"),
    path("canned/new/", canned.canned_edit, name="canned_new"),
    path("canned/<int:pk>/", canned.canned_edit, name="canned_edit"),
    path("canned/<int:pk>/delete/", canned.canned_delete, name="canned_delete"),
    # Tasks inside tickets (helpline.ticket_tasks): "My tasks", a ticket's new
    # task, a task's page and the changes made on it.
    path("tasks/", tasks.my_tasks, name="my_tasks"),
    path("tasks/count/", tasks.my_tasks_count, name="my_tasks_count"),
    path("tasks/new/<ticket:number>/", tasks.new_task, name="new_task"),
    path("tasks/<int:pk>/", tasks.task_view, name="task"),
    path("tasks/<int:pk>/<slug:action>/", tasks.task_action, name="task_action"),
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
    # Merging, linking and splitting (views.linking): before the actions too.
    path("tickets/<ticket:number>/merge/preview/", linking.merge_preview, name="merge_preview"),
    path("tickets/<ticket:number>/merge/", linking.merge, name="merge"),
    path("tickets/<ticket:number>/unmerge/", linking.unmerge, name="unmerge"),
    path("tickets/<ticket:number>/link/", linking.link, name="link"),
    path("tickets/<ticket:number>/unlink/", linking.unlink, name="unlink"),
    path("tickets/<ticket:number>/split/", linking.split, name="split"),
    path("tickets/<ticket:number>/on-it/", on_it.on_it_view, name="on_it"),
    path("tickets/<ticket:number>/draft/<slug:kind>/", together.save_draft, name="draft"),
    path("tickets/<ticket:number>/canned/", canned.pick, name="canned_pick"),
    path("tickets/<ticket:number>/<slug:action>/", ticket.ticket_action, name="action"),
]
