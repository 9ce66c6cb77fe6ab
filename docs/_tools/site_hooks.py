"""MkDocs hooks of the documentation site.

- The API reference reads the sources as installed. The checkout keeps ``autograd/``, ``checks/``
  and ``strategies/`` beside ``gradtrio/``; installed, they are gradtrio's subpackages
  (``package-dir`` in ``pyproject.toml``). mkdocstrings reads sources without importing them, so
  the tree it reads is laid out as links under ``build/docs-layout/`` (``mkdocs.yml`` points the
  Python handler there) before any page is rendered.
- The front page is the README, so that the two never drift apart: its links into ``docs/`` are
  made relative to the site.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from mkdocs.plugins import event_priority

ROOT = Path(__file__).resolve().parents[2]
LAYOUT = ROOT / "build" / "docs-layout" / "gradtrio"
#: What the installed package holds, and where each part lives in the checkout.
INSTALLED = {
    "__init__.py": ROOT / "gradtrio" / "__init__.py",
    "__main__.py": ROOT / "gradtrio" / "__main__.py",
    "autograd": ROOT / "autograd",
    "checks": ROOT / "checks",
    "strategies": ROOT / "strategies",
}
_DOCS_LINK = re.compile(r"\]\(docs/")


@event_priority(100)  # before mkdocstrings reads its paths
def on_config(config: Any, **kwargs: Any) -> Any:
    LAYOUT.mkdir(parents=True, exist_ok=True)
    for name, target in INSTALLED.items():
        link = LAYOUT / name
        if link.is_symlink() and link.resolve() == target:
            continue
        if link.is_symlink():
            link.unlink()
        link.symlink_to(target, target_is_directory=target.is_dir())
    return config


def on_page_markdown(markdown: str, page: Any, **kwargs: Any) -> str:
    if page.file.src_uri != "index.md":
        return markdown
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    return _DOCS_LINK.sub("](", readme)
