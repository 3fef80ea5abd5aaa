"""Finding playbooks: every Playbook subclass in a module of `playbooks/library/`.

Adding a playbook is adding a module there; nothing else is edited.
"""

from __future__ import annotations

import importlib
import pkgutil
from functools import cache

import playbooks.library
from playbooks.base import Playbook


class UnknownPlaybook(KeyError):
    def __str__(self) -> str:
        return str(self.args[0])


class Registry:
    def __init__(self, found: list[Playbook]) -> None:
        self._by_name: dict[str, Playbook] = {}
        self._by_cause: dict[str, Playbook] = {}
        for pb in sorted(found, key=lambda p: p.name):
            for index, key in ((self._by_name, pb.name), (self._by_cause, pb.root_cause)):
                if key in index:
                    raise ValueError(f"two playbooks claim {key!r}: {type(index[key]).__name__} and "
                                     f"{type(pb).__name__}")
                index[key] = pb

    def all(self) -> list[Playbook]:
        return list(self._by_name.values())

    def get(self, name: str) -> Playbook:
        if name not in self._by_name:
            raise UnknownPlaybook(f"no playbook {name!r}; known: {', '.join(self._by_name)}")
        return self._by_name[name]

    def for_root_cause(self, root_cause: str) -> Playbook | None:
        return self._by_cause.get(root_cause)


def _subclasses(cls: type[Playbook]) -> list[type[Playbook]]:
    out = []
    for sub in cls.__subclasses__():
        out.append(sub)
        out.extend(_subclasses(sub))
    return out


@cache
def default_registry() -> Registry:
    for module in pkgutil.iter_modules(playbooks.library.__path__):
        importlib.import_module(f"playbooks.library.{module.name}")
    found = [cls() for cls in _subclasses(Playbook)
             if cls.__module__.startswith("playbooks.library.") and hasattr(cls, "root_cause")]
    return Registry(found)
