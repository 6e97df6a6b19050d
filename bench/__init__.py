"""`make bench`: Helpline's speed measured on real server processes, side by side with
django-helpdesk 2.6.1 in the same run (issue 11). See docs/performance.md.

    bench/run.py         the run: databases, sizes, phases, results.json
    bench/servers.py     gunicorn, `helpline worker`, the aiosmtpd sink
    bench/measure.py     latency of pages, opening load, interleaved comparisons
    bench/helpline_side.py  runs inside Helpline: fill, bench accounts, SLA sweep
    bench/helpdesk/      django-helpdesk: its venv, settings, bulk fill
    bench/report.py      the table, and docs/performance.md's marked section

The bench never runs inside the test suite's timing: figures are only printed and
written, and a figure never fails a run (a broken benchmark does).
"""
