"""The benchmark's figures: each measured value beside its target, printed as a table
and written to the state folder (figures.json for machines, figures.txt for people)."""

from __future__ import annotations

import json
import operator
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path

_COMPARE = {"<": operator.lt, "<=": operator.le, ">=": operator.ge, ">": operator.gt}


@dataclass
class Figure:
    """One measured figure. `target` None means context only (no pass or miss)."""

    key: str
    label: str
    value: float
    unit: str
    target: float | None = None
    compare: str = "<"  # value <compare> target is what "met" means
    detail: str = ""

    @property
    def met(self) -> bool | None:
        if self.target is None:
            return None
        return _COMPARE[self.compare](self.value, self.target)

    def as_dict(self) -> dict:
        return {**asdict(self), "met": self.met}


def _amount(value: float, unit: str) -> str:
    if unit == "x":
        return f"{value:.2f}x"
    if unit == "rows/s":
        return f"{value:,.0f} rows/s"
    if unit == "ratio":  # a share between 0 and 1: precision, recall
        return f"{value:.4f}"
    return f"{value:.2f} s" if value < 10 else f"{value:.1f} s"


def format_line(f: Figure) -> str:
    target = f"{f.compare} {_amount(f.target, f.unit)}" if f.target is not None else ""
    verdict = {True: "met", False: "MISSED", None: ""}[f.met]
    line = f"  {f.label:<66} {_amount(f.value, f.unit):>16}   {target:<16} {verdict}"
    return line.rstrip() + (f"\n      {f.detail}" if f.detail else "")


@dataclass
class Figures:
    """Everything one `make bench` measured, with the conditions it ran under."""

    conditions: dict = field(default_factory=dict)
    figures: list[Figure] = field(default_factory=list)

    def add(self, figure: Figure) -> Figure:
        self.figures.append(figure)
        return figure

    def text(self) -> str:
        c = self.conditions
        head = [
            f"councilbench bench, {c.get('finished_at', '')}",
            f"  {c.get('scale', '')}",
            f"  warehouse server: {c.get('server', '')}; machine: {c.get('machine', '')}",
            "",
            f"  {'figure':<66} {'measured':>16}   {'target':<16}",
        ]
        targets = [format_line(f) for f in self.figures if f.target is not None]
        context = [format_line(f) for f in self.figures if f.target is None]
        return "\n".join(head + targets + ["", "  context (no target):"] + context) + "\n"

    def write(self, folder: Path) -> tuple[Path, Path]:
        self.conditions.setdefault("finished_at", datetime.now(UTC).isoformat(timespec="seconds"))
        folder.mkdir(parents=True, exist_ok=True)
        as_json, as_text = folder / "figures.json", folder / "figures.txt"
        as_json.write_text(
            json.dumps({"conditions": self.conditions, "figures": [f.as_dict() for f in self.figures]}, indent=2) + "\n"
        )
        as_text.write_text(self.text())
        return as_json, as_text
