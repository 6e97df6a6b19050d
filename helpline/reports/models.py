"""The daily rollups the reports read instead of the events (see
helpline.reports.rollups for how they are kept, and docs/decisions.md, "Reports
from daily rollups", for why they look like this).

A rollup row holds what happened on one local day (the site's report time zone,
`settings.REPORTS_TIME_ZONE`) to the tickets of one group of one grouping
(`dim`, `key`), at one *scope*:

- scope 0 ("by department"): one row per department. Administrators, the API and
  supervisors (for their own departments) read these: a day has at most
  groups x departments of them, however many tickets there are.
- scope 1 ("by who"): one row per department, assignee, team and the agent each
  figure is about (`agent_key`). They answer what scope 0 cannot: an agent's own
  figures (`agent_key`) and what a supervisor sees beyond their departments
  (tickets assigned to them or their teams, as `visibility_filter` allows).

Every key is a plain value with 0 or "" for "none" (no NULL in a unique key,
which SQLite and PostgreSQL treat differently), as in tickets.QueueCount.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

# The figures a rollup row counts; every one is a plain sum over days and rows.
COUNTS = (
    "opened",
    "assigned",
    "overdue",
    "fr_breaches",
    "res_breaches",
    "resolved",
    "closed",
    "reopened",
    "fr_met",
    "fr_met_n",
    "res_met",
    "res_met_n",
    "handled",  # tickets handled that day in the group, each once
    "handled_own",  # the same, once per agent (scope 1: an agent's own figures)
    "backlog",  # the day's change of the open tickets in the group
    # Customer ratings given that day, by score, in the groups of the moment and
    # by agent to the agent whose resolution was rated (Rating.agent).
    "rated_good",
    "rated_okay",
    "rated_bad",
)
# The time series: how many values and their sum, in seconds (means are exact).
SERIES = ("fr", "frb", "res", "resb")
# Their histograms' columns (DailyRollup.<series>_hist).
HISTOGRAMS = tuple(f"{series}_hist" for series in SERIES)


class Scope(models.IntegerChoices):
    DEPARTMENT = 0, _("by department")
    WHO = 1, _("by department, assignee, team and agent")


class _Keyed(models.Model):
    day = models.DateField(verbose_name=_("day"))
    dim = models.CharField(max_length=12, verbose_name=_("grouping"))
    key = models.CharField(max_length=40, blank=True, verbose_name=_("group"))
    scope = models.PositiveSmallIntegerField(choices=Scope.choices, verbose_name=_("scope"))
    department_key = models.BigIntegerField(default=0, verbose_name=_("department"))
    assignee_key = models.BigIntegerField(default=0, verbose_name=_("assignee"))
    team_key = models.BigIntegerField(default=0, verbose_name=_("team"))
    agent_key = models.BigIntegerField(default=0, verbose_name=_("agent"))

    class Meta:
        abstract = True


KEY_FIELDS = (
    "dim",
    "scope",
    "day",
    "key",
    "department_key",
    "assignee_key",
    "team_key",
    "agent_key",
)


def _indexes(prefix: str) -> list[models.Index]:
    # Only the rows by who are read by who (the rows by department, most of the
    # writes, do not maintain these indexes); the id comes first, so the planner
    # never takes them for the (grouping, scope, day) range of the unique key.
    who = models.Q(scope=Scope.WHO)
    return [
        # An agent's own figures: their rows of one grouping over the period.
        models.Index(fields=["agent_key", "dim", "day"], name=f"{prefix}_agent", condition=who),
        # A supervisor's tickets beyond their departments: assigned to them ...
        models.Index(
            fields=["assignee_key", "dim", "day"], name=f"{prefix}_assignee", condition=who
        ),
        # ... or to one of their teams.
        models.Index(fields=["team_key", "dim", "day"], name=f"{prefix}_team", condition=who),
    ]


class DailyRollup(_Keyed):
    """The figures of one group on one day (see the module docstring)."""

    opened = models.IntegerField(default=0, verbose_name=_("opened"))
    assigned = models.IntegerField(default=0, verbose_name=_("assigned"))
    overdue = models.IntegerField(default=0, verbose_name=_("overdue"))
    fr_breaches = models.IntegerField(default=0, verbose_name=_("first responses overdue"))
    res_breaches = models.IntegerField(default=0, verbose_name=_("resolutions overdue"))
    resolved = models.IntegerField(default=0, verbose_name=_("resolved"))
    closed = models.IntegerField(default=0, verbose_name=_("closed"))
    reopened = models.IntegerField(default=0, verbose_name=_("reopened"))
    fr_met = models.IntegerField(default=0, verbose_name=_("first responses in time"))
    fr_met_n = models.IntegerField(default=0, verbose_name=_("first responses with a target"))
    res_met = models.IntegerField(default=0, verbose_name=_("resolutions in time"))
    res_met_n = models.IntegerField(default=0, verbose_name=_("resolutions with a target"))
    handled = models.IntegerField(default=0, verbose_name=_("handled"))
    handled_own = models.IntegerField(default=0, verbose_name=_("handled by the agent"))
    backlog = models.IntegerField(default=0, verbose_name=_("backlog change"))
    rated_good = models.IntegerField(default=0, verbose_name=_("rated good"))
    rated_okay = models.IntegerField(default=0, verbose_name=_("rated okay"))
    rated_bad = models.IntegerField(default=0, verbose_name=_("rated bad"))
    fr_n = models.IntegerField(default=0, verbose_name=_("first responses"))
    fr_sum = models.FloatField(default=0, verbose_name=_("first response seconds"))
    frb_n = models.IntegerField(default=0, verbose_name=_("first responses (business hours)"))
    frb_sum = models.FloatField(default=0, verbose_name=_("first response business seconds"))
    res_n = models.IntegerField(default=0, verbose_name=_("resolutions"))
    res_sum = models.FloatField(default=0, verbose_name=_("resolution seconds"))
    resb_n = models.IntegerField(default=0, verbose_name=_("resolutions (business hours)"))
    resb_sum = models.FloatField(default=0, verbose_name=_("resolution business seconds"))
    # Each series' histogram: {bucket: how many values} (rollups.bucket_of), only
    # the buckets that hold values. The percentiles come from the buckets summed
    # over the period's rows. In the row, not one row per bucket: a row per bucket
    # made three in four of the rollups' rows (1.4 million of 1.8 million at 30,000
    # generated tickets).
    fr_hist = models.JSONField(default=dict, verbose_name=_("first response histogram"))
    frb_hist = models.JSONField(
        default=dict, verbose_name=_("first response histogram (business hours)")
    )
    res_hist = models.JSONField(default=dict, verbose_name=_("resolution histogram"))
    resb_hist = models.JSONField(
        default=dict, verbose_name=_("resolution histogram (business hours)")
    )

    class Meta:
        verbose_name = _("daily rollup")
        verbose_name_plural = _("daily rollups")
        constraints = [
            # The UPSERT's conflict target; its order also serves the reports'
            # range read: one grouping, one scope, the period's days.
            models.UniqueConstraint(fields=list(KEY_FIELDS), name="rollup_key"),
        ]
        indexes = _indexes("rollup")

    def __str__(self) -> str:
        return f"{self.day} {self.dim}={self.key or '-'} (scope {self.scope})"


class RollupTicket(models.Model):
    """Where the rollups last counted a ticket: its groups and whether it was open
    (for the backlog's moves when that changes) and the agents who handled it on
    its last handled day (Handled counts a ticket once per day). Written with the
    rollups; rebuilt from the events by `rollups.rebuild`."""

    ticket_id = models.BigIntegerField(primary_key=True, verbose_name=_("ticket"))
    state = models.JSONField(default=dict, verbose_name=_("state"))

    class Meta:
        verbose_name = _("rollup ticket state")
        verbose_name_plural = _("rollup ticket states")

    def __str__(self) -> str:
        return f"ticket {self.ticket_id}"
