"""HTML from the view models, through the Jinja2 templates in councilbench/templates
(report_*.html). Autoescaped; charts are inserted as already-built SVG strings."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from councilbench.reports import format as fmt

TEMPLATES = Path(__file__).resolve().parents[1] / "templates"


@lru_cache(maxsize=1)
def environment():
    from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

    env = Environment(
        loader=FileSystemLoader(str(TEMPLATES)),
        autoescape=select_autoescape(["html"]),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(
        {
            "dir_symbol": fmt.direction_symbol,
            "dir_text": fmt.direction_text,
            "polarity": fmt.polarity_text,
            "area": fmt.service_area_label,
            "month_label": fmt.month_label,
            "ordinal": fmt.ordinal,
            "plural": fmt.plural,
            "noun": fmt.noun,
        }
    )
    return env


def render(template: str, **context) -> str:
    return environment().get_template(template).render(**context)


def annual_html(report) -> str:
    return render(
        "report_annual.html",
        r=report,
        document_title=report.title,
        meta_description=f"{report.title}: {report.subtitle}",
        as_at=report.as_at,
    )


def pack_html(pack) -> str:
    return render(
        "report_pack.html",
        p=pack,
        document_title=pack.title,
        meta_description=f"{pack.title}, {pack.month_label}",
        as_at=pack.as_at,
    )


def write(path: Path, text: str) -> Path:
    """Write atomically: a reader (or a mail attachment) never sees half a report."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".part")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(path)
    return path
