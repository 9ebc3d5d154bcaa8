"""Resolution tracing: every construction logged with its time when debug is on."""

import logging

import pytest

from injectq import InjectQ, Module


class Engine:
    pass


class Car:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine


class CarModule(Module):
    def configure(self) -> None:
        self.bind(Engine).singleton()
        self.bind(Car)


def test_debug_logs_each_construction_with_scope_source_and_path(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """With debug=True each construction is one DEBUG record naming what, where and how."""
    container = InjectQ(CarModule(), debug=True)
    with caplog.at_level(logging.DEBUG, logger="injectq"):
        container.get(Car)
        container.get(Car)
    messages = [r.getMessage() for r in caplog.records if r.name == "injectq"]
    assert len(messages) == 3  # the singleton engine once, a transient car twice
    assert messages[0].startswith("built Engine (singleton, tests/test_tracing.py:")
    assert messages[0].endswith("ms via Engine")  # a singleton is created by its own factory
    assert messages[1].startswith("built Car (transient, tests/test_tracing.py:")
    assert " ms via Car" in messages[1]


def test_tracing_is_off_by_default(
    caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without debug nothing is logged, even with the logger at DEBUG."""
    monkeypatch.delenv("INJECTQ_DEBUG", raising=False)
    container = InjectQ(CarModule())
    with caplog.at_level(logging.DEBUG, logger="injectq"):
        container.get(Car)
    assert [r for r in caplog.records if r.name == "injectq"] == []


def test_environment_variable_turns_tracing_on(
    caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    """INJECTQ_DEBUG=1 turns tracing on for containers created afterwards."""
    monkeypatch.setenv("INJECTQ_DEBUG", "1")
    container = InjectQ(CarModule())
    with caplog.at_level(logging.DEBUG, logger="injectq"):
        container.get(Engine)
    assert any("built Engine" in r.getMessage() for r in caplog.records)
