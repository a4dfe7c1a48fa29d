"""A made-up universe of the suppliers West Midlands councils pay, and the messy names
they publish for them, with the truth kept: which supplier every raw name stands for.

The suppliers are fictitious but shaped like the real lists: builders, care homes,
skip hire, IT firms, consultancies, utilities, fuel, stationers, charities, NHS trusts,
colleges and the councils themselves, and sole traders trading under a name. Companies
have company numbers (LLPs 'OC...', a few Scottish 'SC...'), most are VAT-registered.
Some are near misses of another, and really are different companies with their own
numbers ('Midland Care Services Ltd' and 'Midlands Care Services Ltd'), so a matcher
that merges on a look-alike name loses precision.

Each council has habits of its own finance system (capitals, names cut at 35
characters, company and VAT numbers published or not, and how), and writes each
supplier it uses once, sometimes twice, with the variations real files show: legal
form spelled Ltd/Limited/LTD./none, '&' or 'and', 'The' dropped, doubled spaces, stray
punctuation, an occasional typo, 'T/A'. A raw name two suppliers could both have
produced (cut to the same 35 characters, say) is left out of the labelled set: no one
can tell which supplier it was.

    records, truth = labelled_records(3_000)          # raw records and raw name -> id
    print(measure(50_000))                           # resolution time and pairwise scores

Deterministic: the same seed gives the same universe, names and records.
"""

from __future__ import annotations

import random
import string
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache
from time import perf_counter

from councilbench.core import catalogue
from councilbench.spend.names import name_key
from councilbench.spend.suppliers import MatchSettings, SupplierRecord, pairwise_scores, resolve

SEED = 15

PLACES = (
    "Birmingham", "Coventry", "Wolverhampton", "Walsall", "Dudley", "Sandwell", "Solihull", "Stafford",
    "Lichfield", "Tamworth", "Cannock", "Rugby", "Nuneaton", "Warwick", "Leamington", "Stratford", "Redditch",
    "Bromsgrove", "Kidderminster", "Worcester", "Malvern", "Evesham", "Shrewsbury", "Telford", "Oswestry",
    "Ludlow", "Hereford", "Leek", "Stoke", "Burton", "Uttoxeter", "Stourbridge", "Halesowen", "Bilston",
    "Wednesbury", "Tipton", "Oldbury", "Sutton Coldfield", "Kenilworth", "Droitwich", "Pershore", "Bridgnorth",
    "Ledbury", "Midland", "Mercia", "Severn", "Black Country", "Heart of England", "Arden", "Marches", "Chase",
    "Trent", "Avon", "Wyre Forest", "Staffordshire", "Shropshire", "Warwickshire", "Worcestershire",
    "Herefordshire", "West Midlands", "Central England", "Cotswold", "Peak", "Teme Valley",
)  # fmt: skip
SURNAMES = (
    "Smith", "Jones", "Taylor", "Brown", "Williams", "Wilson", "Johnson", "Davies", "Patel", "Khan", "Singh",
    "Ahmed", "Hussain", "Evans", "Thomas", "Roberts", "Walker", "Wright", "Robinson", "Thompson", "White",
    "Hughes", "Edwards", "Green", "Hall", "Wood", "Harris", "Lewis", "Martin", "Jackson", "Clarke", "Clark",
    "Turner", "Hill", "Scott", "Cooper", "Morris", "Ward", "Moore", "King", "Watson", "Baker", "Harrison",
    "Morgan", "Patterson", "Young", "Allen", "Mitchell", "James", "Anderson", "Phillips", "Lee", "Bell",
    "Parker", "Davis", "Bennett", "Griffiths", "Shaw", "Cook", "Richards", "Chapman", "Mason", "Hunt",
    "Holmes", "Palmer", "Marshall", "Kaur", "Begum", "Ali", "Mahmood", "Sharma", "Gill", "Sandhu",
    "Dhillon", "Bhatti", "Nolan", "Doyle", "Murphy", "Kelly", "Fletcher", "Dawson", "Webb", "Rogers",
    "Stevens", "Pearce", "Gibson", "Lloyd", "Owen", "Price", "Powell", "Jenkins", "Bailey", "Barker",
)  # fmt: skip
FORENAMES = (
    "John", "David", "Paul", "Mark", "Andrew", "Gary", "Steven", "Ian", "Michael", "Sarah", "Karen", "Julie",
    "Susan", "Mohammed", "Imran", "Rajinder", "Harjit", "Sunita", "Amir", "Tariq", "Lisa", "Emma", "Dean",
    "Wayne", "Lee", "Craig", "Nigel", "Trevor", "Alan", "Joanne", "Claire", "Nicola", "Peter", "Simon",
)  # fmt: skip
BRANDS = (
    "Apex", "Summit", "Premier", "Evergreen", "Keystone", "Horizon", "Beacon", "Oakwood", "Willow", "Cedar",
    "Bluebell", "Crown", "Sterling", "Meridian", "Nexus", "Vertex", "Pinnacle", "Liberty", "Harmony", "Unity",
    "Phoenix", "Cornerstone", "Bridgeway", "Lionheart", "Castlegate", "Ashfield", "Elmwood", "Foxglove",
    "Greenacre", "Hawthorn", "Ivy", "Juniper", "Kingfisher", "Larch", "Maple", "Northgate", "Orchard",
    "Primrose", "Quayside", "Riverside", "Silverbirch", "Thornbury", "Valley", "Westbury", "Yew Tree",
    "Zenith", "Acorn", "Brook", "Clearwater", "Diamond", "Eagle", "Falcon", "Granite", "Heron", "Icon",
    "Jubilee", "Kestrel", "Lantern", "Magnolia", "Nova", "Optimum", "Paragon", "Quantum", "Regent",
    "Sapphire", "Trinity", "Vanguard", "Wessex", "Amber", "Compass", "Evolve", "Landmark", "Precision",
)  # fmt: skip
TECH_ENDINGS = ("soft", "data", "net", "tek", "logic", "ware", "cloud", "byte", "link", "sys")
TRADES = (
    "Plumbing", "Plumbing & Heating", "Electrical", "Building Services", "Roofing", "Joinery", "Decorating",
    "Landscapes", "Tree Surgery", "Cleaning Services", "Locksmiths", "Glazing", "Fencing", "Driveways",
    "Taxis", "Catering", "Pest Control", "Removals", "Gas Services", "Flooring", "Signs", "Security",
)  # fmt: skip
#: sector -> (weight, name patterns, legal forms). {P} place, {S} surname, {B} brand, {T} tech, {R} trade.
SECTORS: dict[str, tuple[int, tuple[str, ...], tuple[str, ...]]] = {
    "construction": (16, (
        "{S} Construction", "{S} & {S2} Builders", "{P} Roofing Contractors", "{B} Civil Engineering",
        "{S} Groundworks", "{P} Scaffolding", "{B} Highways", "{S} Electrical Contractors", "{P} Building Services",
        "{B} Developments", "{S} Brothers Construction", "{P} Demolition", "{B} Surfacing",
    ), ("Ltd", "Ltd", "Ltd", "Limited", "PLC")),
    "care": (18, (
        "{P} Care Services", "{B} Homecare", "{B} House Care Home", "{B} Healthcare", "{B} Supported Living",
        "Caring Hands {P}", "{P} Home Care", "{B} Lodge Nursing Home", "{B} Care Group", "{P} Fostering",
        "{B} Residential Care", "{S} Care Agency", "{P} Domiciliary Care", "{B} Care ({P})", "{B} Homecare {P}",
        "{S} Court Care Home", "{B} Manor Nursing Home",
    ), ("Ltd", "Ltd", "Limited", "CIC")),
    "waste": (5, (
        "{P} Waste Management", "{S} Skip Hire", "{B} Recycling", "{P} Environmental Services", "{B} Waste Solutions",
        "{S} Waste Services", "{S} & {S2} Recycling",
    ), ("Ltd", "Limited")),
    "it": (9, (
        "{B} IT Solutions", "{B}{T} Systems", "{B} Digital", "{P} Computer Services", "{B} Software",
        "{B}{T}", "{B} Networks", "{B} Cyber Security",
    ), ("Ltd", "Ltd", "Limited", "PLC")),
    "consultancy": (8, (
        "{S} {S2}", "{S} Associates", "{B} Consulting", "{B} Advisory", "{S} & Partners", "{P} Surveyors",
        "{S} Legal", "{B} Recruitment",
    ), ("LLP", "Ltd", "LLP", "Limited")),
    "utilities": (2, ("{P} Water", "{B} Energy", "{B} Power", "{P} Gas Supplies", "{B} Telecom"), ("PLC", "Ltd")),
    "fuel": (2, ("{S} Fuels", "{P} Oil Supplies", "{B} Fuel Cards"), ("Ltd", "Limited")),
    "stationery": (3, ("{B} Office Supplies", "{P} Stationers", "{B} Print & Design", "{B} Furniture"), ("Ltd", "Limited")),
    "charity": (7, (
        "Age Concern {P}", "{P} Citizens Advice", "{P} Mind", "{P} Carers Centre", "{P} Community Foundation",
        "{P} Voluntary Action", "{P} Women's Aid", "{P} Food Bank", "The {B} Trust", "{P} Youth Project",
        "Friends of {B} Park", "The {S} Foundation", "{B} Community Trust {P}",
    ), ("", "", "CIO", "CIC", "Ltd")),
    "public": (3, (
        "{P} NHS Foundation Trust", "{P} and {P2} NHS Foundation Trust", "{P} College", "{B} Academy Trust",
        "{P} Integrated Care Board", "{P} Fire and Rescue Service",
    ), ("",)),
    "sole_trader": (27, ("{R}",), ("",)),
}  # fmt: skip
#: Spellings that make a different, real-looking company from a name (near misses).
TWIN_SPELLINGS = (
    ("Midland", "Midlands"), ("Smith", "Smyth"), ("Clarke", "Clark"), ("Brown", "Browne"), ("Phillips", "Philips"),
    ("Thompson", "Thomson"), ("Stevens", "Stephens"), ("Construction", "Constructions"), ("Care", "Carers"),
    ("Services", "Service"), ("Solutions", "Solution"), ("Associates", "Associate"), ("Green", "Greene"),
)  # fmt: skip


@dataclass(frozen=True)
class Supplier:
    supplier_id: str
    name: str  # the registered (or, for a sole trader, the person's) name, with its legal form
    sector: str
    company_number: str | None = None
    vat_number: str | None = None
    trading_name: str | None = None  # a sole trader's trade, or a company's 'T/A' name
    reach: int = 1  # how many councils pay it


@dataclass(frozen=True)
class Habits:
    """How one council's finance system writes supplier names."""

    council: str
    capitals: bool
    cut_at: int  # 0: never cut
    company_numbers: str  # '' (not published), 'plain', 'no_zeros', 'float'
    vat_numbers: str  # '', 'plain', 'spaced'


# --- the universe ----------------------------------------------------------------------


def _fill(pattern: str, rng: random.Random) -> str:
    return pattern.format(
        P=rng.choice(PLACES),
        P2=rng.choice(PLACES),
        S=rng.choice(SURNAMES),
        S2=rng.choice(SURNAMES),
        B=rng.choice(BRANDS),
        T=rng.choice(TECH_ENDINGS),
        R=rng.choice(TRADES),
    )


def _numbers(form: str, rng: random.Random) -> tuple[str | None, str | None]:
    if form in ("", "CIO"):  # charities unincorporated or CIOs: no Companies House number
        number = None
    elif form == "LLP":
        number = f"OC{rng.randrange(300000, 450000)}"
    else:
        number = f"SC{rng.randrange(100000, 700000)}" if rng.random() < 0.03 else f"{rng.randrange(1, 16_000_000):08d}"
    vat = f"{rng.randrange(100_000_000, 999_999_999)}" if rng.random() < (0.8 if number else 0.3) else None
    return number, vat


def _reach(sector: str, rng: random.Random) -> int:
    wide = sector in ("it", "utilities", "fuel", "stationery", "consultancy", "public")
    return min(3 if sector == "sole_trader" else 33, int(rng.paretovariate(1.1 if wide else 1.6)))


def _sole_trader(rng: random.Random) -> tuple[str, str]:
    forename, surname, trade = rng.choice(FORENAMES), rng.choice(SURNAMES), rng.choice(TRADES)
    trading = rng.choice(
        (
            f"{surname} {trade}",
            f"{rng.choice(PLACES)} {trade}",
            f"{forename}'s {trade}",
            f"{forename} {surname} {trade}",
        )
    )
    return f"{forename} {surname}", trading


def _candidate(number: int, rng: random.Random) -> Supplier:
    sectors = list(SECTORS)
    sector = rng.choices(sectors, weights=[SECTORS[s][0] for s in sectors])[0]
    _, patterns, forms = SECTORS[sector]
    sid = f"S{number:05d}"
    if sector == "sole_trader":
        person, trading = _sole_trader(rng)
        vat = f"{rng.randrange(100_000_000, 999_999_999)}" if rng.random() < 0.3 else None
        return Supplier(sid, person, sector, None, vat, trading, _reach(sector, rng))
    form = rng.choice(forms)
    name = " ".join(filter(None, (_fill(rng.choice(patterns), rng), form)))
    company, vat = _numbers(form, rng)
    trading = f"{rng.choice(BRANDS)} {rng.choice(TRADES)}" if company and rng.random() < 0.03 else None
    return Supplier(sid, name, sector, company, vat, trading, _reach(sector, rng))


def _twin(of: Supplier, number: int, rng: random.Random) -> Supplier | None:
    """A different company whose name is one spelling away from `of`'s."""
    words = of.name.split()
    swaps = [(i, b if w == a else a) for i, w in enumerate(words) for a, b in TWIN_SPELLINGS if w in (a, b)]
    if not swaps or of.sector == "sole_trader":
        return None
    i, spelling = rng.choice(swaps)
    name = " ".join(words[:i] + [spelling] + words[i + 1 :])
    company, vat = _numbers(words[-1] if words[-1] in ("Ltd", "Limited", "PLC", "LLP", "CIC") else "Ltd", rng)
    return Supplier(f"S{number:05d}", name, of.sector, company, vat, None, _reach(of.sector, rng))


def _public_bodies() -> list[Supplier]:
    """The councils themselves: they pay each other for shared services."""
    return [
        Supplier(f"C{n:04d}", c.name, "council", None, None, None, 6)
        for n, c in enumerate(sorted(catalogue.councils().values(), key=lambda c: c.code))
    ]


def _keys(supplier: Supplier) -> set[str]:
    """The name keys a supplier is known by: its trade name and a company's own name."""
    names = [supplier.trading_name] if supplier.sector == "sole_trader" else [supplier.name, supplier.trading_name]
    return {name_key(name, 0).key for name in names if name}


def _numbers_of(supplier: Supplier) -> set[str]:
    return {f"#{n}" for n in (supplier.company_number, supplier.vat_number) if n}


@lru_cache(maxsize=8)
def universe(size: int = 3_000, seed: int = SEED) -> tuple[Supplier, ...]:
    """`size` suppliers (councils included), about one in twelve a near miss of another."""
    rng = random.Random(f"suppliers:{seed}")
    seeded = [
        Supplier("S00000", "Midland Care Services Ltd", "care", "04417291", "284913377", None, 6),
        Supplier("S00001", "Midlands Care Services Ltd", "care", "09152840", "318840562", None, 5),
    ]
    suppliers, keys = [], set()
    for s in seeded + _public_bodies():
        suppliers.append(s)
        keys |= _keys(s)
    number = len(seeded)
    while len(suppliers) < size:
        if number > 40 * size:
            raise ValueError(f"the name pools cannot make {size:,} different suppliers")
        made = _candidate(number, rng)
        twin = _twin(made, number + 1, rng) if rng.random() < 0.08 else None
        for s in (made, twin):
            # Names and numbers are unique, as the registers keep them.
            if s and not (_keys(s) & keys or _numbers_of(s) & keys) and len(suppliers) < size:
                suppliers.append(s)
                keys |= _keys(s) | _numbers_of(s)
        number += 2
    return tuple(suppliers)


# --- the councils' raw names -----------------------------------------------------------


def council_habits(seed: int = SEED) -> list[Habits]:
    habits = []
    for code in sorted(catalogue.councils()):
        rng = random.Random(f"habits:{seed}:{code}")
        habits.append(
            Habits(
                code,
                capitals=rng.random() < 0.35,
                cut_at=35 if rng.random() < 0.3 else 0,
                company_numbers=rng.choice(("", "", "plain", "no_zeros", "float")),
                vat_numbers=rng.choice(("", "", "plain", "spaced")),
            )
        )
    return habits


_FORM_SPELLINGS = {
    "Ltd": ("Ltd", "Ltd", "Limited", "LTD.", "Ltd.", "", "(Ltd)"),
    "Limited": ("Limited", "Limited", "Ltd", "Ltd.", ""),
    "PLC": ("PLC", "plc", "Plc", "P.L.C.", "Public Limited Company", ""),
    "LLP": ("LLP", "L.L.P.", "llp", ""),
    "CIC": ("CIC", "C.I.C.", "Community Interest Company", ""),
    "CIO": ("CIO", ""),
}
_NEIGHBOURS = dict(zip(string.ascii_lowercase, "sqxsrdfghjklnbpolwaeyvcwzu", strict=True))


def _typo(name: str, rng: random.Random) -> str:
    words = name.split()
    long = [i for i, w in enumerate(words) if len(w) >= 6 and w.isalpha()]
    if not long:
        return name
    i = rng.choice(long)
    w, at = words[i], rng.randrange(2, len(words[i]) - 1)
    kind = rng.choice(("swap", "drop", "double", "neighbour"))
    if kind == "swap":
        w = w[:at] + w[at + 1] + w[at] + w[at + 2 :]
    elif kind == "drop":
        w = w[:at] + w[at + 1 :]
    elif kind == "double":
        w = w[:at] + w[at] + w[at:]
    else:
        w = w[:at] + _NEIGHBOURS.get(w[at].lower(), w[at]) + w[at + 1 :]
    return " ".join(words[:i] + [w] + words[i + 1 :])


def _base_name(s: Supplier, rng: random.Random) -> str:
    if s.sector == "sole_trader":
        forename, surname = s.name.split(" ", 1)
        trade = s.trading_name or s.name
        return rng.choice((trade, trade, f"{s.name} T/A {trade}", f"{forename[0]} {surname} t/a {trade}"))
    if s.trading_name and rng.random() < 0.5:
        return f"{s.name} T/A {s.trading_name}"
    words = s.name.split()
    if words[-1] in _FORM_SPELLINGS:
        words = words[:-1] + [rng.choice(_FORM_SPELLINGS[words[-1]])]
    return " ".join(w for w in words if w)


def raw_name(s: Supplier, habits: Habits, rng: random.Random) -> str:
    """One way this council's system writes this supplier's name."""
    name = _base_name(s, rng)
    if " & " in name and rng.random() < 0.4:
        name = name.replace(" & ", " and ")
    elif " and " in name and rng.random() < 0.2:
        name = name.replace(" and ", " & ")
    if name.startswith("The ") and rng.random() < 0.5:
        name = name[4:]
    if rng.random() < 0.04:
        name = _typo(name, rng)
    if rng.random() < 0.05:
        name = name.replace(" ", "  ", 1)
    if rng.random() < 0.04:
        name = name.replace("'", "")
    if rng.random() < 0.03 and " " in name:
        head, tail = name.rsplit(" ", 1)
        name = f"{head}, {tail}"
    if habits.capitals or rng.random() < 0.03:
        name = name.upper()
    if habits.cut_at:
        name = name[: habits.cut_at]
    return name


def _published_number(number: str | None, style: str) -> str | None:
    if not number or not style:
        return None
    if style == "plain" or not number.isdigit():
        return number
    return str(int(number)) + (".0" if style == "float" else "")


def _published_vat(vat: str | None, style: str) -> str | None:
    if not vat or not style:
        return None
    return vat if style == "plain" else f"GB {vat[:3]} {vat[3:7]} {vat[7:]}"


def _records(s: Supplier, all_habits: list[Habits], seed: int) -> Iterator[tuple[SupplierRecord, str]]:
    rng = random.Random(f"records:{seed}:{s.supplier_id}")
    for habits in rng.sample(all_habits, min(s.reach, len(all_habits))):
        for _ in range(2 if rng.random() < 0.08 else 1):  # a duplicate vendor record
            record = SupplierRecord(
                raw_name=raw_name(s, habits, rng),
                company_number=_published_number(s.company_number, habits.company_numbers),
                vat_number=_published_vat(s.vat_number, habits.vat_numbers),
                council=habits.council,
            )
            yield record, s.supplier_id


def labelled_records(distinct_names: int = 3_000, seed: int = SEED) -> tuple[list[SupplierRecord], dict[str, str]]:
    """Records with about `distinct_names` raw names, and the truth: raw name -> supplier id.

    Raw names that two suppliers both produced are dropped (their truth is unknowable).
    """
    habits = council_habits(seed)
    produced: list[tuple[SupplierRecord, str]] = []
    seen: dict[str, str | None] = {}
    for s in universe(max(200, distinct_names), seed):
        for record, sid in _records(s, habits, seed):
            key = " ".join(record.raw_name.split())
            seen[key] = sid if seen.get(key, sid) == sid else None
            produced.append((record, sid))
        if len(seen) >= distinct_names:
            break
    records = [r for r, _ in produced if seen[" ".join(r.raw_name.split())] is not None]
    truth = {name: sid for name, sid in seen.items() if sid is not None}
    return records, truth


def suppliers_by_council(size: int = 3_000, seed: int = SEED) -> dict[str, list[tuple[SupplierRecord, str]]]:
    """What each council's files call the suppliers it pays: council code -> (record, supplier id).

    For the spend sample files: a line for supplier S in council C's file names it as
    one of C's records for S, so every raw name written has a known supplier.
    """
    habits = council_habits(seed)
    by_council: dict[str, list[tuple[SupplierRecord, str]]] = {h.council: [] for h in habits}
    for s in universe(size, seed):
        for record, sid in _records(s, habits, seed):
            by_council[record.council or ""].append((record, sid))
    return by_council


# --- measurement -----------------------------------------------------------------------


@dataclass(frozen=True)
class SupplierMeasure:
    raw_names: int
    records: int
    suppliers_found: int
    seconds: float
    precision: float
    recall: float

    def __str__(self) -> str:
        return (
            f"{self.raw_names:,} raw names ({self.records:,} records) -> {self.suppliers_found:,} suppliers "
            f"in {self.seconds:.1f} s; pairwise precision {self.precision:.4f}, recall {self.recall:.4f}"
        )


def measure(distinct_names: int = 50_000, seed: int = SEED, settings: MatchSettings | None = None) -> SupplierMeasure:
    """Resolve a labelled sample and score it: the bench's supplier figure."""
    records, truth = labelled_records(distinct_names, seed)
    name_key.cache_clear()  # time the normalisation too
    started = perf_counter()
    rows = resolve(records, settings=settings)
    seconds = perf_counter() - started
    scores = pairwise_scores((row.canonical_id, truth[row.raw_name]) for row in rows if row.raw_name in truth)
    return SupplierMeasure(
        raw_names=len(truth),
        records=len(records),
        suppliers_found=len({row.canonical_id for row in rows if row.canonical_id}),
        seconds=seconds,
        precision=scores.precision,
        recall=scores.recall,
    )


if __name__ == "__main__":
    print(measure())
