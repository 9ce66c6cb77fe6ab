"""Griffe extension: the Sphinx roles of gradtrio's docstrings as cross-references.

The docstrings name other objects as Sphinx does (``:func:`judge```, ``:class:`~.protocol.Engine```,
``:mod:`.replays```), and introduce a literal block with ``::``; mkdocstrings reads Markdown. Each
role becomes an optional cross-reference to the object its name resolves to from the docstring's
own scope (a link where the site documents that object, code where it does not), and ``::``
before an indented block becomes ``:``.
"""

from __future__ import annotations

import re
from typing import Any

from griffe import Alias, Extension, Module, NameResolutionError, Object

ROLE = re.compile(r":(?:py:)?(?:func|class|meth|mod|data|attr|exc|obj):`(~?)([^`]+)`")
LITERAL_BLOCK = re.compile(r"::\n(\n+ {4})")


def _package(obj: Object) -> Module:
    """The package a relative name in ``obj``'s docstring starts from (one leading dot)."""
    module = obj.module
    return module if module.is_package else module.parent  # type: ignore[return-value]


def target(obj: Object, name: str) -> str:
    """The full path ``name`` stands for in ``obj``'s docstring ('' when it resolves nowhere)."""
    if name.startswith("."):
        base: Object = _package(obj)
        dots = len(name) - len(name.lstrip("."))
        for _ in range(dots - 1):
            base = base.parent  # type: ignore[assignment]
        return f"{base.path}.{name.lstrip('.')}"
    head, _, rest = name.partition(".")
    try:
        path = obj.resolve(head)
    except NameResolutionError:
        return name if name.startswith("gradtrio.") else ""
    return f"{path}.{rest}" if rest else path


def rewrite(obj: Object, text: str) -> str:
    def link(match: re.Match[str]) -> str:
        short, name = match.groups()
        title = name.rsplit(".", 1)[-1] if short else name.lstrip(".")
        path = target(obj, name)
        if not path:
            return f"`{title}`"
        return f'<autoref identifier="{path}" optional><code>{title}</code></autoref>'

    return LITERAL_BLOCK.sub(r":\n\1", ROLE.sub(link, text))


class SphinxRoles(Extension):
    def on_package(self, *, pkg: Module, **kwargs: Any) -> None:
        pending: list[Object] = [pkg]
        while pending:
            obj = pending.pop()
            if obj.docstring is not None:
                obj.docstring.value = rewrite(obj, obj.docstring.value)
            pending += [m for m in obj.members.values() if not isinstance(m, Alias)]
