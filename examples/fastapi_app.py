"""A small FastAPI app wired by injectq, exercised with TestClient (no server needed)."""

from collections.abc import Iterator
from typing import Annotated

from fastapi import FastAPI
from fastapi.testclient import TestClient

from injectq import InjectQ, Module, provider
from injectq.integrations.fastapi import Injected, setup


class Catalog:
    def __init__(self) -> None:
        self.items = {"1": "keyboard", "2": "mouse"}


class Basket:
    def __init__(self, catalog: Catalog) -> None:
        self.catalog = catalog
        self.contents: list[str] = []

    def add(self, item_id: str) -> list[str]:
        self.contents.append(self.catalog.items[item_id])
        return self.contents


class ShopModule(Module):
    def configure(self) -> None:
        self.bind(Catalog).singleton()
        self.bind(Basket).scoped()  # one basket per request

    @provider(scope="request")
    def audit(self) -> Iterator[list[str]]:
        trail: list[str] = []
        yield trail
        print(f"  request finished, audit trail: {trail}")


def create_app() -> FastAPI:
    container = InjectQ(ShopModule())
    app = FastAPI()
    setup(app, container)

    @app.post("/basket/{item_id}")
    def add_to_basket(
        item_id: str,
        basket: Injected[Basket],
        # The older spelling works too; pyright never lets an Annotated alias be called.
        audit: Annotated[list[str], Injected(list[str])],  # pyright: ignore[reportCallIssue]
    ) -> list[str]:
        audit.append(f"added {item_id}")
        return basket.add(item_id)

    return app


def main() -> None:
    with TestClient(create_app()) as client:
        for item in ("1", "2"):
            print(f"POST /basket/{item} ->", client.post(f"/basket/{item}").json())


if __name__ == "__main__":
    main()
