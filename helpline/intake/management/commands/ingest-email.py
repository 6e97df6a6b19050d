"""`helpline ingest-email` (the name in the docs): the same command as ingest_email.

Django finds commands by file name, so this file makes the dashed name work too.
"""

from helpline.intake.management.commands.ingest_email import Command

__all__ = ["Command"]
