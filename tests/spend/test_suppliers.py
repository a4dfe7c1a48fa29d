"""Supplier resolution: names reduced to keys, records resolved to canonical suppliers
(numbers, names, cut names, slips), people's overrides, and precision and recall on the
sample generator's labelled names."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from councilbench.dev import sample_suppliers
from councilbench.spend.names import company_number, name_key, vat_number
from councilbench.spend.suppliers import (
    DISTINCT,
    MATCH_TABLE_COLUMNS,
    SupplierRecord,
    load_overrides,
    pairwise_scores,
    resolve,
    write_match_table,
)

R = SupplierRecord


def by_name(rows):
    return {row.raw_name: row for row in rows}


def ids(rows) -> dict[str, str | None]:
    return {row.raw_name: row.canonical_id for row in rows}


# --- names -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "key"),
    [
        ("Midland Care Services Ltd", "midland care services"),
        ("MIDLAND CARE SERVICES LIMITED", "midland care services"),
        ("Midland Care Services Ltd.", "midland care services"),
        ("  midland   care services  ", "midland care services"),
        ("The Midland Care Services (Ltd)", "midland care services"),
        ("Midland Care Services, LTD.", "midland care services"),
        ("Smith & Jones Builders PLC", "smith and jones builders"),
        ("Smith and Jones Builders p.l.c.", "smith and jones builders"),
        ("Smith &amp; Jones Builders Public Limited Company", "smith and jones builders"),
        ("Smith & Co Ltd", "smith"),
        ("Cook Associates L.L.P.", "cook associates"),
        ("Unity Homecare Community Interest Company", "unity homecare"),
        ("Walsall Carers Centre CIO", "walsall carers centre"),
        ("Mr J. Smith", "j smith"),
        ("Women's Aid (Dudley)", "womens aid dudley"),
        ("A.B.C. Roofing Ltd", "abc roofing"),
        ("Café Crème Ltd", "cafe creme"),
        ("The Company", "company"),  # nothing left but the form: keep what there is
        ("Amey UK plc", "amey uk"),  # 'UK' says which company; only legal forms go
        ("Thetford Fuels", "thetford fuels"),
    ],
)
def test_name_keys(raw, key):
    assert name_key(raw).key == key


def test_trading_as_keys_the_trade_name_and_keeps_a_company_as_alias():
    person = name_key("J Smith T/A Smith Plumbing")
    assert (person.key, person.alias) == ("smith plumbing", None)  # a person's name is no evidence
    company = name_key("ABC Holdings Ltd t/a Kwik Fix")
    assert (company.key, company.alias) == ("kwik fix", "abc holdings")
    for spelling in (
        "J Smith trading as Smith Plumbing",
        "J SMITH T / A SMITH PLUMBING",
        "J Smith t/as Smith Plumbing",
    ):
        assert name_key(spelling).key == "smith plumbing"
    assert name_key("Foo Ltd T/A").key == "foo"


def test_a_name_of_the_cut_length_is_marked_cut_and_loses_a_partial_legal_form():
    cut = "Midland Care Services Group Limite"  # 34 characters after trimming
    assert len(cut) == 34
    key = name_key(cut)
    assert key.truncated and key.key == "midland care services group"
    assert not name_key("Midland Care Services Ltd").truncated
    assert not name_key("Birmingham Community Healthcare NHS Foundation Trust").truncated
    assert not name_key("Midland Care Services Group Limite", cut_at=0).truncated


@pytest.mark.parametrize(
    ("text", "number"),
    [
        ("01234567", "01234567"),
        ("1234567", "01234567"),
        ("1234567.0", "01234567"),
        (" 0123 4567 ", "01234567"),
        ("sc123456", "SC123456"),
        ("OC301234", "OC301234"),
        ("SC 12345", "SC012345"),
        ("N/A", None),
        ("#N/A", None),
        ("0", None),
        ("", None),
        (None, None),
        ("123456789", None),
    ],
)
def test_company_numbers(text, number):
    assert company_number(text) == number


@pytest.mark.parametrize(
    ("text", "number"),
    [
        ("GB 123 4567 89", "123456789"),
        ("123456789", "123456789"),
        ("gb123-456-789", "123456789"),
        ("GB123456789001", "123456789"),  # a branch: the same registration
        ("GD001", "GD001"),
        ("HA500", "HA500"),
        ("Not registered", None),
        ("000000000", None),
        ("12345678", None),
        (None, None),
    ],
)
def test_vat_numbers(text, number):
    assert vat_number(text) == number


# --- resolution --------------------------------------------------------------------------


def test_the_same_company_number_or_vat_number_joins_whatever_the_names():
    rows = by_name(
        resolve(
            [
                R("Apex Highways Ltd", company_number="1234567.0", council="A"),
                R("APEX HWYS", company_number="01234567", council="B"),
                R("Keystone Digital Ltd", vat_number="GB 123 4567 89", council="A"),
                R("KEYSTONE (IT)", vat_number="123456789", council="C"),
            ]
        )
    )
    assert rows["APEX HWYS"].canonical_id == rows["Apex Highways Ltd"].canonical_id == "ch:01234567"
    assert rows["APEX HWYS"].method == "company_number"
    assert rows["KEYSTONE (IT)"].canonical_id == rows["Keystone Digital Ltd"].canonical_id == "vat:123456789"
    assert rows["KEYSTONE (IT)"].method == "vat"


def test_names_that_reduce_to_one_key_are_one_supplier():
    raws = ["Midland Care Services Ltd", "MIDLAND CARE SERVICES LIMITED", "The Midland Care  Services"]
    rows = resolve([R(raw, council=c) for raw, c in zip(raws, "ABC", strict=True)])
    assert {row.canonical_id for row in rows} == {"name:midland-care-services"}
    assert {row.method for row in rows} == {"exact_name"}
    assert {row.canonical_name for row in rows} == {"Midland Care Services Ltd"}  # whole, not shouted, legal


def test_a_cut_name_joins_the_one_supplier_it_begins():
    full = "Birmingham Community Healthcare NHS Foundation Trust"
    rows = by_name(resolve([R(full, council="A"), R(full[:35], council="B"), R(full[:35].upper(), council="C")]))
    cut = rows[full[:35]]
    assert cut.canonical_id == rows[full].canonical_id
    assert (cut.method, cut.matched_to) == ("truncated_prefix", full)
    assert rows[full].canonical_name == full


def test_a_cut_name_two_suppliers_begin_is_left_for_review():
    a, b = "Heart of England Community Care Services Ltd", "Heart of England Community Care Servants Ltd"
    cut = a[:35]
    assert b.startswith(cut)
    rows = by_name(resolve([R(a, "01111111", council="A"), R(b, "02222222", council="B"), R(cut, council="C")]))
    assert rows[cut].canonical_id not in (rows[a].canonical_id, rows[b].canonical_id)
    assert rows[cut].method == "unique"


def test_a_whole_name_of_35_characters_is_not_stretched_to_a_longer_one():
    whole = "Steven Hill T/A Steven's Electrical"  # 35 characters, and complete
    assert len(whole) == 35
    rows = by_name(
        resolve(
            [
                R(whole, council="A"),
                R("S Hill t/a Steven's Electrical", council="B"),  # the same key, plainly uncut
                R("Stevens Electrical Contractors PLC", "01788823", council="C"),
            ]
        )
    )
    assert rows[whole].canonical_id == rows["S Hill t/a Steven's Electrical"].canonical_id
    assert rows[whole].canonical_id != rows["Stevens Electrical Contractors PLC"].canonical_id


def test_near_miss_companies_with_their_own_numbers_stay_apart():
    records = [
        R("Midland Care Services Ltd", "04417291", council="A"),
        R("MIDLAND CARE SERVICES", council="B"),
        R("Midlands Care Services Ltd", "09152840", council="A"),
        R("MIDLANDS CARE SERVICES LIMITED", council="C"),
        R("Midland Care Servces Ltd", council="D"),  # a slip: nearer the first
    ]
    rows = ids(resolve(records))
    assert rows["Midland Care Services Ltd"] == rows["MIDLAND CARE SERVICES"] == "ch:04417291"
    assert rows["Midlands Care Services Ltd"] == rows["MIDLANDS CARE SERVICES LIMITED"] == "ch:09152840"
    assert rows["Midland Care Servces Ltd"] == "ch:04417291"


def test_names_several_councils_publish_are_never_joined_by_a_fuzzy_match():
    records = [R("Midland Care Services", council=c) for c in "AB"] + [
        R("Midlands Care Services", council=c) for c in "CD"
    ]
    assert len(set(ids(resolve(records)).values())) == 2


def test_two_numbers_under_one_name_are_two_suppliers():
    rows = resolve(
        [
            R("Apex Roofing Ltd", "01111111", council="A"),
            R("Apex Roofing Ltd", "02222222", council="B"),
            R("APEX ROOFING", council="C"),  # joins one of them, never bridges both
        ]
    )
    found = ids(rows)
    assert len({row.canonical_id for row in rows}) == 2
    assert found["APEX ROOFING"] in {"ch:01111111", "ch:02222222"}


def test_a_rare_slip_joins_its_supplier_and_shows_why():
    rows = by_name(
        resolve(
            [
                R("Kingfisher Recycling Ltd", council="A"),
                R("Kingfisher Recycling Limited", council="B"),
                R("Kingfisher Recyclnig Ltd", council="C"),
            ]
        )
    )
    slip = rows["Kingfisher Recyclnig Ltd"]
    assert slip.canonical_id == rows["Kingfisher Recycling Ltd"].canonical_id
    assert slip.method == "fuzzy" and slip.score >= 90 and slip.block.startswith(("w1:", "w2:", "p3:"))
    assert slip.matched_to in {"Kingfisher Recycling Ltd", "Kingfisher Recycling Limited"}


def test_short_surnames_one_letter_apart_are_different_people():
    rows = resolve([R("Davies Joinery", council=c) for c in "AB"] + [R("Davis Joinery", council="C")])
    assert len({row.canonical_id for row in rows}) == 2
    rows = resolve([R("Baker Removals", council="A"), R("Barker Removals", council="B")])
    assert len({row.canonical_id for row in rows}) == 2


def test_redacted_lines_are_never_matched():
    rows = resolve(
        [
            R("REDACTED PERSONAL DATA", council="A", redacted=True),
            R("Redacted", council="B", redacted=True),
            R("Midland Care Services Ltd", "04417291", council="A"),
            R("Midland Care Services Ltd", "04417291", council="B", redacted=True),  # flagged: kept apart
        ]
    )
    found = sorted((row.raw_name, row.canonical_id or "", row.method) for row in rows)
    assert found == [
        ("Midland Care Services Ltd", "", "redacted"),
        ("Midland Care Services Ltd", "ch:04417291", "unique"),
        ("REDACTED PERSONAL DATA", "", "redacted"),
        ("Redacted", "", "redacted"),
    ]


def test_every_record_is_one_row_and_the_same_record_from_two_councils_is_one():
    rows = resolve([R("Apex Ltd", council="A"), R("Apex Ltd", council="B"), R("Apex Ltd", "01234567", council="A")])
    assert len(rows) == 2
    assert {row.councils for row in rows} == {("A", "B"), ("A",)}
    assert len({row.canonical_id for row in rows}) == 1


# --- overrides ---------------------------------------------------------------------------


def test_an_override_confirms_a_name_into_a_supplier_by_any_of_its_ids():
    records = [
        R("Midlands Care Services Ltd", "09152840", council="A"),
        R("Midland Care Services Ltd", "04417291", council="B"),
        R("MIDLANDS CARE", council="C"),  # nothing automatic would place this
        R("M C S (Walsall)", council="D"),
    ]
    rows = by_name(resolve(records, {"midlands  care": "ch:09152840", "M C S (Walsall)": "name:midland-care-services"}))
    assert rows["MIDLANDS CARE"].canonical_id == "ch:09152840"
    assert rows["MIDLANDS CARE"].method == "override"
    assert rows["M C S (Walsall)"].canonical_id == "ch:04417291"  # a name id found the numbered supplier


def test_an_override_splits_a_name_off_and_can_name_a_new_supplier():
    records = [
        R("Apex Roofing Ltd", council="A"),
        R("APEX ROOFING LIMITED", council="B"),
        R("Apex Roofing (W)", council="C"),
        R("Apex Roofing", council="D"),
        R("APEX ROOFING", council="E"),
    ]
    rows = by_name(resolve(records, {"Apex Roofing": DISTINCT, "Apex Roofing (W)": "apex-roofing-walsall"}))
    assert rows["Apex Roofing"].canonical_id == "raw:apex-roofing"
    assert rows["Apex Roofing (W)"].canonical_id == "apex-roofing-walsall"
    assert rows["Apex Roofing Ltd"].canonical_id == rows["APEX ROOFING LIMITED"].canonical_id == "name:apex-roofing"
    assert rows["APEX ROOFING"].canonical_id == "raw:apex-roofing"  # decisions ignore case and spacing
    assert {rows[r].method for r in ("Apex Roofing", "Apex Roofing (W)")} == {"override"}
    with pytest.raises(ValueError, match="two decisions"):
        resolve(records, {"Apex Roofing": DISTINCT, "APEX  ROOFING": "ch:01234567"})


def test_the_overrides_seed_loads_and_a_bad_one_is_refused(tmp_path: Path):
    shipped = load_overrides()
    assert shipped and all(target for target in shipped.values())
    bad = tmp_path / "overrides.csv"
    bad.write_text("raw_name,canonical_id,reason\nApex,,forgot\n", encoding="utf-8")
    with pytest.raises(ValueError, match="no canonical_id"):
        load_overrides(bad)
    bad.write_text("raw_name,canonical_id,reason\nApex,ch:01,a\nApex,ch:02,b\n", encoding="utf-8")
    with pytest.raises(ValueError, match="overridden twice"):
        load_overrides(bad)


def test_the_match_table_is_written_for_review(tmp_path: Path):
    rows = resolve([R("Apex Ltd", council="A"), R("APEX LIMITED", council="B"), R("Redacted", redacted=True)])
    path = tmp_path / "matches.csv"
    write_match_table(rows, path)
    with open(path, newline="", encoding="utf-8") as f:
        written = list(csv.DictReader(f))
    assert tuple(written[0]) == MATCH_TABLE_COLUMNS
    assert {r["raw_name"]: r["canonical_id"] for r in written} == {
        "Apex Ltd": "name:apex",
        "APEX LIMITED": "name:apex",
        "Redacted": "",
    }


# --- quality -----------------------------------------------------------------------------


def test_pairwise_scores_count_pairs():
    scores = pairwise_scores([("a", "x"), ("a", "x"), ("a", "y"), ("b", "y"), (None, "z"), (None, "z")])
    # predicted pairs: 3 (within a); true pairs: x 1, y 1, z 1; correct: the x pair
    assert (scores.predicted_pairs, scores.true_pairs, scores.correct_pairs) == (3, 3, 1)
    assert scores.precision == pytest.approx(1 / 3) and scores.recall == pytest.approx(1 / 3)
    assert pairwise_scores([]).precision == 1.0


def test_the_sample_is_deterministic_and_knows_its_truth():
    records, truth = sample_suppliers.labelled_records(600, seed=3)
    again, truth_again = sample_suppliers.labelled_records(600, seed=3)
    assert records == again and truth == truth_again
    assert {" ".join(r.raw_name.split()) for r in records} <= set(truth)
    universe = {s.supplier_id: s for s in sample_suppliers.universe(600, seed=3)}
    assert set(truth.values()) <= set(universe)
    assert len({s.company_number for s in universe.values() if s.company_number}) == sum(
        1 for s in universe.values() if s.company_number
    )  # numbers are unique, as at Companies House


def test_the_sample_has_near_miss_twins_with_their_own_numbers():
    universe = sample_suppliers.universe(3_000)
    names = {s.name: s for s in universe}
    assert names["Midland Care Services Ltd"].company_number != names["Midlands Care Services Ltd"].company_number
    twins = [
        (a, b)
        for a in universe
        for b in (names.get(a.name.replace(x, y)) for x, y in sample_suppliers.TWIN_SPELLINGS if x in a.name.split())
        if b and b is not a
    ]
    assert len(twins) >= 50
    assert all(a.company_number != b.company_number for a, b in twins if a.company_number)


def test_each_council_has_its_own_supplier_list_with_truth():
    lists = sample_suppliers.suppliers_by_council(400, seed=5)
    assert set(lists) == {h.council for h in sample_suppliers.council_habits(5)}
    assert all(records for records in lists.values())
    assert all(record.council == code for code, records in lists.items() for record, _ in records)


def test_the_sample_writes_the_habits_councils_have():
    records, _ = sample_suppliers.labelled_records(3_000)
    raws = [r.raw_name for r in records]
    assert any(len(r) == 35 for r in raws)
    assert any(r.isupper() for r in raws) and any(" T/A " in r or " t/a " in r for r in raws)
    assert any("  " in r for r in raws) and any(r.endswith("Limited") for r in raws)
    assert any(r.company_number and r.company_number.endswith(".0") for r in records)
    assert any(r.vat_number and r.vat_number.startswith("GB ") for r in records)


def test_precision_and_recall_on_a_labelled_sample_meet_the_targets():
    measured = sample_suppliers.measure(3_000)
    assert measured.raw_names >= 2_900
    assert measured.precision >= 0.98, measured
    assert measured.recall >= 0.95, measured
    assert measured.seconds < 5
