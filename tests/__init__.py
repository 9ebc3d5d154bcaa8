"""The test suite (a package, so that mypy names its modules as pytest imports them)."""
