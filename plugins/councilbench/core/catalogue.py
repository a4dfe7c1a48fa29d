"""The member registry and metric catalogue, read from the dbt seed files.

The seeds are the single source of truth: dbt loads them into the warehouse, and the
validation reads them here, so a council can validate its file on a laptop with no
warehouse at all, against exactly the rules the platform applies.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import lru_cache

from councilbench.core import settings

TIERS = ("metropolitan_borough", "unitary", "county", "district")


@dataclass(frozen=True)
class Metric:
    metric_id: str
    metric_name: str
    service_area: str
    definition: str
    unit: str
    value_type: str  # proportion | count | mean | amount
    polarity: str
    frequency: str  # monthly | quarterly | annual
    delivering_tiers: tuple[str, ...]
    required: bool
    numerator: str
    denominator: str
    scale: float
    per_capita_basis: str | None
    lower_bound: float
    upper_bound: float
    mom_warn_pct: float | None
    source: str
    reference: str

    @property
    def from_council_return(self) -> bool:
        return self.source == "council_return"

    def delivered_by(self, tier: str) -> bool:
        return tier in self.delivering_tiers


@dataclass(frozen=True)
class Council:
    code: str
    name: str
    short_name: str
    tier: str
    county_code: str | None
    county_name: str | None
    return_source: str
    website: str
    #: Where its "spend over £500" file is fetched from: a template with {spend_base_url}
    #: and {period} (YYYY-MM, or YYYY-Qn for a council publishing quarterly).
    spend_source: str = ""
    spend_frequency: str = "monthly"  # monthly | quarterly: how often it publishes its spend
    #: Where it deposits its pay data: a template with {pay_base_url} and {period} (the
    #: pay year, YYYY-YY).
    pay_source: str = ""
    #: Its EmployerId in GOV.UK's gender pay gap data ('' until confirmed).
    gpg_employer_id: str = ""

    def return_uri(self, period: str, returns_base_url: str | None = None) -> str:
        base = returns_base_url or settings.returns_base_url()
        return self.return_source.format(
            returns_base_url=base.rstrip("/"), period=period, gss_code=self.code, short_name=self.short_name
        )

    def spend_uri(self, period: str, spend_base_url: str | None = None) -> str:
        base = spend_base_url or settings.spend_base_url()
        return self.spend_source.format(
            spend_base_url=base.rstrip("/"), period=period, gss_code=self.code, short_name=self.short_name
        )

    def pay_uri(self, pay_year: str, pay_base_url: str | None = None) -> str:
        base = pay_base_url or settings.pay_base_url()
        return self.pay_source.format(
            pay_base_url=base.rstrip("/"), period=pay_year, gss_code=self.code, short_name=self.short_name
        )


@dataclass(frozen=True)
class Contact:
    council_code: str
    name: str
    email: str
    role: str


def _rows(name: str) -> list[dict]:
    with open(settings.seeds_dir() / name, newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def _num(text: str) -> float | None:
    return float(text) if text not in ("", None) else None


@lru_cache(maxsize=1)
def metrics() -> dict[str, Metric]:
    out = {}
    for r in _rows("metric_catalogue.csv"):
        out[r["metric_id"]] = Metric(
            metric_id=r["metric_id"],
            metric_name=r["metric_name"],
            service_area=r["service_area"],
            definition=r["definition"],
            unit=r["unit"],
            value_type=r["value_type"],
            polarity=r["polarity"],
            frequency=r["frequency"],
            delivering_tiers=tuple(r["delivering_tiers"].split("|")),
            required=r["required"] == "yes",
            numerator=r["numerator"],
            denominator=r["denominator"],
            scale=float(r["scale"]),
            per_capita_basis=None if r["per_capita_basis"] in ("", "none") else r["per_capita_basis"],
            lower_bound=float(r["lower_bound"]),
            upper_bound=float(r["upper_bound"]),
            mom_warn_pct=_num(r["mom_warn_pct"]),
            source=r["source"],
            reference=r["reference"],
        )
    return out


@lru_cache(maxsize=1)
def councils() -> dict[str, Council]:
    return {
        r["gss_code"]: Council(
            code=r["gss_code"],
            name=r["council_name"],
            short_name=r["short_name"],
            tier=r["tier"],
            county_code=r["county_gss_code"] or None,
            county_name=r["county_name"] or None,
            return_source=r["return_source"],
            website=r["website"],
            spend_source=r["spend_source"],
            spend_frequency=r["spend_frequency"],
            pay_source=r.get("pay_source", ""),
            gpg_employer_id=r.get("gpg_employer_id", ""),
        )
        for r in _rows("council_registry.csv")
    }


class UnknownCouncil(KeyError, ValueError):
    """No council has this GSS code or short name."""

    def __str__(self) -> str:
        return self.args[0]


def find_council(code_or_name: str) -> Council:
    """A council by GSS code (any case) or short name (dudley, telford-and-wrekin): the
    one way every command and generator resolves what a person typed."""
    key = (code_or_name or "").strip()
    by_code = councils()
    if key.upper() in by_code:
        return by_code[key.upper()]
    for council in by_code.values():
        if council.short_name == key.lower():
            return council
    raise UnknownCouncil(
        f"unknown council {code_or_name!r}: give its GSS code (e.g. E08000027) or short name (e.g. dudley)"
    )


@lru_cache(maxsize=1)
def contacts() -> dict[str, list[Contact]]:
    out: dict[str, list[Contact]] = {}
    for r in _rows("council_contacts.csv"):
        out.setdefault(r["gss_code"], []).append(Contact(r["gss_code"], r["contact_name"], r["email"], r["role"]))
    return out


def return_metrics_for(tier: str) -> list[Metric]:
    """Metrics a council of this tier reports in its return."""
    return [m for m in metrics().values() if m.from_council_return and m.delivered_by(tier)]
