"""A council's own pay report on hand-written deposits (a scratch pay warehouse of this
module's own, GOV.UK's 2024-25 gender pay gap fixture loaded beside them): where Dudley's
median sits against the group's quartiles, recomputed here from the deposits alone; the
statistics withheld shown as suppressed with the mart's reason in words; the CSV holding
exactly the figures shown; the report read as Dudley's own role, so it holds nothing of
Sandwell's posts and PostgreSQL refuses them even when asked by code; the email to
Dudley's contacts only, once per selection, CSV attached; and the demo's text summary."""

from __future__ import annotations

import argparse
import csv
import io
import os
from collections import defaultdict
from decimal import ROUND_HALF_UP, Decimal
from html import unescape
from html.parser import HTMLParser
from pathlib import Path

import pytest

from councilbench.core import catalogue, settings
from councilbench.dev.public_server import SourceServer
from councilbench.ingest.fetch import RetryPolicy
from councilbench.pay import catalogue as pay_catalogue
from councilbench.public import gender_pay_gap as gpg
from councilbench.public.gender_pay_gap_load import refresh_year
from councilbench.reports import pay_report, pay_report_data
from councilbench.reports.pay_report_data import NotTheCouncil, SelectionError
from councilbench.warehouse.connection import connect
from pay_warehouse import PAY_YEAR, Post, build_pay, deposit
from warehouse_copy import warehouse_copy

BIRMINGHAM, COVENTRY, DUDLEY, SANDWELL = "E08000025", "E08000026", "E08000027", "E08000028"
SOLIHULL, WALSALL, WOLVERHAMPTON = "E08000029", "E08000030", "E08000031"
HEREFORDSHIRE, TELFORD, STOKE, SHROPSHIRE = "E06000019", "E06000020", "E06000021", "E06000051"
METS = [BIRMINGHAM, COVENTRY, DUDLEY, SANDWELL, SOLIHULL, WALSALL, WOLVERHAMPTON]
OTHERS = [c for c in METS if c != DUDLEY]
GPG_YEAR = "2024-25"
FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "public" / "gpg"
SANDWELL_TITLE = "Sandwell Principal Planner (Place)"
THRESHOLDS = settings.PayThresholds(5, 5, 0.25)


def deposits() -> dict[str, list[Post]]:
    """Every council's posts. Salaries not on a £10 step, so no council's own salary can
    be mistaken for a group statistic (rounded to £10) in a report."""
    posts: dict[str, list[Post]] = defaultdict(list)
    for i, code in enumerate(OTHERS):
        posts[code] += [Post("planning_officer", 31_003 + 410 * i), Post("planning_officer", 32_507 + 290 * i, 2)]
        posts[code] += [Post("accountant", 40_013 + 330 * i, fte="0.8"), Post("accountant", 42_101 + 170 * i)]
        posts[code] += [Post("hr_adviser", 33_001 + 520 * i), Post("hr_adviser", 35_003 + 260 * i, fte="0.5")]
        posts[code] += [Post("librarian", 24_507 + 380 * i, headcount=2, fte="0.75")]
    for i, code in enumerate(OTHERS[:5]):
        posts[code] += [Post("refuse_collection_driver", 25_003 + 200 * i), Post("housing_officer", 29_001 + 650 * i)]
    for i, code in enumerate(OTHERS[:2]):
        posts[code].append(Post("environmental_health_officer", 39_007 + 900 * i, headcount=2))
    for i, code in enumerate([HEREFORDSHIRE, TELFORD, STOKE]):  # ten councils in the region: P10 and P90
        posts[code].append(Post("accountant", 39_503 + 700 * i))
    posts[SHROPSHIRE].append(Post("planning_officer", 33_337))  # tri-council: a group of three, refused
    posts[DUDLEY] = [
        Post("planning_officer", 38_995),
        Post("planning_officer", 40_115),
        Post("accountant", 36_225, headcount=2),
        Post("hr_adviser", 34_105),
        Post("hr_adviser", 33_335, fte="0.6"),
        Post("librarian", 25_815, fte="0.75"),
        Post("refuse_collection_driver", 26_115, headcount=9),  # 9 of 14 incumbents: one council dominates
        Post("environmental_health_officer", 41_385),  # three councils
    ]
    return dict(posts)


POSTS = deposits()
DUDLEY_ROLES = sorted({p.role_id for p in POSTS[DUDLEY]})


@pytest.fixture(scope="module")
def built(reference_template):
    with warehouse_copy(reference_template, "pay_report") as warehouse:
        submissions = {code: deposit(warehouse, code, posts) for code, posts in POSTS.items()}
        with connect(warehouse, role="loader") as conn:
            conn.execute(
                "update raw.council_pay_posts set job_title = %s where submission_id = %s",
                [SANDWELL_TITLE, submissions[SANDWELL]],
            )
            conn.commit()
        load_gender_pay_gap(warehouse)
        build_pay(warehouse)
        yield warehouse


def load_gender_pay_gap(warehouse) -> None:
    with SourceServer(FIXTURES.parent) as source, pytest.MonkeyPatch.context() as mp:
        mp.setenv(gpg.URL_ENV, source.gpg_url)
        result = refresh_year(warehouse, GPG_YEAR, policy=RetryPolicy(attempts=2, backoff_seconds=0.05))
    assert result.status == "loaded", result.message


@pytest.fixture(scope="module")
def region(built, tmp_path_factory):
    """Dudley's report against the region, every role it has, HTML and CSV (no PDF)."""
    report, files = pay_report.render_report(
        built, "dudley", "region", PAY_YEAR, out_dir=tmp_path_factory.mktemp("pay-report"), pdf=False
    )
    return report, files


# --- the independent recomputation --------------------------------------------------------------


def weighted_quantile(points: list[tuple[Decimal, Decimal]], p: str) -> Decimal:
    """The lowest salary at which the posts paid that or less hold at least p of the FTE."""
    total, cumulative = sum(w for _, w in points), Decimal(0)
    for salary, weight in sorted(points):
        cumulative += weight
        if cumulative >= Decimal(p) * total:
            return salary
    raise AssertionError("no weight")


def to_ten(value: Decimal) -> int:
    return int((value / 10).quantize(Decimal(1), rounding=ROUND_HALF_UP) * 10)


def points(codes, role_id: str) -> list[tuple[Decimal, Decimal]]:
    return [
        (Decimal(p.fte_salary), Decimal(p.fte) * p.headcount)
        for code in codes
        for p in POSTS.get(code, [])
        if p.role_id == role_id
    ]


def expected_role(codes: list[str], role_id: str) -> dict:
    """What the report must say of Dudley and the group (codes) in the role."""
    incumbents = {c: sum(p.headcount for p in POSTS.get(c, []) if p.role_id == role_id) for c in codes}
    incumbents = {c: n for c, n in incumbents.items() if n}
    total = sum(incumbents.values())
    why = []
    if len(incumbents) < THRESHOLDS.min_councils:
        why.append(f"fewer than 5 councils ({len(incumbents)})")
    if total < THRESHOLDS.min_incumbents:
        why.append(f"fewer than 5 incumbents ({total})")
    if total and max(incumbents.values()) > Decimal("0.25") * total:
        share = (Decimal(100 * max(incumbents.values())) / total).quantize(Decimal(1), rounding=ROUND_HALF_UP)
        why.append(f"one council holds {share}% of the incumbents (more than 25%)")
    own = points([DUDLEY], role_id)
    out = {"reason": "; ".join(why) or None, "council_median": None, "position": None}
    if own:
        out["council_median"] = weighted_quantile(own, "0.5")
    if why:
        return out
    group = points(codes, role_id)
    lq, median, uq = (to_ten(weighted_quantile(group, p)) for p in ("0.25", "0.5", "0.75"))
    out.update(lq=lq, median=median, uq=uq)
    m = out["council_median"]
    if m is not None:
        out["position"] = (
            "below_lq" if m < lq else "lq_to_median" if m < median else "median_to_uq" if m <= uq else "above_uq"
        )
        out["difference_gbp"] = int((m - median).quantize(Decimal(1), rounding=ROUND_HALF_UP))
        out["difference_pct"] = (100 * (m - median) / median).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
    return out


# --- reading the outputs --------------------------------------------------------------------------


class Figures(HTMLParser):
    """Every element of the page carrying data-column: (role, column, data-value, text shown)."""

    def __init__(self):
        super().__init__()
        self.role, self.open, self.found = None, [], []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "tr" and "data-role" in a:
            self.role = a["data-role"]
        if tag == "section" and a.get("class") == "role":
            self.role = a["data-role"]
        if "data-column" in a:
            self.open.append([self.role, a["data-column"], a["data-value"], ""])

    def handle_data(self, data):
        for item in self.open:
            item[3] += data

    def handle_endtag(self, tag):
        if tag in ("span", "strong") and self.open:
            self.found.append(tuple(self.open.pop()))


def shown_figures(html_text: str) -> list[tuple[str, str, str, str]]:
    parser = Figures()
    parser.feed(html_text)
    return parser.found


def csv_rows(text: str) -> dict[str, dict]:
    return {r["role_id"]: r for r in csv.DictReader(io.StringIO(text))}


def money(v) -> str:
    return f"£{int(v):,}"


# --- the tests --------------------------------------------------------------------------------------


def test_the_report_reads_as_dudleys_own_role(region):
    report, _ = region
    assert report.data.read_as == settings.council_role(DUDLEY) == "councilbench_council_e08000027"
    assert [r.role_id for r in report.rows] == [r for r in pay_catalogue.roles() if r in DUDLEY_ROLES]


def test_positions_against_the_groups_quartiles_are_recomputed_from_the_deposits(region, built, tmp_path):
    _, files = region
    rows = csv_rows(Path(files["csv"]).read_text(encoding="utf-8"))
    region_codes = list(catalogue.councils())
    positions = set()
    for role_id in DUDLEY_ROLES:
        want, row = expected_role(region_codes, role_id), rows[role_id]
        assert row["council_median"] == str(int(want["council_median"].quantize(Decimal(1), ROUND_HALF_UP)))
        assert row["council_median_scp"] == spine_words(want["council_median"]), role_id
        if want["reason"]:
            assert (row["group_status"], row["is_suppressed"], row["suppression_reason"]) == (
                "suppressed", "true", want["reason"]
            ), role_id  # fmt: skip
            assert row["group_median"] == row["position"] == row["difference_gbp"] == ""
            continue
        assert (row["group_lower_quartile"], row["group_median"], row["group_upper_quartile"]) == tuple(
            str(want[k]) for k in ("lq", "median", "uq")
        ), role_id
        assert row["group_median_scp"] == spine_words(want["median"])
        assert row["position"] == want["position"], role_id
        assert (row["difference_gbp"], row["difference_pct"]) == (
            str(want["difference_gbp"]),
            str(want["difference_pct"]),
        )
        positions.add(want["position"])
    assert positions == set(pay_report.POSITIONS)  # the deposits put Dudley in every position once
    # the tier (the seven metropolitan boroughs): the same rules on another group
    tier, _ = pay_report.render_report(built, DUDLEY, "tier", PAY_YEAR, out_dir=tmp_path, pdf=False)
    for row in tier.rows:
        want = expected_role(METS, row.role_id)
        assert row.values["position"] == want["position"], row.role_id
        assert row.values["suppression_reason"] == want["reason"], row.role_id
    assert rows["accountant"]["group_p10"] and rows["accountant"]["group_p90"]  # ten councils in the region
    assert not tier.rows[[r.role_id for r in tier.rows].index("accountant")].values["group_p10"]


def spine_words(salary) -> str:
    points = pay_catalogue.spine(PAY_YEAR)
    if salary > points[max(points)]:
        return f"above SCP {max(points)}"
    nearest = min(points, key=lambda scp: (abs(Decimal(str(points[scp])) - Decimal(salary)), scp))
    return f"SCP {nearest}"


def test_suppressed_statistics_are_shown_as_suppressed_with_their_reason(region, built, tmp_path):
    report, files = region
    page = Path(files["html"]).read_text(encoding="utf-8")
    reasons = {r.role_id: r.reason for r in report.rows if r.status == "suppressed"}
    assert reasons == {
        "refuse_collection_driver": "one council holds 64% of the incumbents (more than 25%)",
        "environmental_health_officer": "fewer than 5 councils (3); one council holds 40% of the incumbents (more than 25%)",
    }
    shown = {(role, column): (value, text) for role, column, value, text in shown_figures(page)}
    for role_id, reason in reasons.items():
        assert shown[(role_id, "is_suppressed")] == ("true", "Suppressed")
        assert shown[(role_id, "suppression_reason")] == (reason, reason)
        assert (role_id, "group_median") not in shown
        assert f"the group's statistics are suppressed: {reason}" in unescape(page)
    # a group of three councils is refused outright, and Dudley is no member of it
    tri, tri_files = pay_report.render_report(
        built, DUDLEY, "tri-council", PAY_YEAR, ["planning_officer", "accountant"], out_dir=tmp_path, pdf=False
    )
    planning, accountant = tri.rows
    assert planning.reason == "a comparison group of fewer than 5 councils (3) is refused"
    assert (accountant.status, accountant.reason) == (
        "no_data",
        f"no council of the group deposited posts in this role for {PAY_YEAR}",
    )
    assert "Dudley is not a member of this group" in unescape(Path(tri_files["html"]).read_text(encoding="utf-8"))


def test_the_csv_holds_exactly_the_figures_shown(region):
    report, files = region
    page = Path(files["html"]).read_text(encoding="utf-8")
    rows = csv_rows(Path(files["csv"]).read_text(encoding="utf-8"))
    assert list(rows) == [r.role_id for r in report.rows]
    figures = shown_figures(page)
    assert len(figures) > 8 * len(rows)
    for role, column, value, text in figures:
        assert rows[role][column] == value, (role, column)
        if column in ("council_median", "group_lower_quartile", "group_median", "group_upper_quartile"):
            assert text == money(value), (role, column)
        elif column == "difference_gbp":
            assert text == ("+" if int(value) > 0 else "−") + money(abs(int(value))), (role, column)
        elif column == "difference_pct":
            assert text == ("+" if Decimal(value) > 0 else "−") + f"{abs(Decimal(value)):.1f}%", (role, column)
        elif column == "position":
            assert text == pay_report.POSITIONS[value][0]
        elif column.endswith("_scp") or column == "suppression_reason":
            assert text == value
    shown_columns = {(role, column) for role, column, _, _ in figures}
    for role, row in rows.items():  # every figure the CSV holds about the comparison is on the page
        for column in ("council_median", "group_median", "position", "difference_gbp", "suppression_reason"):
            assert bool(row[column]) == ((role, column) in shown_columns), (role, column)
        assert row["council_code"] == DUDLEY and row["group_id"] == "region" and row["pay_year"] == PAY_YEAR


def test_the_gender_pay_gap_is_shown_beside_the_benchmarks(region):
    _, files = region
    with open(FIXTURES / gpg.published_name(GPG_YEAR), newline="", encoding="utf-8-sig") as f:
        published = next(
            r for r in csv.DictReader(f) if r["EmployerId"] == catalogue.councils()[DUDLEY].gpg_employer_id
        )
    page = unescape(Path(files["html"]).read_text(encoding="utf-8"))
    assert f"GOV.UK reporting year {GPG_YEAR}" in page
    for label, column in (
        ("Median hourly pay gap", "DiffMedianHourlyPercent"),
        ("Mean hourly pay gap", "DiffMeanHourlyPercent"),
    ):
        gap = Decimal(published[column])
        words = f"{abs(gap):.1f}% in {'men' if gap > 0 else 'women'}'s favour"
        assert f'<dd data-gpg="{label}">{words}</dd>' in page
    assert (
        f'<dd data-gpg="Women in the highest paid quarter">{Decimal(published["FemaleTopQuartile"]):.1f}%</dd>' in page
    )


def test_dudleys_report_holds_nothing_of_sandwells_posts(region, built):
    _, files = region
    outputs = Path(files["html"]).read_text(encoding="utf-8") + Path(files["csv"]).read_text(encoding="utf-8")
    for post in POSTS[SANDWELL]:
        salary = int(post.fte_salary)
        for text in (f"£{salary:,}", f"{salary:,}", str(salary), f"{salary}.00"):
            assert text not in outputs, text
    assert SANDWELL_TITLE not in outputs and "Sandwell" not in outputs
    # Dudley's own, by contrast, is there
    assert "£38,995" in outputs or "£40,115" in outputs


def test_postgresql_not_the_report_keeps_sandwells_posts_from_dudley(built):
    dudley = catalogue.councils()[DUDLEY]
    with pay_report_data.council_session(built, DUDLEY) as conn:
        assert pay_report_data.own_figures(conn, SANDWELL, PAY_YEAR) == []  # asked for by code: none
        assert pay_report_data.own_posts(conn, SANDWELL, PAY_YEAR) == []
        assert conn.execute(
            "select count(*) from pay.pay_council_posts where council_code = %s", [SANDWELL]
        ).fetchone() == (0,)
        assert conn.execute("select distinct council_code from pay.pay_council_posts").fetchall() == [(DUDLEY,)]
    with connect(built, role="transformer") as conn:  # the rows are there: the role is what hides them
        assert conn.execute(
            "select count(*) from pay.pay_council_posts where council_code = %s", [SANDWELL]
        ).fetchone()[0] == len(POSTS[SANDWELL])
    # and a session that is not Dudley's own role is refused before it reads a row
    group = pay_report_data.resolve_group(dudley, "region")
    with pay_report_data.council_session(built, SANDWELL) as conn, pytest.raises(NotTheCouncil, match="reads as"):
        pay_report_data.read_in_session(conn, dudley, group, PAY_YEAR, None, None)
    with connect(built, role="analyst") as conn, pytest.raises(NotTheCouncil):
        pay_report_data.read_in_session(conn, dudley, group, PAY_YEAR, None, None)


def test_roles_families_and_groups_are_chosen_or_refused_with_a_reason(built, tmp_path):
    report, _ = pay_report.render_report(
        built, DUDLEY, "region", PAY_YEAR, ["housing_officer", "accountant"], out_dir=tmp_path, pdf=False
    )
    assert [r.role_id for r in report.rows] == ["housing_officer", "accountant"]  # the catalogue's order
    housing = report.rows[0]
    assert housing.values["council_median"] is None and housing.values["posts"] == 0 and housing.status == "published"
    finance, _ = pay_report.render_report(
        built, DUDLEY, "region", PAY_YEAR, family="finance", out_dir=tmp_path, pdf=False
    )
    assert [r.role_id for r in finance.rows] == ["accountant"]
    with pytest.raises(SelectionError, match=r"'planing_oficer' is not a catalogue role.*planning_officer"):
        pay_report_data.read(built, DUDLEY, "region", PAY_YEAR, ["planing_oficer"])
    with pytest.raises(SelectionError, match="only county and district councils have a county family"):
        pay_report_data.read(built, DUDLEY, "county", PAY_YEAR)
    with pytest.raises(SelectionError, match="unknown job family"):
        pay_report_data.read(built, DUDLEY, "region", PAY_YEAR, family="Astronauts")
    with pytest.raises(ValueError, match="no pay year 2019-20"):
        pay_report_data.read(built, DUDLEY, "region", "2019-20")


def test_the_command_writes_html_pdf_and_csv_and_emails_dudleys_contacts_once(
    built, tmp_path, mail_catcher, monkeypatch, capsys
):
    from councilbench.cli import pay_report as command

    parser = argparse.ArgumentParser()
    command.add_command(parser.add_subparsers())
    monkeypatch.setenv("WAREHOUSE_URL", built.url)
    argv = ["pay-report", "--council", "dudley", "--roles", "planning_officer,refuse_collection_driver",
            "--group", "tier", "--year", PAY_YEAR, "--out", str(tmp_path), "--csv", "--send"]  # fmt: skip
    mail_catcher.clear()
    args = parser.parse_args(argv)
    assert args.func(args) == 0
    printed = capsys.readouterr().out
    assert "email sent to r.hughes@dudley.council.example, i.hussain@dudley.council.example" in printed
    [pdf] = tmp_path.glob("*.pdf")
    assert pdf.read_bytes().startswith(b"%PDF") and pdf.stat().st_size > 10_000
    [csv_file] = tmp_path.glob("*.csv")
    dudley = {c.email for c in catalogue.contacts()[DUDLEY]}
    [caught] = mail_catcher.caught
    assert set(caught.rcpt_tos) == dudley
    msg = caught.message
    assert {a.addr_spec for a in msg["To"].addresses} == dudley and not msg["Cc"] and not msg["Bcc"]
    attachments = {p.get_filename(): p for p in msg.iter_attachments()}
    assert sorted(attachments) == sorted([csv_file.name, pdf.name])
    assert attachments[csv_file.name].get_content() == csv_file.read_bytes().decode("utf-8")
    body = msg.get_body(("plain",)).get_content()
    assert "Refuse collection driver (HGV): one council holds 64% of the incumbents (more than 25%)" in body
    others = [c.email for code, cs in catalogue.contacts().items() if code != DUDLEY for c in cs]
    assert not any(e in msg.as_string() for e in others)
    # the same request again: already sent, nothing goes
    args = parser.parse_args(argv)
    assert args.func(args) == 0
    assert "email already_sent" in capsys.readouterr().out
    assert len(mail_catcher.caught) == 1
    with connect(built, role="loader") as conn:
        rows = conn.execute("select kind, subject, period, status from ops.outbox where kind = 'pay_report'").fetchall()
    selection = pay_report.selection_hash("tier:metropolitan_borough", ["planning_officer", "refuse_collection_driver"])
    assert rows == [("pay_report", DUDLEY, f"{PAY_YEAR}:{selection}", "sent")]


def test_the_demo_summary_names_a_suppressed_statistic_and_why(built):
    text = pay_report.text_summary(built, "dudley", "region", PAY_YEAR)
    assert text.startswith("Pay benchmarks 2025-26: Dudley against West Midlands: all member councils")
    assert "read as councilbench_council_e08000027" in text
    assert "the group's statistics are suppressed: one council holds 64% of the incumbents (more than 25%)" in text
    assert "gender pay gap (GOV.UK 2024-25): median hourly" in text
    assert os.linesep.join(text.splitlines()) and len(text.splitlines()) <= 14
