"""Supplier names and identifiers as councils publish them, reduced to comparable keys.

The same company reaches the spend files as 'THE MIDLAND CARE SERVICES LTD.',
'Midland Care Services Limited' and 'midland care  services': one key,
'midland care services', is what resolution compares. The key drops what says nothing
about which company it is (case, accents, punctuation, the legal form, a leading 'The',
titles of sole traders) and spells '&' as 'and'. Legal forms are removed with cleanco's
matcher over a British term list: its default list holds every country's forms, and
would also strip words such as 'uk' (Uzbekistan) or 'co' from inside a name's meaning.

A name 'J Smith T/A Smith Plumbing' is keyed by the trade name, what other councils
publish; the legal part is kept as an alias only when it is a company (it carried a
legal form), because a company's registered name is unique and a person's is not.

Company numbers and VAT numbers are normalised to the forms their registers use, so
that exact matching on them works whatever a finance system did to them.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

from cleanco.clean import custom_basename

#: Legal forms removed from the end of a name (British and Irish forms, and 'company').
LEGAL_FORMS = (
    "limited",
    "ltd",
    "plc",
    "public limited company",
    "llp",
    "limited liability partnership",
    "lp",
    "limited partnership",
    "cic",
    "community interest company",
    "cio",
    "charitable incorporated organisation",
    "unlimited",
    "co",
    "company",
    "and co",
    "and company",
)
#: Words of legal forms a name cut short can end inside ('Midland Care Services Limi').
_LEGAL_WORDS = ("limited", "ltd", "plc", "llp", "company", "cic", "cio")
#: Titles before a sole trader's name.
_TITLES = frozenset({"mr", "mrs", "ms", "miss", "dr", "mx"})

_TRADING_AS = re.compile(r"\s(?:t\s*/\s*as?|t\.a\.|trading\s+as|tradings?\s+as)\s", re.IGNORECASE)
_APOSTROPHES = re.compile(r"['’`´]")
_NOT_WORD = re.compile(r"[^a-z0-9]+")
_DOTTED_INITIALS = re.compile(r"\b((?:[a-z]\.){2,})")
_LEGAL_TERMS = sorted(((len(t.split()), t.split()) for t in LEGAL_FORMS), key=lambda x: (-x[0], x[1]))


@dataclass(frozen=True)
class NameKey:
    """What resolution compares for one raw name.

    key: the trade name reduced; alias: the legal name reduced when it is a company's
    (from 'X Ltd T/A Y'), else None; truncated: the raw name reached the cut-off
    length, so its last word may be partial and a longer name it begins may be it.
    """

    key: str
    alias: str | None = None
    truncated: bool = False
    had_legal_form: bool = False


def _plain(text: str) -> str:
    """Lower case ASCII words separated by single spaces; '&' spelled 'and'."""
    text = unicodedata.normalize("NFKD", text.replace("&amp;", "&")).encode("ascii", "ignore").decode()
    text = _APOSTROPHES.sub("", text.casefold())
    text = _DOTTED_INITIALS.sub(lambda m: m.group(1).replace(".", ""), text)
    text = text.replace("&", " and ").replace("+", " and ")
    return _NOT_WORD.sub(" ", text).strip()


def _without_legal_form(words: str) -> tuple[str, bool]:
    """Remove legal forms from the end until none is left ('Smith and Co Ltd' -> 'smith')."""
    stripped = False
    while True:
        shorter = custom_basename(words, _LEGAL_TERMS, suffix=True)
        if shorter == words or shorter in ("", "the", "and"):  # 'The Company' stays itself
            return words, stripped
        words, stripped = shorter, True


def _without_prefixes(words: str) -> str:
    parts = words.split()
    while len(parts) > 1 and (parts[0] == "the" or parts[0] in _TITLES):
        parts = parts[1:]
    return " ".join(parts)


def _reduce(name: str, truncated: bool = False) -> tuple[str, bool]:
    words = _plain(name)
    if truncated:
        words = _without_partial_legal_word(words)
    words, had_form = _without_legal_form(words)
    return _without_prefixes(words), had_form


def _without_partial_legal_word(words: str) -> str:
    """Drop a last word that a cut made out of a legal form ('... services limi')."""
    parts = words.split()
    if len(parts) > 1 and any(w.startswith(parts[-1]) and w != parts[-1] for w in _LEGAL_WORDS):
        return " ".join(parts[:-1])
    return words


@lru_cache(maxsize=200_000)
def name_key(raw: str, cut_at: int = 35) -> NameKey:
    """The comparable key of one published supplier name (see the module's docstring)."""
    # Cut at 35 and then trimmed of the space it ended on, a name may be 34 long.
    truncated = cut_at > 0 and cut_at - 1 <= len(raw.strip()) <= cut_at
    raw = " ".join(raw.split())
    parts = [part.strip() for part in _TRADING_AS.split(f" {raw} ", maxsplit=1)]
    if len(parts) == 2 and not (parts[0] and parts[1]):
        raw = parts[0] or parts[1]  # 'Foo Ltd T/A' with nothing after it
    elif len(parts) == 2:
        legal_key, legal_is_company = _reduce(parts[0])
        key, had_form = _reduce(parts[1], truncated)
        alias = legal_key if legal_is_company and legal_key and legal_key != key else None
        return NameKey(key, alias, truncated, had_form or legal_is_company)
    key, had_form = _reduce(raw, truncated)
    return NameKey(key, None, truncated, had_form)


def company_number(text: str | None) -> str | None:
    """A Companies House number as the register writes it (8 characters), or None.

    '1234567', '01234567', '1234567.0' -> '01234567'; 'sc 123456' -> 'SC123456'.
    Placeholders ('N/A', '0', '#N/A') are None.
    """
    if text is None:
        return None
    # A spreadsheet may have made the number a float ('1234567.0') and dropped its zeros.
    value = re.sub(r"\.0+$", "", str(text).strip())
    value = re.sub(r"[\s.\-]", "", value).upper()
    if value.isdigit() and 0 < len(value) <= 8 and int(value) > 0:
        return value.zfill(8)
    match = re.fullmatch(r"([A-Z]{2})(\d{1,6})", value)
    if match and int(match.group(2)) > 0:
        return match.group(1) + match.group(2).zfill(6)
    return None


def vat_number(text: str | None) -> str | None:
    """A UK VAT registration number without 'GB', spaces or a branch suffix, or None.

    'GB 123 4567 89', '123456789', 'GB123456789001' -> '123456789'; 'GD001', 'HA500'
    (government departments, health authorities) are kept as they are.
    """
    if text is None:
        return None
    value = re.sub(r"[\s.\-]", "", str(text)).upper()
    value = re.sub(r"^(GB|XI)", "", value)
    if re.fullmatch(r"(GD|HA)\d{3}", value):
        return value
    if re.fullmatch(r"\d{9}(\d{3})?", value) and int(value[:9]) > 0:
        return value[:9]
    return None
