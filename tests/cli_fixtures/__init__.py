"""Modules the CLI tests point `python -m injectq` at."""
