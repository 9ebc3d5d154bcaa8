"""Fixtures a test asks for by parameter name; pytest finds them here for every test file."""

from tests.sync_support import db

__all__ = ["db"]
