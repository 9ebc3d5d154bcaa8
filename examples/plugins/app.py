"""A notification dispatcher wired from independent plugin modules.

Run it from the repository root with ``make demo`` (or ``python examples/plugins/app.py``).
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from notifier_core import Channel, CoreModule, Delivery, Dispatcher, Formatter
from notifier_plugins import EmailPlugin, SmsPlugin, WebhookPlugin

from injectq import InjectQ, Module


class BrandedFormatter(Formatter):
    def render(self, subject: str, body: str) -> str:
        return f"[Acme] {subject} - {body}"


class AppModule(Module):
    """The application: replaces the core's default formatter, no overrides needed."""

    def configure(self) -> None:
        self.bind(Formatter, BrandedFormatter).singleton()


def describe_wiring(container: InjectQ) -> None:
    print("modules installed:", ", ".join(container.graph.modules))
    print("channels registered (named bindings of Channel, in install order):")
    for info in container.graph:
        if info.key is Channel:
            print(
                f"  {info.name:8} -> {info.target:16} {info.scope:10} "
                f"bound in {info.modules[0]} at {Path(info.file).name}:{info.line}"
            )
    formatter = container.graph.get(Formatter)
    assert formatter is not None
    print(
        f"formatter: {formatter.target} (bound in {formatter.modules[0]}; "
        "the core's default gave way)"
    )


def main() -> None:
    with InjectQ(CoreModule(), EmailPlugin(), SmsPlugin(), WebhookPlugin(), AppModule()) as app:
        describe_wiring(app)
        dispatcher = app.get(Dispatcher)
        print("sending:")
        for channel, recipient in [("email", "ada"), ("sms", "grace"), ("webhook", "ops")]:
            with app.scope():  # one request scope per message
                delivery = app.get(Delivery)
                print(
                    "  "
                    + dispatcher.dispatch(
                        delivery, channel, recipient, "Welcome", "your account is ready"
                    )
                )
        print(f"channels available to the dispatcher: {sorted(dispatcher.channels)}")
    # leaving the block closed the container: the outbox resource was disposed


if __name__ == "__main__":
    main()
