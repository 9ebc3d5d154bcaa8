"""The dispatcher's core: channels are plugged in by other modules, by name."""

from typing import Protocol

from injectq import Module, resource


class Channel(Protocol):
    """Delivers one rendered message to one recipient."""

    def send(self, recipient: str, text: str) -> str: ...


class Formatter:
    """Renders a message; applications usually replace it with their own."""

    def render(self, subject: str, body: str) -> str:
        return f"{subject}: {body}"


@resource
class Outbox:
    """Keeps a record of every delivery and flushes it when the container closes."""

    def __init__(self) -> None:
        self.deliveries: list[str] = []

    def record(self, line: str) -> None:
        self.deliveries.append(line)

    def dispose(self) -> None:
        print(f"outbox flushed: {len(self.deliveries)} deliveries recorded")


class Delivery:
    """Per-message context: one per request scope."""

    counter = 0

    def __init__(self) -> None:
        Delivery.counter += 1
        self.number = Delivery.counter


class Dispatcher:
    """Sends messages through whichever channels the installed plugins registered."""

    def __init__(self, channels: dict[str, Channel], formatter: Formatter, outbox: Outbox) -> None:
        self.channels = channels
        self.formatter = formatter
        self.outbox = outbox

    def dispatch(
        self, delivery: Delivery, channel: str, recipient: str, subject: str, body: str
    ) -> str:
        text = self.formatter.render(subject, body)
        receipt = self.channels[channel].send(recipient, text)
        self.outbox.record(receipt)
        return f"#{delivery.number} {receipt}"


class CoreModule(Module):
    """What every deployment of the dispatcher needs."""

    def configure(self) -> None:
        self.bind(Formatter).as_default().singleton()  # a default applications may replace
        self.bind(Outbox).singleton()
        self.bind(Dispatcher).singleton()
        self.bind(Delivery).scoped()
