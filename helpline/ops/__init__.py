"""What operators run Helpline with: health endpoints (`health`, `views`), log
formatting (`logs`), error reporting (`errors`). Outside the apps' layers: it reads
their tables through the app registry and imports no channel (portal, desk, api)."""
