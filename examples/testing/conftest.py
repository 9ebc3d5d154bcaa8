from shop import PaymentGateway, ShopModule

from injectq import InjectQ, Module
from injectq.testing import container_fixture


class FakeGateway:
    def charge(self, customer: str, cents: int) -> str:
        return f"fake receipt for {customer}: {cents}"


class FakesModule(Module):
    def configure(self) -> None:
        self.bind(PaymentGateway, FakeGateway).singleton()


# The one line: every test asking for `injectq_container` gets a fresh, activated
# container with the fakes laid over the production module, closed after the test.
injectq_container = container_fixture(lambda: InjectQ(ShopModule()), overrides=[FakesModule()])
