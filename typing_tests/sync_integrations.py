"""Type-checked, never run: `Injected` of the Flask, Django, Celery and Click integrations."""

from typing import Annotated, assert_type

from injectq import Named
from injectq.integrations import celery, click, django, flask


class Users:
    pass


def flask_view(a: flask.Injected[Users], b: flask.Injected[Annotated[Users, Named("x")]]) -> None:
    assert_type(a, Users)
    assert_type(b, Users)


def django_view(a: django.Injected[Users]) -> None:
    assert_type(a, Users)


def celery_task(a: celery.Injected[Users]) -> None:
    assert_type(a, Users)


def click_command(name: str, a: click.Injected[Users]) -> str:
    assert_type(a, Users)
    return name


typer_ready = click.typer_command(click_command)
assert_type(typer_ready("ada", Users()), str)  # typer_command keeps the function's type
