"""Fixtures a test asks for by parameter name; pytest finds them here for every test file."""

import sys
from collections.abc import Iterator

import pytest

from tests.sync_support import db

__all__ = ["db", "fast_switching"]


@pytest.fixture
def fast_switching() -> Iterator[None]:
    """Switch threads every microsecond (CPython's interval), so races show up."""
    old = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    try:
        yield
    finally:
        sys.setswitchinterval(old)
