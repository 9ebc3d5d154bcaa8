from shop import Orders, PaymentGateway, checkout

from injectq import InjectQ
from injectq.testing import OverrideFn


def test_orders_use_the_fake_gateway(injectq_container: InjectQ) -> None:
    orders = injectq_container.get(Orders)
    assert orders.place("ada", 500) == "fake receipt for ada: 500"


def test_each_test_gets_a_fresh_container(injectq_container: InjectQ) -> None:
    assert injectq_container.get(Orders).placed == []


def test_inject_functions_use_the_test_container(injectq_container: InjectQ) -> None:
    assert checkout("grace") == "fake receipt for grace: 1999"


def test_one_binding_overridden_for_this_test_only(injectq_override: OverrideFn) -> None:
    class Declining:
        def charge(self, customer: str, cents: int) -> str:
            return "declined"

    container = injectq_override(PaymentGateway, Declining())
    assert container.get(Orders).place("bob", 1) == "declined"


async def test_async_tests_work_too(injectq_container: InjectQ) -> None:
    orders = await injectq_container.aget(Orders)
    assert orders.place("eve", 7).startswith("fake receipt")
