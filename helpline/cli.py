"""The `helpline` command line: Django's management commands under our name.

`helpline migrate`, `helpline worker`, `helpline demo`, ... Later issues add
their own commands (ingest-email, apikey, sla) as management commands.
"""

from __future__ import annotations

import os
import sys


def main(argv: list[str] | None = None) -> int:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "helpline.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(["helpline", *(argv if argv is not None else sys.argv[1:])])
    return 0


if __name__ == "__main__":
    sys.exit(main())
