"""The registry and metric catalogue seeds: complete, consistent, and what the
validation, the warehouse and the reports rely on."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

SEEDS = Path(__file__).resolve().parents[2] / "dbt_project" / "seeds"
SHARED_REFERENCE = Path(__file__).resolve().parents[3] / "shared" / "reference" / "west_midlands_councils.csv"
#: The repository's copy of the shared reference: what the registry is compared with.
REFERENCE_COPY = Path(__file__).resolve().parents[1] / "fixtures" / "reference" / "west_midlands_councils.csv"
TIERS = {"metropolitan_borough", "unitary", "county", "district"}
SERVICE_AREAS = {
    "waste",
    "roads",
    "planning",
    "housing",
    "adult_social_care",
    "childrens_services",
    "finance",
    "workforce",
    "economy",
}


def rows(name: str) -> list[dict]:
    with open(SEEDS / name, newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


@pytest.fixture(scope="module")
def catalogue():
    return rows("metric_catalogue.csv")


def test_registry_matches_the_shared_reference():
    """The registry seed against the reference list of councils. The comparison always
    runs: it reads the repository's copy of the reference (tests/fixtures/reference/), so a
    clone without shared/ beside it still checks every council, never skips."""
    registry = {r["gss_code"]: r for r in rows("council_registry.csv")}
    with open(REFERENCE_COPY, newline="", encoding="utf-8") as f:
        reference = {r["gss_code"]: r for r in csv.DictReader(f)}
    assert set(registry) == set(reference)
    for code, ref in reference.items():
        assert registry[code]["tier"] == ref["tier"]
        assert registry[code]["county_gss_code"] == ref["county_gss_code"]
    assert len(registry) == 33
    assert {r["tier"] for r in registry.values()} == TIERS
    for r in registry.values():
        assert "{period}" in r["return_source"], r["gss_code"]
    assert len({r["short_name"] for r in registry.values()}) == 33


def test_the_reference_copy_is_the_shared_reference_where_shared_is_checked_out():
    """In development shared/ sits beside the repository: the copy must be the same file,
    so an edit to the shared reference reaches the comparison above. A clone on its own
    (no shared/) has only the copy, and the comparison above still runs on it."""
    assert REFERENCE_COPY.is_file(), f"the reference copy is missing: {REFERENCE_COPY}"
    if SHARED_REFERENCE.parent.parent.is_dir():  # shared/ is checked out: its reference must be there
        assert SHARED_REFERENCE.is_file(), f"shared/ has no reference list of councils: {SHARED_REFERENCE}"
        assert REFERENCE_COPY.read_bytes() == SHARED_REFERENCE.read_bytes(), (
            f"{REFERENCE_COPY} differs from {SHARED_REFERENCE}: copy the shared reference again"
        )


def test_every_council_has_contacts_on_a_reserved_domain():
    contacts = rows("council_contacts.csv")
    codes = {r["gss_code"] for r in rows("council_registry.csv")}
    assert {c["gss_code"] for c in contacts} == codes
    for c in contacts:
        assert c["email"].endswith(".example"), c["email"]  # no real mailbox is ever hit
        assert c["role"] in {"primary", "deputy"}


def test_catalogue_covers_every_service_area(catalogue):
    assert len(catalogue) >= 30
    by_area = {}
    for m in catalogue:
        by_area.setdefault(m["service_area"], []).append(m["metric_id"])
    assert set(by_area) == SERVICE_AREAS
    assert all(len(ids) >= 3 for ids in by_area.values()), by_area
    names = " ".join(m["metric_name"].lower() for m in catalogue)
    assert "vacant" in names and "retail" in names
    assert "claimant" in names


def test_catalogue_rules_are_coherent(catalogue):
    ids = [m["metric_id"] for m in catalogue]
    assert len(ids) == len(set(ids))
    for m in catalogue:
        assert m["polarity"] in {"higher_is_better", "lower_is_better", "context"}, m["metric_id"]
        assert m["frequency"] in {"monthly", "quarterly", "annual"}, m["metric_id"]
        assert set(m["delivering_tiers"].split("|")) <= TIERS, m["metric_id"]
        assert float(m["lower_bound"]) < float(m["upper_bound"]), m["metric_id"]
        assert float(m["scale"]) > 0, m["metric_id"]
        if m["value_type"] in ("proportion", "mean"):
            assert m["numerator"] and m["denominator"], m["metric_id"]
        if m["unit"] == "percent" and m["value_type"] == "proportion":
            # Not capped at 100: collection rates pass it when arrears come in, reserves and
            # debt are percentages of spending; a budget variance may be negative.
            assert float(m["scale"]) == 100 and float(m["lower_bound"]) >= -100, m["metric_id"]
