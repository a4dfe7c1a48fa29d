"""The good practice library's files: every committed case study is valid and the committed
seeds are exactly what the files compile to (so CI fails on a bad or stale case study),
and a bad file is reported in plain words naming the file and the field."""

from __future__ import annotations

import csv
import shutil
from pathlib import Path

import pytest
import yaml

from councilbench.cli.main import main
from councilbench.core import catalogue
from councilbench.practice import checks, files, seeds

GOOD = "staffordshire-highways-defects"


# --- what is committed --------------------------------------------------------------------------


def test_every_committed_case_study_is_valid():
    studies, problems = checks.check_folder()
    assert problems == [], "\n".join(map(str, problems))
    assert len(studies) == len(list(files.folder().glob("*.yml"))) >= 5


def test_the_committed_seeds_are_what_the_files_compile_to():
    studies, _ = checks.check_folder()
    assert seeds.stale_seeds(studies) == [], "run `councilbench case-studies build` and commit the seeds"


def test_the_samples_say_they_are_samples_and_bear_on_ranked_metrics():
    """The demo's sample case studies are marked as such, name their placeholder council, and
    bear on at least one ranked metric each (so a bottom-quartile council sees them)."""
    studies, _ = checks.check_folder()
    metrics, councils = catalogue.metrics(), catalogue.councils()
    for s in studies:
        if s.is_sample:
            assert "SAMPLE" in s.summary and "placeholder" in s.summary, s.case_study_id
            assert councils[s.council_code].name in s.summary, s.case_study_id
        assert any(metrics[m].polarity != "context" for m in s.metric_ids), s.case_study_id
        assert "@" not in s.contact_role
    headlines = {s.case_study_id: s.outcomes[0] for s in studies}
    highways = headlines[GOOD]
    assert (highways.before_value, highways.after_value, highways.unit) == (3.5, 10.7, "defects per gang per day")


def test_the_seeds_match_the_files_row_for_row():
    studies, _ = checks.check_folder()
    with seeds.seed_path("case_study_metrics").open(newline="", encoding="utf-8") as f:
        pairs = {(r["case_study_id"], r["metric_id"]) for r in csv.DictReader(f)}
    assert pairs == {(s.case_study_id, m) for s in studies for m in s.metric_ids}


# --- bad files, in words ------------------------------------------------------------------------


@pytest.fixture
def folder(tmp_path) -> Path:
    """A copy of the case study folder holding the schema and one good file."""
    where = tmp_path / "case_studies"
    where.mkdir()
    shutil.copy(files.folder() / files.SCHEMA_FILE, where)
    shutil.copy(files.folder() / f"{GOOD}.yml", where)
    return where


def good_document() -> dict:
    return yaml.load((files.folder() / f"{GOOD}.yml").read_text(encoding="utf-8"), Loader=files._TextDates)


def write(folder: Path, name: str, doc) -> None:
    (folder / f"{name}.yml").write_text(yaml.safe_dump(doc, sort_keys=False), encoding="utf-8")


def problems_of(folder: Path) -> list[str]:
    _, problems = checks.check_folder(folder)
    return [str(p) for p in problems]


def bad(folder: Path, name: str, **changes) -> list[str]:
    doc = {**good_document(), "id": name, **changes}
    write(folder, name, {k: v for k, v in doc.items() if v is not None})
    return problems_of(folder)


def test_a_good_folder_has_no_problems(folder):
    assert problems_of(folder) == []


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        (
            {"council": "E10000099"},
            "case_studies/x.yml: council: 'E10000099' is not a member council's GSS code in "
            "dbt_project/seeds/council_registry.csv",
        ),
        (
            {"council": "Staffordshire"},
            "case_studies/x.yml: council: 'Staffordshire' is not in the expected form. The GSS code of the member "
            "council",
        ),
        (
            {"metrics": ["roads_cat1_defects_repaired_in_time_pct", "roads_potholes"]},
            "case_studies/x.yml: metrics #2: 'roads_potholes' is not a metric id in "
            "dbt_project/seeds/metric_catalogue.csv (did you mean roads_potholes_repaired?)",
        ),
        ({"metrics": []}, "case_studies/x.yml: metrics: is an empty list."),
        ({"summary": None}, "case_studies/x.yml: summary: is missing. What the council did"),
        (
            {"link": "http://example.org/story"},
            "case_studies/x.yml: link: 'http://example.org/story' is not in the expected form. Where the story is published: an https:// address.",
        ),
        (
            {"contact_role": "jo.bloggs@council.example"},
            "case_studies/x.yml: contact_role: 'jo.bloggs@council.example' is not in the expected form. Whom to ask, as a role",
        ),
        ({"owner": "me"}, "case_studies/x.yml: the file: has field(s) the schema does not know: 'owner'."),
        ({"reviewed_on": "2026-02-30"}, "case_studies/x.yml: reviewed_on: '2026-02-30' is not a date in the calendar"),
    ],
)
def test_a_bad_field_is_named_in_words(folder, changes, expected):
    found = bad(folder, "x", **changes)
    assert len(found) == 1, found
    assert found[0].startswith(expected), found[0]


def test_an_outcome_after_before_and_a_value_as_text(folder):
    doc = good_document()
    doc["outcomes"] = [
        {**doc["outcomes"][0]},
        {"measure": "Cost", "unit": "£", "before": {"value": "100,000", "date": "2020-01-01"},
         "after": {"value": 1, "date": "2021-01-01"}},
    ]  # fmt: skip
    doc["outcomes"][0]["after"] = {"value": 10.7, "date": "2019-03-31"}  # the same day as before
    write(folder, "y", {**doc, "id": "y"})
    found = problems_of(folder)
    assert found == [
        "case_studies/y.yml: outcomes #2 before.value: should be a number, not '100,000'. A number, written "
        "without thousands separators or units (100000, 3.5).",
    ]
    doc["outcomes"].pop()
    write(folder, "y", {**doc, "id": "y"})
    assert problems_of(folder) == [
        "case_studies/y.yml: outcomes #1 after.date: 2019-03-31 is not later than the before date 2019-03-31: "
        "the after figure must be measured after the before figure"
    ]


def test_the_id_is_the_file_name_and_ids_are_unique(folder):
    write(folder, "copy", good_document())  # id staffordshire-highways-defects in copy.yml
    found = problems_of(folder)
    assert found == [
        "case_studies/copy.yml: id: 'staffordshire-highways-defects' is not the file's name: name the file "
        "staffordshire-highways-defects.yml",
        "case_studies/copy.yml: id: 'staffordshire-highways-defects' is also the id of "
        "case_studies/staffordshire-highways-defects.yml",
    ]


def test_unreadable_and_misnamed_files(folder):
    (folder / "broken.yml").write_text("id: broken\ntitle: [unclosed\n", encoding="utf-8")
    (folder / "empty.yml").write_text("", encoding="utf-8")
    (folder / "other.yaml").write_text("id: other\n", encoding="utf-8")
    found = problems_of(folder)
    assert found[0] == "case_studies/other.yaml: is not read: name it other.yml"
    assert found[1].startswith("case_studies/broken.yml: is not valid YAML at line 3")
    assert found[2] == (
        "case_studies/empty.yml: holds no case study: expected fields such as id, council, title and summary"
    )


def test_build_writes_nothing_when_a_file_is_wrong_and_check_says_so(folder, tmp_path, capsys, monkeypatch):
    seeds_dir = tmp_path / "seeds"
    seeds_dir.mkdir()
    built = seeds.build(folder, seeds_dir)
    assert (built.case_studies, built.written) == (1, ["case_studies", "case_study_metrics", "case_study_outcomes"])
    assert seeds.build(folder, seeds_dir).written == []  # up to date: nothing rewritten
    before = {p.name: p.read_text(encoding="utf-8") for p in seeds_dir.iterdir()}

    bad(folder, "x", council="E10000099")
    with pytest.raises(checks.CaseStudiesInvalid, match=r"case_studies/x\.yml: council"):
        seeds.build(folder, seeds_dir)
    assert {p.name: p.read_text(encoding="utf-8") for p in seeds_dir.iterdir()} == before

    # The command line: check reports the file and field and exits 1.
    monkeypatch.setattr(files, "folder", lambda: folder)
    assert main(["case-studies", "check"]) == 1
    assert "case_studies/x.yml: council: 'E10000099'" in capsys.readouterr().err
