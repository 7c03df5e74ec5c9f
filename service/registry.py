"""Stages and backends registered by name, spaCy-style.

A pipeline config (service/config.py) names the stages and their options; the
registry turns names into objects. Heavy models load in a factory's constructor,
once per process, so the same stage object serves the CLI, HTTP workers and batch actors.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol, TypeVar

from .document import Document


class Stage(Protocol):
    """Every stage: a document in, the same document enriched out."""

    def __call__(self, doc: Document) -> Document: ...


F = TypeVar("F", bound=Callable[..., Any])

_REGISTRIES: dict[str, dict[str, Callable[..., Any]]] = {"stages": {}, "ocr": {}, "labellers": {}}


def register(kind: str, name: str) -> Callable[[F], F]:
    """Register a factory under ``kind`` (stages | ocr | labellers) and ``name``."""

    def deco(factory: F) -> F:
        _REGISTRIES[kind][name] = factory
        return factory

    return deco


def create(kind: str, name: str, **options: Any) -> Any:
    _load_builtin()
    try:
        factory = _REGISTRIES[kind][name]
    except KeyError:
        known = ", ".join(sorted(_REGISTRIES[kind])) or "none"
        raise ValueError(f"unknown {kind} {name!r} (known: {known})") from None
    return factory(**options)


def names(kind: str) -> list[str]:
    _load_builtin()
    return sorted(_REGISTRIES[kind])


def _load_builtin() -> None:
    # Importing the modules runs their @register decorators.
    from . import stages  # noqa: F401
