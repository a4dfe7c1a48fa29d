"""Categorising payment lines into ProClass: the seeds hold together, a council's spellings
of one type land in one category, a council's own rules win, and what no rule matches is
kept and counted as unclassified spend."""

from __future__ import annotations

import csv
import time
from decimal import Decimal

import numpy as np
import pandas as pd
import pytest

from councilbench.core import catalogue, settings
from councilbench.spend.categories import (
    CATEGORY_COLUMNS,
    CATEGORY_SEED,
    MAP_SEED,
    MATCH_ON,
    NON_INFLUENCEABLE_CODE,
    CategoryMap,
    Heading,
    Rule,
    categorise,
    categorise_frame,
    code_key,
    default_map,
    split_code,
    type_key,
    unclassified_share,
)

BIRMINGHAM, COVENTRY, STAFFORDSHIRE = "E08000025", "E08000026", "E10000028"


def seed(name: str) -> list[dict]:
    with open(settings.seeds_dir() / name, newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


# --- the seeds ----------------------------------------------------------------------------


def test_proclass_headings_hold_together():
    rows = seed(CATEGORY_SEED)
    codes = [r["proclass_code"] for r in rows]
    assert len(codes) == len(set(codes)), "codes are unique"
    assert all(len(c) == 6 and c.isdigit() for c in codes)
    level1 = {r["proclass_code"]: r for r in rows if r["proclass_level"] == "1"}
    level2 = [r for r in rows if r["proclass_level"] == "2"]
    assert len(level1) + len(level2) == len(rows), "every heading is level 1 or 2"
    assert all(not r["parent_code"] for r in level1.values())
    for r in level2:
        assert r["parent_code"] in level1, f"{r['proclass_code']} {r['proclass_name']}: parent missing"
        # the code shape: a level-2 code sits inside its parent's block of ten thousand
        assert r["proclass_code"][:2] == r["parent_code"][:2] and r["proclass_code"][-2:] == "00"
    names = [r["proclass_name"] for r in rows]
    assert len(names) == len(set(names)), "names are unique"
    assert len(level1) >= 25 and all(any(r["parent_code"] == c for r in level2) for c in level1)
    assert {"Care Services (Adults)", "Highways", "Utilities", "Waste Management"} <= {
        r["proclass_name"] for r in level1.values()
    }


def test_every_map_row_points_at_a_level2_heading_and_a_known_council():
    level2 = {r["proclass_code"] for r in seed(CATEGORY_SEED) if r["proclass_level"] == "2"}
    councils = set(catalogue.councils())
    rows = seed(MAP_SEED)
    assert len(rows) >= 300
    for r in rows:
        assert r["proclass_code"] in level2, r
        assert r["match_on"] in MATCH_ON, r
        assert r["pattern"].strip(), r
        assert not r["council_code"] or r["council_code"] in councils, r
    # loading checks the same and that no two rows read alike mean different things
    cmap = default_map()
    assert len(cmap.rules) == len(rows)


def test_a_map_row_that_contradicts_another_is_refused():
    headings = [
        Heading("100000", 1, "Top", None),
        Heading("100100", 2, "A", "100000"),
        Heading("100200", 2, "B", "100000"),
    ]
    rules = [
        Rule("", "expense_type", "Repairs & Maintenance - Buildings", "100100", source="map line 2"),
        Rule("", "expense_type", "Building Repairs and Maintenance", "100200", source="map line 3"),
    ]
    with pytest.raises(ValueError, match=r"map line 3.*100200.*map line 2.*100100"):
        CategoryMap(headings, rules)
    with pytest.raises(ValueError, match="not a level-2 heading"):
        CategoryMap(headings, [Rule("", "keyword", "x", "100000", source="map line 2")])
    with pytest.raises(ValueError, match="not in the registry"):
        CategoryMap(headings, [Rule("E99999999", "keyword", "x", "100100")], council_codes={BIRMINGHAM})


# --- normalising what councils write --------------------------------------------------------


@pytest.mark.parametrize(
    ("written", "text", "code"),
    [
        ("Electricity (4010)", "Electricity", "4010"),
        ("4010 - Electricity", "Electricity", "4010"),
        ("4010 Electricity", "Electricity", "4010"),
        ("Electricity - E4010", "Electricity", "E4010"),
        ("Electricity [4010]", "Electricity", "4010"),
        ("B4210", "", "B4210"),
        ("Section 17 Payments", "Section 17 Payments", None),
        ("Supported Accommodation 16+", "Supported Accommodation 16+", None),
    ],
)
def test_a_ledger_code_written_into_the_type_is_split_off(written, text, code):
    assert split_code(written) == (text, code)


def test_type_keys_ignore_case_ampersands_punctuation_plurals_abbreviations_and_order():
    key = type_key("Repairs & Maintenance - Buildings")
    assert key == "building maintenance repair"
    for variant in (
        "REPAIRS AND MAINTENANCE BUILDINGS",
        "R&M Buildings",
        "Bldg Repairs & Maint",
        "Repairs and Maintenance of Buildings (4100)",
    ):
        assert type_key(variant) == key, variant
    assert type_key("Software Licenses") == type_key("software licence")
    assert code_key(" 4010.0 ") == "4010" and code_key("b 42 10") == "B4210"


# --- categorising ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("level2", "variants"),
    [
        (
            "Building Repairs & Maintenance",
            [
                "Repairs & Maintenance - Buildings",
                "REPAIRS AND MAINTENANCE - BUILDINGS",
                "R & M Buildings",
                "Buildings R&M (4100)",
                "Repairs & Maint. - Bldgs",
            ],
        ),
        (
            "Software & Licences",
            [
                "Software Licences",
                "software licenses",
                "Software Licence",
                "Licences - Software",
                "4510 - Software Licences",
            ],
        ),
        (
            "Agency & Temporary Staff",
            ["Agency Staff", "AGENCY STAFF", "Agency staff costs", "Temp Staff", "Temporary Staff"],
        ),
        (
            "Residential Care (Adults)",
            [
                "Residential Care - External",
                "Residential Care External",
                "residential care (external)",
                "Res Care - External",
            ],
        ),
        ("Home Care (Adults)", ["Home Care", "Homecare", "Domiciliary Care", "Dom Care", "Home Care - External"]),
        (
            "Grants & Contributions",
            [
                "Grants to Voluntary Orgs",
                "Grants to Voluntary Organisations",
                "Grants to Voluntary Organizations",
                "Grants to Vol. Orgs",
            ],
        ),
        ("Taxis & Private Hire", ["Taxi / Transport Contracts", "Taxi/Transport Contracts", "Taxis", "taxi hire"]),
        ("Stationery", ["Stationery", "Stationary", "STATIONERY (5010)", "Office Stationery"]),
        ("Vehicle Fuel", ["Vehicle Fuel", "Fuel - Vehicles", "Fuel for Vehicles", "Diesel"]),
        ("Telecommunications", ["Telephones", "Telephone", "Tel. Charges", "Mobile Phones"]),
        ("Waste Disposal & Treatment", ["Waste Disposal Contracts", "Waste Disposal Contract", "Disposal of Waste"]),
    ],
)
def test_spelling_variants_land_in_one_category(level2, variants):
    found = {v: categorise(v) for v in variants}
    assert {c.level2 for c in found.values()} == {level2}, {v: (c.level2, c.method) for v, c in found.items()}
    assert found[variants[0]].method == "exact"


def test_the_common_expense_types_are_classified():
    common = [
        "Agency Staff", "Repairs & Maintenance - Buildings", "Software Licences", "Electricity", "Vehicle Fuel",
        "Residential Care - External", "Home Care", "Professional Fees", "Legal Fees", "Stationery",
        "Equipment Purchase", "Grants to Voluntary Orgs", "Highways Maintenance", "Waste Disposal Contracts",
        "Catering Provisions", "Cleaning", "Taxi / Transport Contracts", "Rents", "Rates", "Insurance",
        "Postage", "Telephones", "Consultants", "Training", "Books & Publications", "Gas", "Water",
    ]  # fmt: skip
    found = {t: categorise(t) for t in common}
    assert all(c.classified and c.method == "exact" for c in found.values()), [
        t for t, c in found.items() if not c.classified
    ]
    assert found["Legal Fees"].level1 == "Legal Services"
    assert found["Home Care"].level1 == "Care Services (Adults)"
    assert found["Rates"].level1_code == NON_INFLUENCEABLE_CODE and not found["Rates"].influenceable
    assert found["Insurance"].influenceable


def test_generic_and_unknown_types_stay_unclassified_and_say_why():
    private = categorise("Private Contractors")
    assert (private.code, private.level1, private.method) == (None, "Unclassified", "unclassified")
    assert "Private Contractors" in private.matched
    assert categorise("", "").matched == "no expense type or code"
    assert categorise(None, float("nan")).method == "unclassified"


def test_keywords_are_a_conservative_last_resort():
    lighting = categorise("Electricity - Depot Heating & Lighting")
    assert (lighting.level2, lighting.method, lighting.matched) == ("Electricity", "keyword", "keyword 'electricity'")
    # a keyword inside a longer one found with it does not count against it
    assert categorise("Annual Software Licence Renewal").matched == "keyword 'software licence'"
    # keywords that disagree claim nothing
    mixed = categorise("Software Training Course")
    assert mixed.method == "unclassified" and "'training'" in mixed.matched and "'software'" in mixed.matched
    # whole words only: counselling is not counsel
    assert categorise("Counselling Sessions").method == "unclassified"


def test_a_councils_own_rules_win_over_the_general_ones():
    # Staffordshire's 'Transport Contracts' are school transport; nobody else's are anything
    staffs = categorise("Transport Contracts", "", STAFFORDSHIRE)
    assert (staffs.level2, staffs.method) == ("Home to School Transport", "council_code")
    assert categorise("Transport Contracts", "", COVENTRY).method == "unclassified"
    # Coventry's 'Energy' is electricity; in general it is utilities not elsewhere classified
    assert categorise("Energy", "", COVENTRY).level2 == "Electricity"
    assert categorise("Energy", "", BIRMINGHAM).level2 == "Utilities Not Elsewhere Classified"
    # a council's ledger code beats the general reading of the type written beside it
    coded = categorise("Stationery", "5123", BIRMINGHAM)
    assert (coded.level2, coded.method) == ("Agency & Temporary Staff", "council_code")
    assert "51*" in coded.matched
    assert categorise("Stationery", "5123", COVENTRY).level2 == "Stationery"
    # a code written into the type serves when the code column is blank; council codes any case
    assert categorise("Supplies (4010)", "", BIRMINGHAM.lower()).level2 == "Electricity"


def test_precedence_on_a_small_map():
    headings = [Heading("100000", 1, "Top", None)] + [Heading(f"1001{i}0", 2, f"H{i}", "100000") for i in range(6)]
    rules = [
        Rule("", "expense_code", "40*", "100100"),
        Rule("", "expense_code", "401*", "100110"),
        Rule("", "expense_type", "Widgets", "100120"),
        Rule("", "keyword", "gadget", "100130"),
        Rule("E1", "expense_type", "Widgets", "100140"),
        Rule("E1", "expense_code", "4019", "100150"),
    ]
    cmap = CategoryMap(headings, rules)
    assert cmap.categorise("Widgets", "4019", "E1").code == "100150"  # council code
    assert cmap.categorise("Widgets", "4000", "E1").code == "100140"  # council type beats general code
    assert cmap.categorise("Widgets", "4012", "E2").code == "100110"  # longest general prefix
    assert cmap.categorise("Widgets", "", "E2").method == "exact"
    assert cmap.categorise("widget", "", "").method == "normalised"
    assert cmap.categorise("Blue Gadgets", "", "").method == "keyword"


# --- frames ---------------------------------------------------------------------------------


def lines_frame() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "council_code": [BIRMINGHAM, BIRMINGHAM, BIRMINGHAM, COVENTRY, COVENTRY, COVENTRY],
            "expense_type": [
                "Electricity",
                "Private Contractors",
                "Private Contractors",
                "Agency Staff",
                "Mystery Item",
                None,
            ],
            "expense_code": ["", "", "", "", "", "9999"],
            "net_amount": [
                Decimal("1000.00"),
                Decimal("250.50"),
                Decimal("-50.50"),
                Decimal("600"),
                Decimal("400"),
                None,
            ],
        }
    )


def test_categorise_frame_keeps_every_line_and_its_amount():
    lines = lines_frame()
    out = categorise_frame(lines)
    assert list(out.columns) == [*lines.columns, *CATEGORY_COLUMNS]
    assert len(out) == len(lines) and out["net_amount"].tolist() == lines["net_amount"].tolist()
    assert out["category_method"].tolist() == [
        "exact",
        "unclassified",
        "unclassified",
        "exact",
        "unclassified",
        "unclassified",
    ]
    assert out["proclass_level2"].tolist()[0] == "Electricity" and out["proclass_level1"].tolist()[1] == "Unclassified"
    assert pd.isna(out["proclass_code"].tolist()[1])  # null, as the warehouse will hold it
    # a whole file's lines, the council given once
    one = categorise_frame(lines.drop(columns="council_code"), council_code=STAFFORDSHIRE)
    assert one["category_method"].tolist()[0] == "exact"


def test_unclassified_share_per_council_by_net_amount():
    share = unclassified_share(lines_frame()).set_index("council_code")
    birmingham, coventry = share.loc[BIRMINGHAM], share.loc[COVENTRY]
    assert (birmingham["lines"], birmingham["unclassified_lines"]) == (3, 2)
    assert (birmingham["net_total"], birmingham["unclassified_net"]) == (1200.0, 200.0)  # the credit note nets
    assert birmingham["unclassified_share"] == pytest.approx(200 / 1200, abs=1e-4)
    assert (coventry["lines"], coventry["unclassified_lines"], coventry["net_total"]) == (3, 2, 1000.0)
    assert coventry["unclassified_share"] == pytest.approx(0.4)
    one = unclassified_share(lines_frame().drop(columns="council_code"), council_code=COVENTRY)
    assert one.to_dict("records")[0]["unclassified_net"] == 600.0
    with pytest.raises(ValueError, match="council_code"):
        unclassified_share(lines_frame().drop(columns="council_code"))


def test_categorise_frame_speed_on_200k_lines():
    rng = np.random.default_rng(15)
    cmap = default_map()
    written = [r.pattern for r in cmap.rules if r.match_on == "expense_type"]
    types = np.array(
        written + [t.upper() + " (4010)" for t in written[:200]] + ["Private Contractors", "Misc"], dtype=object
    )
    councils = np.array(sorted(catalogue.councils()), dtype=object)
    n = 200_000
    lines = pd.DataFrame(
        {
            "council_code": councils[rng.integers(0, len(councils), n)],
            "expense_type": types[rng.integers(0, len(types), n)],
            "expense_code": rng.choice(
                np.array(["", "4010", "5123", "B4210"], dtype=object), n, p=[0.7, 0.1, 0.1, 0.1]
            ),
            "net_amount": rng.normal(2000, 800, n).round(2),
        }
    )
    fresh = CategoryMap(list(cmap.headings.values()), cmap.rules)  # no cached answers
    started = time.perf_counter()
    out = categorise_frame(lines, category_map=fresh)
    took = time.perf_counter() - started
    share = unclassified_share(out)
    print(f"\ncategorise_frame: {n} lines, {len(fresh._cache)} distinct, {took:.2f} s; "
          f"unclassified share {share['unclassified_net'].sum() / share['net_total'].sum():.3f}")  # fmt: skip
    assert len(out) == n and out["category_method"].notna().all()
    sample = out.sample(500, random_state=1)
    for row in sample.itertuples():
        expected = fresh.categorise(row.expense_type, row.expense_code, row.council_code).code
        assert row.proclass_code == expected or (expected is None and pd.isna(row.proclass_code))
    assert len(share) == len(councils) and share["lines"].sum() == n
