"""A tiny shop whose tests live next to it (see conftest.py and test_shop.py)."""

from typing import Protocol

from injectq import INJECTED, Module, inject


class PaymentGateway(Protocol):
    def charge(self, customer: str, cents: int) -> str: ...


class CardGateway:
    def charge(self, customer: str, cents: int) -> str:
        msg = "the real card network is not reachable from tests"
        raise ConnectionError(msg)


class Orders:
    def __init__(self, gateway: PaymentGateway) -> None:
        self.gateway = gateway
        self.placed: list[str] = []

    def place(self, customer: str, cents: int) -> str:
        receipt = self.gateway.charge(customer, cents)
        self.placed.append(receipt)
        return receipt


class ShopModule(Module):
    def configure(self) -> None:
        self.bind(PaymentGateway, CardGateway).singleton()
        self.bind(Orders).singleton()


@inject
def checkout(customer: str, orders: Orders = INJECTED) -> str:
    return orders.place(customer, 1999)
