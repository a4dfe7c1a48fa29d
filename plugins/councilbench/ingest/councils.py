"""Which registry council a cell of a council's own file names ('Dudley MBC', 'E08000027'),
for the validators that check a file is the council's own (spend's body, pay's council)."""

from __future__ import annotations

import re
from functools import lru_cache

from councilbench.core import catalogue

#: Words councils add to or drop from their names: 'Dudley MBC', 'Dudley Metropolitan
#: Borough Council' and 'Dudley Council' are one body. No two registry names differ only by them.
_BODY_WORDS = frozenset(
    ("council", "borough", "city", "metropolitan", "district", "county", "the", "of", "mbc", "mdc", "bc", "dc", "cc")
)
_NOT_WORD = re.compile(r"[^a-z0-9]+")


def body_key(text: str) -> str:
    words = _NOT_WORD.sub(" ", text.lower().replace("&", " and ")).split()
    return " ".join(w for w in words if w not in _BODY_WORDS)


@lru_cache(maxsize=1)
def _bodies() -> dict[str, str]:
    """body key -> GSS code, by name, short name and code."""
    out: dict[str, str] = {}
    for c in catalogue.councils().values():
        for key in (body_key(c.name), body_key(c.short_name), c.code.lower()):
            if out.setdefault(key, c.code) != c.code:
                raise ValueError(f"two councils share the body key {key!r}: make body_key tell them apart")
    return out


def council_named(text: str) -> str | None:
    """The GSS code of the registry council `text` names, else the text as written
    (None when blank)."""
    text = (text or "").strip()
    return _bodies().get(body_key(text), text) if text else None
