"""Channel plugins, each written without knowledge of the others."""

from notifier_core import Channel, Outbox

from injectq import Module, provider


class EmailChannel:
    def __init__(self, outbox: Outbox) -> None:
        self.outbox = outbox

    def send(self, recipient: str, text: str) -> str:
        return f"email to {recipient}: {text}"


class SmsChannel:
    def send(self, recipient: str, text: str) -> str:
        return f"sms to {recipient}: {text[:40]}"


class WebhookSettings:
    def __init__(self, url: str) -> None:
        self.url = url


class WebhookChannel:
    def __init__(self, settings: WebhookSettings) -> None:
        self.settings = settings

    def send(self, recipient: str, text: str) -> str:
        return f"POST {self.settings.url}/{recipient}: {text}"


class EmailPlugin(Module):
    def configure(self) -> None:
        self.bind(Channel, EmailChannel, name="email").singleton()


class SmsPlugin(Module):
    def configure(self) -> None:
        self.bind(Channel).named("sms").to(SmsChannel)


class WebhookPlugin(Module):
    def configure(self) -> None:
        self.bind(Channel, WebhookChannel, name="webhook")

    @provider
    def settings(self) -> WebhookSettings:
        return WebhookSettings(url="https://hooks.example.test")
