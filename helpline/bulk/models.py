"""A bulk action: one change an agent asked for on many tickets, and what became
of it on each.

A `BulkJob` holds the change (an action and its parameters, checked and
prepared when the job is made) and one `BulkItem` per ticket, in the order the
agent saw them, with the version of the ticket the agent saw. The runner
(helpline.bulk.runner) makes the change ticket by ticket through the lifecycle,
so every permission and transition check applies to each; it records each
ticket's outcome in the same transaction as the change, so a runner that dies
mid-way leaves no ticket changed twice and none forgotten.

States of a job: PENDING (made, not started) -> RUNNING (a runner holds its
lease, `lease_until`) -> DONE. A job whose runner died is RUNNING with a lease in
the past: the next runner takes it over where it stopped (the items still
PENDING). An item: PENDING -> DONE | REFUSED (with the sentence the lifecycle
gave, or "changed meanwhile").
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from helpline.accounts.models import Agent
from helpline.tickets.models import Ticket


class JobState(models.TextChoices):
    PENDING = "pending", _("Waiting")
    RUNNING = "running", _("Running")
    DONE = "done", _("Finished")


class Outcome(models.TextChoices):
    PENDING = "pending", _("Waiting")
    DONE = "done", _("Done")
    REFUSED = "refused", _("Refused")


class BulkJob(models.Model):
    agent = models.ForeignKey(
        Agent, on_delete=models.CASCADE, related_name="+", verbose_name=_("agent")
    )
    action = models.CharField(max_length=20, verbose_name=_("action"))
    # The action's parameters as ids and prepared (sanitized) text, never objects:
    # see helpline.bulk.actions.
    params = models.JSONField(default=dict, blank=True, verbose_name=_("parameters"))
    # Where it was asked: "desk" or "api" (the result page links back to the queue).
    channel = models.CharField(max_length=8, default="desk", verbose_name=_("channel"))
    back_url = models.CharField(max_length=2000, blank=True, verbose_name=_("back to"))
    state = models.CharField(
        max_length=8, choices=JobState.choices, default=JobState.PENDING, verbose_name=_("state")
    )
    total = models.PositiveIntegerField(default=0, verbose_name=_("tickets"))
    done = models.PositiveIntegerField(default=0, verbose_name=_("done"))
    refused = models.PositiveIntegerField(default=0, verbose_name=_("refused"))
    created_at = models.DateTimeField(verbose_name=_("created"))
    started_at = models.DateTimeField(null=True, blank=True, verbose_name=_("started"))
    finished_at = models.DateTimeField(null=True, blank=True, verbose_name=_("finished"))
    # The runner working on it holds it until then (a conditional UPDATE claims it).
    lease_until = models.DateTimeField(null=True, blank=True, verbose_name=_("held until"))
    # The token of the runner holding the lease: its every write of the job is
    # conditional on it (helpline.bulk.runner).
    runner = models.CharField(max_length=32, blank=True, editable=False, verbose_name=_("runner"))

    class Meta:
        verbose_name = _("bulk action")
        verbose_name_plural = _("bulk actions")
        indexes = [
            # The agent's unfinished jobs (the limit on how many run at once).
            models.Index(fields=["agent", "state"], name="bulk_job_agent_state"),
            # The resume sweep: unfinished jobs whose runner's lease ran out.
            models.Index(fields=["state", "lease_until"], name="bulk_job_state_lease"),
        ]

    def __str__(self) -> str:
        return f"{self.action}: {self.total}"

    @property
    def finished(self) -> bool:
        return self.state == JobState.DONE

    @property
    def processed(self) -> int:
        return self.done + self.refused

    @property
    def percent(self) -> int:
        return 100 if not self.total else round(100 * self.processed / self.total)


class BulkItem(models.Model):
    job = models.ForeignKey(
        BulkJob, on_delete=models.CASCADE, related_name="items", verbose_name=_("bulk action")
    )
    position = models.PositiveIntegerField(verbose_name=_("position"))
    # SET_NULL: the result keeps the number of a ticket deleted since.
    ticket = models.ForeignKey(
        Ticket, on_delete=models.SET_NULL, null=True, related_name="+", verbose_name=_("ticket")
    )
    number = models.CharField(max_length=20, verbose_name=_("number"))
    # The version the agent saw (None: whatever it is when its turn comes).
    expected_version = models.PositiveIntegerField(
        null=True, blank=True, verbose_name=_("version seen")
    )
    outcome = models.CharField(
        max_length=8, choices=Outcome.choices, default=Outcome.PENDING, verbose_name=_("outcome")
    )
    message = models.TextField(blank=True, verbose_name=_("message"))

    class Meta:
        verbose_name = _("bulk action ticket")
        verbose_name_plural = _("bulk action tickets")
        constraints = [
            models.UniqueConstraint(fields=["job", "position"], name="bulk_item_job_position")
        ]
        indexes = [
            # The runner's next items and the result page's lists: by outcome, in order.
            models.Index(fields=["job", "outcome", "position"], name="bulk_item_job_outcome"),
        ]

    def __str__(self) -> str:
        return f"#{self.number}: {self.outcome}"
