"""Integrations with web frameworks, each behind an optional extra (``injectq[fastapi]``)."""
