"""Type-checked, never run: providers and factories of `T` return a `T` (or an awaitable).

`Provider[T]` and `Factory[T]` return a `T`; `AsyncProvider[T]` and `AsyncFactory[T]` an
awaitable of one. Rejected lines carry both checkers' ignore comments.
"""

from collections.abc import Awaitable
from typing import assert_type

from injectq import Assisted, AsyncFactory, AsyncProvider, Factory, InjectQ, Provider


class Connection:
    pass


class Report:
    def __init__(self, connection: Connection, title: Assisted[str]) -> None:
        self.connection = connection
        self.title = title


async def consumers(provide: Provider[Connection], aprovide: AsyncProvider[Connection]) -> None:
    assert_type(provide(), Connection)
    assert_type(aprovide(), Awaitable[Connection])
    assert_type(await aprovide(), Connection)
    forgot_await: Connection = aprovide()  # type: ignore[assignment]  # pyright: ignore[reportAssignmentType]
    del forgot_await
    aprovide(1)  # type: ignore[call-arg]  # pyright: ignore[reportCallIssue]


async def factories(
    container: InjectQ, new_report: Factory[Report], anew_report: AsyncFactory[Report]
) -> None:
    assert_type(new_report("Q1"), Report)
    assert_type(new_report(title="Q1").title, str)
    assert_type(container.get(Factory[Report])("Q2"), Report)
    assert_type(await anew_report("Q3"), Report)
    count: int = new_report("Q4").title  # type: ignore[assignment]  # pyright: ignore[reportAssignmentType]
    not_awaited: Report = anew_report("Q5")  # type: ignore[assignment]  # pyright: ignore[reportAssignmentType]
    del count, not_awaited
