"""Tasks inside tickets (osTicket's "tasks"): pieces of work a ticket needs done
before it may be resolved or closed, each with its own assignee, department, due
date, notes and history.

- `models`: `Task`, its `TaskNote` thread and `TaskEvent` history, and the
  `TaskTemplate`s a help topic hands every new ticket;
- `lifecycle`: the only write path for tasks (permission, one transaction, an
  event per change), and `closing_refusal`, the guard that keeps a ticket with
  open tasks from being resolved or closed;
- `templates`: the tasks a new ticket gets from its help topic;
- `permissions`: who may see and do what with a task;
- `queries`: the read side (a ticket's tasks, an agent's "My tasks").

The app sits beside automation, above the tickets core: the core never imports
it, and it reaches the core's changes through the registry in
`helpline.tickets.lifecycle.hooks` and the `events_recorded` signal, both wired in
`TicketTasksConfig.ready()`. The desk's pages are in `helpline.desk.views.tasks`.
"""
