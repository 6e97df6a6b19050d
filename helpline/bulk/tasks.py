"""Background work of bulk actions, run by the worker (`helpline worker`)."""

from __future__ import annotations

from django.tasks import task

from helpline.bulk import runner

# One run of a job: short, so the worker's other jobs (mail, the SLA sweep, the
# search index) never wait long behind a large selection; it queues itself again.
SLICE_SECONDS = 15.0


@task()
def run_job(job_id: int) -> str:
    """Work a bulk job for SLICE_SECONDS, then queue the rest. Safe to run twice
    and side by side: a run claims the job first (helpline.bulk.runner)."""
    ran = runner.run(job_id, seconds=SLICE_SECONDS)
    if ran == runner.Ran.MORE:
        run_job.enqueue(job_id)
    return str(ran)


@task()
def resume() -> int:
    """The periodic job `bulk.resume`: jobs whose task was lost go on, and jobs
    finished long ago are forgotten."""
    runner.forget_old()
    return runner.resume_stale()
