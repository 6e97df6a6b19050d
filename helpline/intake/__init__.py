"""Email intake: mail in, tickets out, through the lifecycle only.

Public entry points:
- `helpline.intake.ingest.ingest_message(raw, mailbox=None, channel="email")`: one raw
  message -> IngestResult(outcome, ticket, reason); for the pipe command, the
  osTicket `/api/tickets.email` endpoint and the poller.
- `helpline.intake.fetch.poll_due_mailboxes()`: the worker's periodic job (also the
  task `helpline.intake.tasks.poll_mailboxes`); `poll_mailbox(mailbox)` for one.
- `helpline.intake.parse.parse_message(raw)`: pure parsing, never raises.
- `helpline.intake.ingest.retry_quarantined` / `discard_quarantined`: the admin's
  quarantine actions.
- `helpline ingest-email` (management command): one message on standard input.
"""
