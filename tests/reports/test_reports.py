"""Reports from the test warehouse (14 months of returns for all 33 councils and public
statistics, built by dbt): the annual Performance of the Region and council packs render
as self-contained, accessible HTML and as A4 PDF through real headless Chromium, every
figure they state matches the mart row it names, each says what its data is as at and
whose data is missing, and pack emails reach that council's contacts only, once, through
a real SMTP server."""

from __future__ import annotations

import json
import re
import subprocess
import xml.etree.ElementTree as ET
from html import unescape
from html.parser import HTMLParser
from pathlib import Path

import pytest

import warehouse_data as wd
from councilbench.core import catalogue, settings
from councilbench.reports import checks, data, pipeline, render, sending
from councilbench.reports import context as context_view
from councilbench.reports import format as fmt
from councilbench.reports import packs as packs_view
from councilbench.reports.charts import text_width
from councilbench.reports.pdf import PRINT_WIDTH_PX, Chromium
from councilbench.warehouse.connection import connect

SVG = "{http://www.w3.org/2000/svg}"

#: The newest month of the test history (wd.HISTORY), which every pack here is for.
MONTH = wd.HISTORY[-1]
DUDLEY, WARWICKSHIRE, MOORLANDS = "E08000027", "E10000031", "E07000198"
#: A metropolitan borough, a county and a district (the one whose November 2025 never came).
PACK_COUNCILS = [DUDLEY, WARWICKSHIRE, MOORLANDS]
MISSING_CODE, MISSING_MONTH = wd.SCENARIO.missing


@pytest.fixture(scope="module")
def built(reference_warehouse, state_dir):
    return wd.built_warehouse(reference_warehouse, state_dir)


@pytest.fixture(scope="module")
def out(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("reports")


@pytest.fixture(scope="module")
def annual(built, out):
    plan = pipeline.plan(built.warehouse)
    return plan, pipeline.render_annual(built.warehouse, plan["financial_years"], month=plan["month"], out_dir=out)


@pytest.fixture(scope="module")
def packs(built, out):
    return pipeline.render_packs(built.warehouse, MONTH, PACK_COUNCILS, out_dir=out)


def marts(built, sql: str, params=None):
    with connect(built.warehouse, role="analyst") as conn:
        return conn.execute(sql, params or []).fetchall()


class _Structure(HTMLParser):
    """What the accessibility checks need: headings, ids, links, tables, charts."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict]] = []
        self.svgs: list[dict] = []
        self.tables: list[dict] = []
        self._svg = None
        self._table = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        self.tags.append((tag, a))
        if tag == "svg":
            self._svg = {"attrs": a, "children": []}
            self.svgs.append(self._svg)
        elif self._svg is not None and len(self._svg["children"]) < 2:
            self._svg["children"].append((tag, a))
        if tag == "table":
            self._table = {"caption": False, "th": [], "td": 0}
            self.tables.append(self._table)
        elif self._table is not None:
            if tag == "caption":
                self._table["caption"] = True
            elif tag == "th":
                self._table["th"].append(a.get("scope"))

    def handle_endtag(self, tag):
        if tag == "svg":
            self._svg = None
        if tag == "table":
            self._table = None


def structure(html: str) -> _Structure:
    s = _Structure()
    s.feed(html)
    return s


def assert_accessible_and_self_contained(html: str) -> _Structure:
    s = structure(html)
    tags = [t for t, _ in s.tags]
    # one document title, sections under it, a table of contents that resolves
    assert tags.count("h1") == 1 and tags.count("h2") >= 5
    assert ("html", {"lang": "en-GB"}) in s.tags
    ids = {a["id"] for _, a in s.tags if "id" in a}
    toc = [a["href"][1:] for t, a in s.tags if t == "a" and a.get("href", "").startswith("#")]
    assert len(toc) >= 6 and set(toc) <= ids
    assert any(t == "nav" and a.get("aria-labelledby") for t, a in s.tags)
    # nothing fetched: no scripts, stylesheets, images, frames, fonts or CSS url()s
    assert not {"script", "link", "img", "iframe", "object", "embed"} & set(tags)
    assert "url(" not in html and "@import" not in html and "@font-face" not in html
    # every chart is an image with its own title and description
    assert s.svgs
    for svg in s.svgs:
        a = svg["attrs"]
        assert a.get("role") == "img" and a.get("aria-labelledby"), a.get("id")
        assert [t for t, _ in svg["children"]] == ["title", "desc"], a.get("id")
        assert a["aria-labelledby"].split() == [c.get("id") for _, c in svg["children"]]
    # every table has a caption and its header cells say what they head
    assert s.tables
    for t in s.tables:
        assert t["caption"] and t["th"] and all(scope in ("col", "row") for scope in t["th"])
    return s


# --- the annual report -------------------------------------------------------------------


def test_plan_reports_the_newest_month_the_last_complete_year_and_the_year_to_date(built, annual):
    plan, written = annual
    newest = marts(built, "select max(return_month) from marts.mart_submission_quality where final_status = 'loaded'")
    assert plan["month"] == newest[0][0]
    assert plan["financial_years"] == ["2025-26", "2026-27"]
    assert len(plan["councils"]) == 33
    names = [Path(w["html"]).name for w in written]
    assert names == ["performance-of-the-region-2025-26.html", "performance-of-the-region-2026-27-year-to-date.html"]
    assert all(Path(w["pdf"]).is_file() and Path(w["pdf"]).read_bytes()[:5] == b"%PDF-" for w in written)
    assert written[0]["year_to_date"] is False and written[1]["year_to_date"] is True
    # the default output folder is under the state folder
    assert pipeline.reports_dir().is_relative_to(settings.state_dir())


def test_annual_report_is_accessible_and_self_contained(annual):
    for w in annual[1]:
        html = Path(w["html"]).read_text(encoding="utf-8")
        s = assert_accessible_and_self_contained(html)
        assert len(s.svgs) > 50  # trend lines, ranked bars, quartile strips for every service area
        kinds = {svg["attrs"].get("data-chart") for svg in s.svgs}
        assert {"trend", "bars", "strip", "diverging"} <= kinds
        for area in ("Waste and recycling", "Economy and town centres", "Adult social care"):
            assert f">{area}</h2>" in html


def test_annual_figures_are_the_marts_figures(built, annual):
    html = Path(annual[1][0]["html"]).read_text(encoding="utf-8")
    figures = checks.figures(html)
    perf = {
        (r[0], r[1]): r
        for r in marts(
            built,
            """
        select financial_year, metric_id, region_value, england_value, best_council_value, worst_council_value
        from marts.mart_region_performance""",
        )
    }
    units = {r[0]: (r[1], r[2]) for r in marts(built, "select metric_id, normalised_unit, unit from marts.dim_metric")}
    columns = {"region_value": 2, "england_value": 3, "best_council_value": 4, "worst_council_value": 5}
    checked = 0
    for f in figures:
        if f["mart"] != "mart_region_performance":
            continue
        row = perf[(f["key"]["financial_year"], f["key"]["metric_id"])]
        expected = row[columns[f["field"]]]
        assert float(f["value"]) == pytest.approx(float(expected), rel=1e-9), f
        if f["tag"] == "td" and f["field"] in ("region_value", "england_value"):
            assert f["text"] == fmt.short_value(expected, *units[row[1]]), f
        checked += 1
    assert checked > 150
    # the bars, strips and trend lines carry the mart rows they plot
    plotted = [f for f in figures if f["mart"] == "mart_benchmark"]
    assert len(plotted) > 500
    pairs = sorted({(f["key"]["metric_id"], f["key"]["period"]) for f in plotted})
    rows = marts(
        built,
        """
        select b.council_code, b.metric_id, b.period, b.normalised_value, b.region_value
        from marts.mart_benchmark b
        join unnest(%s::text[], %s::text[]) as k(metric_id, period) using (metric_id, period)
        where b.group_id = 'region'""",
        [[p[0] for p in pairs], [p[1] for p in pairs]],
    )
    by_council = {(r[0], r[1], r[2]): {"normalised_value": r[3], "region_value": r[4]} for r in rows}
    regional = {}
    for r in rows:
        regional.setdefault((r[1], r[2]), set()).add(r[4])
    for f in plotted:
        k, column = f["key"], f["field"]
        assert column in ("normalised_value", "region_value") and k["group_id"] == "region"
        if "council_code" in k:
            expected = by_council[(k["council_code"], k["metric_id"], k["period"])][column]
        else:  # the regional figure is the same on every council's row of the metric and period
            [expected] = regional[(k["metric_id"], k["period"])]
        assert float(f["value"]) == pytest.approx(float(expected)), f
    # every region-wide problem of the year's last month is there with the mart's own reason
    text = unescape(html)
    year_end = fmt.financial_year_months(annual[1][0]["financial_year"])[1]
    with data.open_marts(built.warehouse) as conn:
        problems = data.region_problems(conn, data.latest_periods(conn, min(year_end, annual[0]["month"])))
    assert problems
    for p in problems:
        assert p["reason"] in text


def test_annual_report_says_what_its_data_is_as_at_and_whose_is_missing(built, annual):
    plan, written = annual
    html = Path(written[0]["html"]).read_text(encoding="utf-8")
    assert f"Returns up to <strong>{fmt.month_label(plan['month'])}</strong>" in html
    loaded_at = marts(built, "select max(loaded_at) from marts.fct_metric_value")[0][0]
    from councilbench.returns.email_render import uk_time

    assert uk_time(loaded_at) in html
    missing = html[html.index('id="missing"') : html.index('id="derivation"')]
    council = catalogue.councils()[MISSING_CODE].name
    assert council in missing and fmt.month_label(MISSING_MONTH) in missing
    # a council whose every month arrived is not listed
    assert catalogue.councils()["E08000025"].name not in missing


# --- rendering in Chromium and the PDFs -------------------------------------------------------------


def test_reports_render_in_chromium_without_errors_and_with_their_charts(annual, packs):
    documents = [Path(w["html"]) for w in annual[1]] + [Path(p["html"]) for p in packs]
    with Chromium() as browser:
        for path in documents:
            result = browser.render(path)
            assert result.clean, (path.name, result.problems())
            assert result.console_errors == [] and result.exceptions == [] and result.external_requests == []
            assert result.svg_count > 20 and result.page["svgs_without_title"] == 0
            assert len(result.page["h1"]) == 1 and result.page["text_length"] > 5000
        # the checks catch what they are for: a console error, a request off the machine,
        # a chart without a title
        bad = documents[0].with_name("broken.html")
        bad.write_text(
            "<!DOCTYPE html><html lang='en'><body><h1>x</h1><svg></svg>"
            "<img src='http://203.0.113.9/logo.png' alt=''><script>console.error('boom')</script></body></html>"
        )
        result = browser.render(bad)
        assert result.console_errors and result.external_requests and result.page["svgs_without_title"] == 1
        assert not result.clean


def _pdfinfo(path: Path) -> dict:
    out = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True, check=True).stdout
    return dict(line.split(":", 1) for line in out.splitlines() if ":" in line)


def test_pdfs_are_a4_with_no_blank_page(annual, packs, tmp_path):
    for item in annual[1] + packs:
        pdf = Path(item["pdf"])
        info = _pdfinfo(pdf)
        assert "595.92 x 842.88" in info["Page size"] or "594.96 x 841.92" in info["Page size"], info["Page size"]
        assert info["Tagged"].strip() == "yes"
        ink = checks.page_ink(pdf)
        assert len(ink) == int(info["Pages"]) >= 5
        # a page with nothing but the footer has about 0.002 ink at 50 dpi
        assert min(ink) > 0.005, (pdf.name, [i for i, x in enumerate(ink, 1) if x <= 0.005])
    # the first pages as PNG, as a person would screenshot them: a title page and contents
    pngs = checks.pdf_to_pngs(Path(annual[1][0]["pdf"]), tmp_path / "annual", first=1, last=2)
    assert len(pngs) == 2 and all(checks.png_ink(p) > 0.05 for p in pngs)


# --- the packs ----------------------------------------------------------------------------------------


def test_packs_are_accessible_and_self_contained(packs):
    assert [p["council_code"] for p in packs] == PACK_COUNCILS
    for p in packs:
        html = Path(p["html"]).read_text(encoding="utf-8")
        s = assert_accessible_and_self_contained(html)
        kinds = {svg["attrs"].get("data-chart") for svg in s.svgs}
        assert {"quartiles", "strip", "trend"} <= kinds
        name = fmt.display_name(catalogue.councils()[p["council_code"]].name)
        assert f"<h1>How {name} compares</h1>" in html
        assert Path(p["html"]).parent.name == MONTH


def test_pack_figures_are_the_marts_figures(built, packs):
    fields = ("normalised_value", "rank", "region_value", "group_median")
    checked = 0
    for p in packs:
        html = Path(p["html"]).read_text(encoding="utf-8")
        figures = [f for f in checks.figures(html) if f["mart"] == "mart_benchmark"]
        assert {f["field"] for f in figures} <= set(fields)
        keys = sorted(
            {
                (f["key"]["council_code"], f["key"]["metric_id"], f["key"]["period"], f["key"]["group_id"])
                for f in figures
            }
        )
        rows = {
            tuple(r[:4]): dict(zip(fields, r[4:], strict=True))
            for r in marts(
                built,
                """
            select b.council_code, b.metric_id, b.period, b.group_id,
                   b.normalised_value, b.rank, b.region_value, b.group_median
            from marts.mart_benchmark b
            join unnest(%s::text[], %s::text[], %s::text[], %s::text[]) as k(council_code, metric_id, period, group_id)
              using (council_code, metric_id, period, group_id)""",
                [list(c) for c in zip(*keys, strict=True)],
            )
        }
        for f in figures:
            key = (f["key"]["council_code"], f["key"]["metric_id"], f["key"]["period"], f["key"]["group_id"])
            expected = rows[key][f["field"]]
            assert float(f["value"]) == pytest.approx(float(expected)), f
            if f["tag"] == "td":
                assert key[0] == p["council_code"]  # the tables state the council's own rows
                if f["field"] == "rank":
                    assert f["text"].startswith(fmt.ordinal(expected) + " of "), f
            checked += 1
    assert checked > 1000


def test_pack_shows_caveats_beside_league_positions(built, packs):
    html = Path(packs[0]["html"]).read_text(encoding="utf-8")  # Dudley
    found = re.findall(r'<tr data-metric="(\w+)" data-period="([^"]*)" data-status="\w+">(.*?)</tr>', html, re.S)
    rows = {m: row for m, _, row in found}
    assert len(rows) > 30
    context = {
        r[0]
        for r in marts(
            built,
            "select metric_id from marts.dim_metric where polarity = 'context' "
            "and position('metropolitan_borough' in delivering_tiers) > 0",
        )
    }
    assert context & set(rows)
    for metric_id in context & set(rows):
        assert "context: not ranked" in rows[metric_id] and " of " not in rows[metric_id].split("</th>", 1)[1]
    estimates = {
        r[0]
        for r in marts(
            built,
            """
        select f.metric_id from marts.fct_metric_value f
        join unnest(%s::text[], %s::text[]) as k(metric_id, period) using (metric_id, period)
        where f.council_code = %s and f.value_status = 'estimate'""",
            [[m for m, _, _ in found], [p for _, p, _ in found], DUDLEY],
        )
    }
    assert estimates
    shown_estimates = {m for m, row in rows.items() if '<span class="caveat">estimate</span>' in row}
    assert estimates == shown_estimates
    assert "year to date: compared with a year earlier only" in rows["fin_council_tax_collection_rate"]
    assert "restated" not in rows["fin_council_tax_collection_rate"]


def test_pack_for_a_month_not_received_says_so(built, out):
    [p] = pipeline.render_packs(built.warehouse, MISSING_MONTH, [MISSING_CODE], pdf=False, out_dir=out)
    html = Path(p["html"]).read_text(encoding="utf-8")
    assert "We have not received" in html and fmt.month_label(MISSING_MONTH) in html
    not_received = re.findall(r'data-status="not_received"', html)
    assert len(not_received) > 10  # its monthly metrics for the month
    summary = json.loads(Path(p["summary"]).read_text())
    assert summary["return_state"] == "missing"


def test_packs_only_carry_accepted_data_and_the_check_refuses_anything_else(built, packs):
    stories = built.loaded.by_story
    with connect(built.warehouse, role="loader") as conn:
        for p in packs:
            summary = json.loads(Path(p["summary"]).read_text())
            assert summary["submission_ids"]
            statuses = {
                s
                for (s,) in conn.execute(
                    "select distinct status from ops.submissions where submission_id = any(%s)",
                    [summary["submission_ids"]],
                ).fetchall()
            }
            assert statuses <= {"loaded", "superseded"}
            assert stories["rejected"] not in summary["submission_ids"]
            sending.check_accepted(conn, summary)
        forged = dict(summary, submission_ids=summary["submission_ids"] + [stories["rejected"]])
        with pytest.raises(sending.UnsafePack, match="not accepted"):
            sending.check_accepted(conn, forged)


def test_pack_emails_go_to_that_councils_contacts_only_and_only_once(built, packs, mail_catcher):
    mail_catcher.clear()
    first = pipeline.send_packs(built.warehouse, packs)
    assert [o["status"] for o in first] == ["sent"] * len(packs)
    caught = mail_catcher.caught
    assert len(caught) == len(packs)
    contacts = catalogue.contacts()
    everyone = {c.email.lower() for cs in contacts.values() for c in cs}
    for mail in caught:
        code = mail.message["X-Councilbench-Council"]
        own = {c.email.lower() for c in contacts[code]}
        assert {r.lower() for r in mail.rcpt_tos} == own
        assert {a.addr_spec.lower() for a in mail.message["To"].addresses} == own
        assert mail.message["Cc"] is None and mail.message["Bcc"] is None
        raw = mail.path.read_bytes().lower()
        for part in mail.message.walk():
            payload = part.get_payload(decode=True) if not part.is_multipart() else None
            if payload:
                raw += payload.lower()
        assert not [e for e in everyone - own if e.encode() in raw]
        name = catalogue.councils()[code]
        assert (
            mail.message["Subject"]
            == f"How {fmt.display_name(name.name)} compares: your {fmt.month_label(MONTH)} benchmarking pack"
        )
        attachments = {a.get_filename(): a for a in mail.message.iter_attachments()}
        assert set(attachments) == {
            f"{name.short_name}-{MONTH}-how-{name.short_name}-compares.pdf",
            f"{name.short_name}-{MONTH}-how-{name.short_name}-compares.html",
        }
        pdf = next(a for n, a in attachments.items() if n.endswith(".pdf"))
        assert pdf.get_content_type() == "application/pdf" and pdf.get_content()[:5] == b"%PDF-"
        body = mail.message.get_body(("html",)).get_content()
        assert "This month in brief" in body and "ranked metrics" in body

    again = pipeline.send_packs(built.warehouse, packs)
    assert [o["status"] for o in again] == ["already_sent"] * len(packs)
    assert len(mail_catcher.caught) == len(packs)
    with connect(built.warehouse, role="loader") as conn:
        ledger = conn.execute(
            """select subject, status, attempts, array_length(attachments, 1) from ops.outbox
               where period = %s and subject = any(%s) and submission_id is null order by 1""",
            [MONTH, PACK_COUNCILS],
        ).fetchall()
    assert ledger == sorted((c, "sent", 1, 2) for c in PACK_COUNCILS)


# --- what a reader sees in a pack (issue 12, item 14) -------------------------------------------

#: Words split across two lines inside a table header, and header cells wider than their
#: column: measured on the laid-out page, word by word (a Range per word: one line box
#: per line it spans).
BROKEN_HEADERS = r"""(() => {
  const out = [];
  for (const th of document.querySelectorAll('th')) {
    const walker = document.createTreeWalker(th, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      for (const m of node.data.matchAll(/[\p{L}\p{N}'’]+/gu)) {
        const r = document.createRange();
        r.setStart(node, m.index);
        r.setEnd(node, m.index + m[0].length);
        const lines = new Set([...r.getClientRects()].filter(b => b.width > 0).map(b => Math.round(b.bottom)));
        if (lines.size > 1) out.push('split: ' + m[0]);
      }
    }
    if (th.scrollWidth > th.clientWidth + 1) out.push('overflows: ' + th.textContent.trim());
  }
  return out;
})()"""

#: Text of a chart drawn (even partly) outside its SVG's viewBox, with the real font.
CHART_TEXT_OUTSIDE = r"""(() => {
  const out = [];
  for (const svg of document.querySelectorAll('svg[data-chart]')) {
    const [x0, y0, w, h] = svg.getAttribute('viewBox').split(/\s+/).map(Number);
    for (const t of svg.querySelectorAll('text')) {
      const b = t.getBBox();
      if (b.x < x0 - 0.5 || b.x + b.width > x0 + w + 0.5 || b.y < y0 - 0.5 || b.y + b.height > y0 + h + 0.5)
        out.push(svg.id + ': ' + t.textContent);
    }
  }
  return out;
})()"""

#: Tables wider than the column they sit in (auto layout keeps whole header words, but
#: never at the price of a table running off the page).
TABLES_TOO_WIDE = r"""(() => [...document.querySelectorAll('table')]
  .filter(t => t.getBoundingClientRect().right > t.parentElement.getBoundingClientRect().right + 1)
  .map(t => t.querySelector('caption').textContent))()"""


def _svgs(html: str, kind: str) -> list[ET.Element]:
    return [ET.fromstring(s) for s in re.findall(rf'<svg [^>]*data-chart="{kind}".*?</svg>', html, re.DOTALL)]


def _pack(packs, code: str) -> str:
    return Path(next(p["html"] for p in packs if p["council_code"] == code)).read_text(encoding="utf-8")


def test_every_legend_entry_lies_inside_its_trend_chart_for_the_longest_council_name(packs):
    names = {fmt.display_name(c.name) for c in catalogue.councils().values()}
    longest = fmt.display_name(catalogue.councils()[MOORLANDS].name)
    assert len(longest) == max(map(len, names))  # Staffordshire Moorlands
    charts_ = _svgs(_pack(packs, MOORLANDS), "trend")
    assert charts_
    for svg in charts_:
        width = float(svg.get("viewBox").split()[2])
        legend = [t for t in svg.iter(f"{SVG}text") if t.text in (longest, "Neighbours (median)", "Region")]
        assert sorted(t.text for t in legend) == sorted([longest, "Neighbours (median)", "Region"]), svg.get("id")
        for t in legend:
            right = float(t.get("x")) + text_width(t.text, float(t.get("font-size")))
            assert right <= width, (svg.get("id"), t.text, right, width)


def test_packs_as_printed_and_on_screen_split_no_header_word_and_keep_chart_text_inside(packs):
    documents = [Path(p["html"]) for p in packs]
    with Chromium() as browser:
        for path in documents:
            for media, width in (("print", PRINT_WIDTH_PX), ("screen", 1280)):
                for check in (BROKEN_HEADERS, TABLES_TOO_WIDE, CHART_TEXT_OUTSIDE):
                    assert browser.evaluate(path, check, media=media, width=width) == [], (path.name, media)


def test_year_to_date_trend_lines_break_at_the_financial_year(built, packs):
    code = DUDLEY
    with data.open_marts(built.warehouse) as conn:
        d = data.month_data(conn, MONTH)
    pack = packs_view.build(d, code)
    pm = next(pm for pm in pack.metrics if pm.metric.metric_id == "fin_council_tax_collection_rate")
    svg = ET.fromstring(packs_view._trend(d, d.councils[code], pm))
    # the figure does restart: March near 100%, April a few per cent (a cliff if joined)
    own = {
        c.get("data-period"): (float(c.get("cx")), float(c.get("data-value")))
        for g in svg.iter(f"{SVG}g")
        if g.get("data-series") == d.councils[code].display_name
        for c in g
    }
    assert own["2026-04"][1] < own["2026-03"][1] / 2
    march, april = own["2026-03"][0], own["2026-04"][0]
    lines = [p for p in svg.iter(f"{SVG}path") if p.get("fill") == "none"]
    assert len(lines) >= 3  # council, neighbours, region: a run each up to March
    for path in lines:  # none joins March to April
        xs = [float(x) for x in re.findall(r"[ML]([\d.]+),", path.get("d"))]
        assert all(x <= march for x in xs) or all(x >= april for x in xs), path.get("d")
    [rule] = [line for line in svg.iter(f"{SVG}line") if line.get("data-break")]
    assert rule.get("data-break") == "2026-04" and march < float(rule.get("x1")) < april
    assert pm.year_to_date and "Year to date" in svg.find(f"{SVG}desc").text


def test_west_midlands_column_shows_the_published_figure_where_no_council_gives_numerators(built, packs):
    html = _pack(packs, DUDLEY)
    row = re.search(
        r'<tr data-metric="waste_defra_household_recycling_rate" data-period="([^"]+)"'
        r' data-status="value">(.*?)</tr>',
        html,
        re.DOTALL,
    )
    period, cells = row.group(1), row.group(2)
    [[published]] = marts(
        built,
        """select region_published_value from marts.mart_region_performance
                                    where metric_id = 'waste_defra_household_recycling_rate' and financial_year = %s""",
        [period],
    )
    assert published is not None
    [figure] = [f for f in checks.figures(cells) if f["mart"] == "mart_region_performance"]
    assert figure["field"] == "region_published_value"
    assert figure["key"] == {"financial_year": period, "metric_id": "waste_defra_household_recycling_rate"}
    assert float(figure["value"]) == pytest.approx(float(published))
    assert figure["text"] == f"{fmt.value(published, 'percent')} (published)"


def test_every_value_in_a_pack_carries_its_unit(built, packs):
    units = {r[0]: (r[1], r[2]) for r in marts(built, "select metric_id, normalised_unit, unit from marts.dim_metric")}
    checked = set()
    for p in packs:
        html = Path(p["html"]).read_text(encoding="utf-8")
        for f in checks.figures(html):
            if f["tag"] != "td" or f["field"] not in ("normalised_value", "region_value", "region_published_value"):
                continue
            normalised_unit, unit = units[f["key"]["metric_id"]]
            shown = f["text"].removesuffix(" (published)")
            assert shown == fmt.value(f["value"], normalised_unit, unit), f
            if normalised_unit != "count":
                assert re.search(r"[%£]|\d [a-z]", shown), f
            checked.add(normalised_unit)
        # a chart's value axis names its unit where the ticks do not (days, per 1,000 residents, kg)
        for svg in _svgs(html, "trend"):
            metric = svg.get("data-metric")
            title = [t.text for t in svg.iter(f"{SVG}text") if t.get("data-axis-title")]
            assert title == ([] if fmt.axis_title(*units[metric]) is None else [fmt.axis_title(*units[metric])])
    assert {"percent", "per 1,000 residents", "per_100k", "days", "fte_days", "kg"} <= checked


def test_pack_wording_has_no_doubled_labels_or_unpluralised_counts(built, packs):
    texts = []
    for p in packs:
        html = Path(p["html"]).read_text(encoding="utf-8")
        texts.append(unescape(re.sub(r"<[^>]+>", " ", html)))
        texts.extend(json.loads(Path(p["summary"]).read_text())["lines"])
    text = " ".join(" ".join(texts).split())
    assert "(s)" not in text
    assert not re.findall(r"(?<![\w.,])1 (?:periods|councils|metrics|days|figures|outliers|files)\b", text)
    assert not re.findall(r"Not (?:available|applicable)[^:.]*: Not (?:available|applicable)", text)
    # a council's own note beside a figure it could not give, labelled once
    shown = 0
    for p in packs:
        html = Path(p["html"]).read_text(encoding="utf-8")
        for metric, period, row in re.findall(
            r'<tr data-metric="(\w+)" data-period="([^"]*)" '
            r'data-status="not_available">(.*?)</tr>',
            html,
            re.DOTALL,
        ):
            [(note,)] = marts(
                built,
                "select note from marts.fct_metric_value where council_code = %s and metric_id = %s and period = %s",
                [p["council_code"], metric, period],
            )
            if note:
                assert unescape(row).count(fmt.labelled("Not available", note)) == 1, row
                shown += note.startswith("Not ")
    assert shown  # notes that open with a label of their own were there
    with data.open_marts(built.warehouse) as conn:
        metric = data.metrics(conn)["waste_household_recycling_rate"]
    few = packs_view._caveats(metric, {"group_size": 1, "trend_periods": 1}, None, None, False)
    assert "small group: 1 council" in few and "trend from 1 period only" in few
    assert fmt.plural(1, "period") == "1 period" and fmt.plural(0, "council") == "0 councils"
    assert fmt.labelled("Not available", "Not applicable: no housing stock") == "Not applicable: no housing stock"
    assert fmt.labelled("Not available", "the owner is on leave") == "Not available: the owner is on leave"


# --- context beside every comparison, and the good practice behind the figures (issue 17) --------

CONTEXT_COLUMNS = (
    "imd_avg_score",
    "imd_rank_avg_score",
    "imd_share_most_deprived_10pct",
    "residents_per_hectare",
    "region_residents_per_hectare",
    "england_residents_per_hectare",
)


def _text(html: str) -> str:
    """The words a reader sees: inline elements (a figure's span, a link) join their text."""
    inline = re.sub(r"</?(?:span|a|strong|em)\b[^>]*>", "", html)
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", inline)).split())


def _context_rows(built, codes: list[str]) -> dict[str, dict]:
    with data.open_marts(built.warehouse) as conn:
        rows = data.council_context(conn)
    return {code: rows[code] for code in codes}


def test_pack_context_block_states_the_councils_deprivation_and_density_from_the_mart(built, packs):
    rows = _context_rows(built, PACK_COUNCILS)
    for p in packs:
        html = Path(p["html"]).read_text(encoding="utf-8")
        row = rows[p["council_code"]]
        # the sources are loaded in the test warehouse: every deprivation and density figure is there
        assert all(row[c] is not None for c in CONTEXT_COLUMNS), row
        block = html[html.index('<section id="context"') : html.index('<section id="summary"')]
        shown = {f["field"]: f for f in checks.figures(block) if f["mart"] == "mart_council_context"}
        assert set(CONTEXT_COLUMNS) <= set(shown)
        for column, f in shown.items():
            assert f["key"] == {"council_code": p["council_code"]}, f
            assert float(f["value"]) == pytest.approx(float(row[column])), f
        assert shown["imd_avg_score"]["text"] == context_view.show(row["imd_avg_score"], "score")
        assert shown["imd_rank_avg_score"]["text"] == fmt.ordinal(row["imd_rank_avg_score"])
        assert shown["imd_share_most_deprived_10pct"]["text"] == context_view.show(
            row["imd_share_most_deprived_10pct"], "percent"
        )
        assert shown["residents_per_hectare"]["text"] == context_view.show(row["residents_per_hectare"], "per_hectare")
        among = context_view.RANKED_AMONG[row["imd_ranked_among"]]
        name = fmt.display_name(catalogue.councils()[p["council_code"]].name)
        line = (
            f"Context: {name}'s IMD {row['iod_release']} average score is "
            f"{shown['imd_avg_score']['text']}, the {fmt.ordinal(row['imd_rank_avg_score'])} most deprived of "
            f"England's {among}"
        )
        text = _text(html)
        # the line at the top, in the context block, and beside every league table
        sections = html.count('<section class="area"')
        assert sections > 5 and text.count(line) == sections + 2, (line, text.count(line))
        assert (
            f"{shown['residents_per_hectare']['text']} residents per hectare (West Midlands "
            f"{context_view.show(row['region_residents_per_hectare'], 'per_hectare')}, England "
            f"{context_view.show(row['england_residents_per_hectare'], 'per_hectare')})"
        ) in text
    # a county is ranked among the upper-tier authorities, a district among the districts
    assert rows[WARWICKSHIRE]["imd_ranked_among"] == "upper tier"
    assert rows[MOORLANDS]["imd_ranked_among"] == "district"


def test_a_pack_with_no_context_published_says_so(built):
    with data.open_marts(built.warehouse) as conn:
        d = data.month_data(conn, MONTH)
    d.context, d.economy = {}, []  # as a warehouse whose context sources are not loaded yet
    html = render.pack_html(packs_view.build(d, DUDLEY))
    text = _text(html)
    assert "Context: Dudley's deprivation and density figures are not published yet." in text
    assert text.count("not published yet") > 8  # the line beside every table, and each figure in the block
    assert not [f for f in checks.figures(html) if f["mart"] in ("mart_council_context", "mart_region_economy")]


def test_annual_economy_section_is_the_mart_region_economy(built, annual):
    html = Path(annual[1][0]["html"]).read_text(encoding="utf-8")
    assert '<a href="#economy">Economy</a>' in html and '<h2 id="economy-h">Economy</h2>' in html
    section = html[html.index('<section class="chapter" id="economy"') : html.index('<section id="england"')]
    with data.open_marts(built.warehouse) as conn:
        rows = data.region_economy(conn)
    assert {r["area_level"] for r in rows} >= {"region", "country"} and rows
    by_key = {(r["indicator_id"], r["area_code"]): r for r in rows}
    figures = [f for f in checks.figures(section) if f["mart"] == "mart_region_economy" and f["tag"] != "rect"]
    for f in figures:
        r = by_key[(f["key"]["indicator_id"], f["key"]["area_code"])]
        assert float(f["value"]) == pytest.approx(float(r[f["field"]])), f
        expected = (context_view.show if f["field"] == "value" else context_view.change_text)(r[f["field"]], r["unit"])
        assert f["text"] == expected, f
    # every published value and change is in the table, in the right column
    assert {(f["key"]["indicator_id"], f["key"]["area_code"], f["field"]) for f in figures} == {
        (r["indicator_id"], r["area_code"], column)
        for r in rows
        for column in ("value", "change")
        if r[column] is not None
    }
    table = section[section.index("<tbody>") : section.index("</tbody>")]
    for indicator_id in {r["indicator_id"] for r in rows}:
        row = re.search(rf'<tr data-indicator="{indicator_id}">(.*?)</tr>', table, re.S).group(1)
        cells = re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)
        for level, cell in zip(("region", "country", "uk"), cells, strict=False):
            [mart_row] = [r for r in rows if r["indicator_id"] == indicator_id and r["area_level"] == level] or [None]
            if mart_row is None or mart_row["value"] is None:
                assert "no value" in cell
            else:
                assert _text(cell) == context_view.show(mart_row["value"], mart_row["unit"])
    # the series break is named, never a change across it
    for r in rows:
        if r["note"]:
            assert unescape(r["note"]) in unescape(section)
    svgs = _svgs(section, "bars")
    assert svgs and all(svg.get("data-indicator") for svg in svgs)


def test_case_studies_beside_the_metrics_a_council_should_look_at_and_in_the_annual_report(built, packs, annual):
    suggested = marts(
        built,
        """select council_code, metric_id, case_study_id from marts.mart_good_practice
           where suggestion_type = 'case_study' and council_code = any(%s)""",
        [PACK_COUNCILS],
    )
    expected = {}
    for code, metric, case in suggested:
        expected.setdefault((code, metric), set()).add(case)
    # the mart judges each metric at its latest period: the rows of the pack at that period
    latest = dict(
        marts(
            built,
            """select distinct on (metric_id) metric_id, period from marts.mart_benchmark
               where group_type = 'region' order by metric_id, period_index desc""",
        )
    )
    listed_in_watch = 0
    for p in packs:
        html = Path(p["html"]).read_text(encoding="utf-8")
        code = p["council_code"]
        # every league-table row: the case studies the mart suggests for the council and metric, no others
        rows = re.findall(r'<tr data-metric="(\w+)" data-period="([^"]*)" data-status="\w+">(.*?)</tr>', html, re.S)
        for metric, period, row in rows:
            shown = set(re.findall(r'data-case-study="([^"]+)"', row))
            if period == latest.get(metric):
                assert shown == expected.get((code, metric), set()), (code, metric)
        # where to look first: the case studies (title, council, headline outcome, link) beside whom to ask
        watch = html[html.index('id="watch"') : html.index('<section class="area"')]
        periods = {metric: period for metric, period, _ in rows}
        for metric, figure_html in re.findall(r'<figure data-metric="(\w+)">(.*?)</figure>', watch, re.S):
            if periods.get(metric) != latest.get(metric):
                continue
            cases = expected.get((code, metric), set())
            assert set(re.findall(r'data-case-study="([^"]+)"', figure_html)) == cases
            for case in cases:
                [(title, council, outcome, link)] = marts(
                    built,
                    """select title, council_name, headline_outcome, link from marts.mart_case_studies
                       where case_study_id = %s and metric_id = %s""",
                    [case, metric],
                )
                text = _text(figure_html)
                assert f"{title} ({fmt.display_name(council)}): {outcome.replace(' -> ', ' → ')}" in text
                assert f'href="{link}"' in figure_html
                listed_in_watch += 1
    assert listed_in_watch  # the test history puts some of these councils where a case study helps
    # the annual report lists every case study, under its service area
    html = Path(annual[1][0]["html"]).read_text(encoding="utf-8")
    assert '<a href="#good-practice">Good practice</a>' in html
    section = html[html.index('id="good-practice"') : html.index('id="quality"')]
    studies = marts(built, "select distinct case_study_id, title, service_area from marts.mart_case_studies")
    assert studies
    assert set(re.findall(r'data-case-study="([^"]+)"', section)) == {s[0] for s in studies}
    for case_id, title, area in studies:
        heading = section.index(f'<h3 id="good-practice-{area}"')
        assert section.index(f'data-case-study="{case_id}"', heading) > heading and title in unescape(section)


def test_context_and_economy_render_in_chromium_and_in_the_pdfs(annual, packs):
    with Chromium() as browser:
        for p in packs:
            shown = browser.evaluate(
                Path(p["html"]),
                "[...document.querySelectorAll('.context-line')].filter(e => e.getBoundingClientRect().height > 0)"
                ".length",
            )
            assert shown == Path(p["html"]).read_text(encoding="utf-8").count('class="context-line"') > 5
        rows = browser.evaluate(
            Path(annual[1][0]["html"]), "document.querySelectorAll('#economy tbody tr').length", media="screen"
        )
        assert rows > 3
    text = " ".join(checks.pdf_text(Path(annual[1][0]["pdf"])).split())
    assert "Economy" in text and "Change over the year" in text and "Good practice" in text
    for p in packs:
        pdf = " ".join(checks.pdf_text(Path(p["pdf"])).split())
        name = fmt.display_name(catalogue.councils()[p["council_code"]].name)
        assert f"Context: {name}'s IMD" in pdf and "residents per hectare (West Midlands" in pdf
