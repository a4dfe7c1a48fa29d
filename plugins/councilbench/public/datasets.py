"""The public datasets, as configuration: adding a NOMIS dataset is a new entry here,
not new code.

A NOMIS entry names the dataset (``nomis_id``), the fixed dimension selections sent
with every query, the dimension whose codes become our measures, and the metric id each
code maps to (ids from dbt_project/seeds/metric_catalogue.csv, so the catalogue's bounds
apply). The query the client sends is, for the claimant count::

    {base}/api/v01/dataset/NM_162_1.data.csv?geography=E08000025,...,E12000005,E92000001
        &date=2025-01,...,2025-12&gender=0&age=0&measure=1,2&measures=20100
        &select=date_code,date_name,geography_code,...,record_offset,record_count

A spreadsheet entry (a GOV.UK or ONS statistical table) names where the table is (a sheet
by name, a sheet by the title above its header, each measure's own sheet, or the CSVs of
a zip by file name), the header names to look for (alternatives allowed, matched by name,
never by position; 're:' for a pattern), the measure columns (or, in a wide table, the
year columns), the period (a column, the years, the edition, or a zip member's name), how
the publisher's codes and total rows map to ours, the areas expected (which councils;
the region, England, the UK), the suppression markers and its GX suite. The sources
(DEFRA waste, ONS productivity, the Indices of Deprivation, ONS Standard Area
Measurements) are entries below; spreadsheet.py reads them all.

This module is imported by the DAG file at parse time: standard library only.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date

from councilbench.core import calendar, settings

REGION_CODE = "E12000005"  # West Midlands (region)
REGION_NAME = "West Midlands"
ENGLAND_CODE = "E92000001"
ENGLAND_NAME = "England"
AGGREGATE_AREAS = {REGION_CODE: REGION_NAME, ENGLAND_CODE: ENGLAND_NAME}
#: The UK, for the sources that publish it (a dataset asks for it with ``"with_uk": True``).
UK_CODE = "K02000001"
UK_NAME = "United Kingdom"

NOMIS_BASE_URL_ENV = "COUNCILBENCH_NOMIS_BASE_URL"
NOMIS_DEFAULT_BASE_URL = "https://www.nomisweb.co.uk"
#: Anonymous NOMIS calls are capped at 25,000 cells; larger answers are cut short with
#: HTTP 200, so the client pages with RecordOffset (and RecordLimit) up to this size.
NOMIS_PAGE_SIZE = 25_000

# --- the configuration ----------------------------------------------------------------

#: UK Business Counts (NM_142_1 enterprises, NM_141_1 local units): the same dimensions and
#: names in both, verified before a release is read (a renamed code fails `readable`).
UK_BUSINESS_COUNTS_NAMES = {
    "industry": {"37748736": "Total", "150994947": "C : Manufacturing"},
    "employment_sizeband": {
        "0": "Total",
        "10": "Micro (0 to 9)",
        "20": "Small (10 to 49)",
        "30": "Medium-sized (50 to 249)",
        "40": "Large (250+)",
    },
    "legal_status": {"0": "Total"},
    "measures": {"20100": "Value"},
}

DATASETS: dict[str, dict] = {
    "nomis_claimant_count": {
        "kind": "nomis",
        "publisher": "nomis",
        "title": "Claimant count by sex and age (ONS/DWP via NOMIS)",
        "nomis_id": "NM_162_1",
        "frequency": "monthly",  # DATE_CODE is YYYY-MM
        "fixed": {"gender": "0", "age": "0", "measures": "20100"},  # total, all 16+, value
        "names": {"gender": {"0": "Total"}, "age": {"0": "All categories: Age 16+"}, "measures": {"20100": "Value"}},
        "measure_dimension": "measure",
        "measures": {
            "1": "econ_claimant_count",  # Claimant count
            "2": "econ_claimant_rate",
        },  # Claimants as a proportion of residents aged 16-64
        "areas": "all_councils",  # counties too: NOMIS publishes E10 areas
        "with_uk": True,  # NM_162_1 publishes the UK (K02000001): the Economy section sets the region against it
    },
    "nomis_population": {
        "kind": "nomis",
        "publisher": "nomis",
        "title": "Population estimates - local authority based by single year of age (ONS via NOMIS)",
        "nomis_id": "NM_2002_1",
        "frequency": "annual",  # DATE_CODE is YYYY (mid-year, 30 June)
        "fixed": {"gender": "0", "measures": "20100"},  # total, value
        "measure_dimension": "c_age",
        "measures": {
            "200": "econ_population_all_ages",  # All Ages
            "203": "econ_population_16_64",
        },  # Aged 16 - 64
        "areas": "all_councils",
    },
    # --- economy context on NOMIS (issue 17) ------------------------------------------------
    # `names`: the name NOMIS must give each code, so a wrong code (NOMIS numbers its age
    # bands 0 = 16+, 10 = 16-17, 11 = 18-24, ...) rejects the answer instead of loading
    # another series quietly.
    "nomis_claimant_count_18_24": {
        "kind": "nomis",
        "publisher": "nomis",
        "title": "Claimant count by sex and age, aged 18-24 (ONS/DWP via NOMIS)",
        "nomis_id": "NM_162_1",
        "frequency": "monthly",
        "fixed": {"gender": "0", "age": "11", "measures": "20100"},
        "names": {
            "gender": {"0": "Total"},
            "age": {"11": "Aged 18-24"},
            "measure": {"1": "Claimant count"},
            "measures": {"20100": "Value"},
        },
        "measure_dimension": "measure",
        "measures": {
            "1": "econ_claimant_count_18_24",
            "2": "econ_claimant_rate_18_24",  # for an age band: % of residents of that age
        },
        "areas": "all_councils",
        "with_uk": True,  # NM_162_1 publishes the UK (K02000001)
    },
    # Annual Population Survey: two variables kept apart (RQF4+ replaced NVQ4+ from the
    # 2022 data: a break, never spliced), each with its numerator, denominator and 95%
    # confidence interval (the `measures` dimension) as observations of their own.
    "nomis_aps_qualifications": {
        "kind": "nomis",
        "publisher": "nomis",
        "title": "Annual Population Survey: residents aged 16-64 qualified to level 4 or above (ONS via NOMIS)",
        "nomis_id": "NM_17_5",
        "frequency": "annual",
        "date_code": "{year}-12",  # the 12 months January to December of the year
        "fixed": {},
        "names": {
            "variable": {"1902": "% with RQF4+ - aged 16-64", "290": "% with NVQ4+ - aged 16-64"},
            "measures": {"20599": "Variable", "21001": "Numerator", "21002": "Denominator", "21003": "Confidence"},
        },
        "measure_dimension": "variable",
        "parts_dimension": "measures",
        "measures": {
            "1902/20599": "econ_qual_rqf4_pct",
            "1902/21001": "econ_qual_rqf4_pct__numerator",
            "1902/21002": "econ_qual_rqf4_pct__denominator",
            "1902/21003": "econ_qual_rqf4_pct__confidence",
            "290/20599": "econ_qual_nvq4_pct",
            "290/21001": "econ_qual_nvq4_pct__numerator",
            "290/21002": "econ_qual_nvq4_pct__denominator",
            "290/21003": "econ_qual_nvq4_pct__confidence",
        },
        "metric_periods": {"econ_qual_nvq4_pct": {"last": "2021-12"}, "econ_qual_rqf4_pct": {"first": "2022-12"}},
        "areas": "all_councils",
        "with_uk": True,
        "gx_suite": "public_nomis_aps",
    },
    # UK Business Counts (IDBR, March of the year): size bands of all industries and
    # manufacturing (SIC 2007 section C); manufacturing's bands come with the query and are
    # kept as parts of it. Counts are rounded to 5, so bands add up to the total within 10.
    "nomis_business_enterprises": {
        "kind": "nomis",
        "publisher": "nomis",
        "title": "UK Business Counts - enterprises by industry and employment size band (ONS via NOMIS)",
        "nomis_id": "NM_142_1",
        "frequency": "annual",  # DATE_CODE is YYYY (March)
        "fixed": {"legal_status": "0", "measures": "20100"},
        "names": UK_BUSINESS_COUNTS_NAMES,
        "measure_dimension": "industry",
        "parts_dimension": "employment_sizeband",
        "measures": {
            "37748736/0": "econ_enterprises_total",
            "37748736/10": "econ_enterprises_micro",
            "37748736/20": "econ_enterprises_small",
            "37748736/30": "econ_enterprises_medium",
            "37748736/40": "econ_enterprises_large",
            "150994947/0": "econ_enterprises_manufacturing",
            "150994947/10": "econ_enterprises_manufacturing__micro",
            "150994947/20": "econ_enterprises_manufacturing__small",
            "150994947/30": "econ_enterprises_manufacturing__medium",
            "150994947/40": "econ_enterprises_manufacturing__large",
        },
        "derived": {  # the suite's columns: parts less their whole, on the whole's row
            "bands_less_total": {
                "parts": [f"econ_enterprises_{band}" for band in ("micro", "small", "medium", "large")],
                "whole": "econ_enterprises_total",
            },
            "manufacturing_less_total": {
                "parts": ["econ_enterprises_manufacturing"],
                "whole": "econ_enterprises_total",
            },
            "manufacturing_bands_less_manufacturing": {
                "parts": [f"econ_enterprises_manufacturing__{band}" for band in ("micro", "small", "medium", "large")],
                "whole": "econ_enterprises_manufacturing",
            },
        },
        "areas": "all_councils",
        "with_uk": True,
        "gx_suite": "public_nomis_business",
    },
    "nomis_business_local_units": {
        "kind": "nomis",
        "publisher": "nomis",
        "title": "UK Business Counts - local units by industry and employment size band (ONS via NOMIS)",
        "nomis_id": "NM_141_1",
        "frequency": "annual",  # DATE_CODE is YYYY (March)
        "fixed": {"legal_status": "0", "measures": "20100"},
        "names": UK_BUSINESS_COUNTS_NAMES,
        "measure_dimension": "industry",
        "parts_dimension": "employment_sizeband",
        "measures": {
            "37748736/0": "econ_local_units_total",
            "37748736/10": "econ_local_units_micro",
            "37748736/20": "econ_local_units_small",
            "37748736/30": "econ_local_units_medium",
            "37748736/40": "econ_local_units_large",
            "150994947/0": "econ_local_units_manufacturing",
            "150994947/10": "econ_local_units_manufacturing__micro",
            "150994947/20": "econ_local_units_manufacturing__small",
            "150994947/30": "econ_local_units_manufacturing__medium",
            "150994947/40": "econ_local_units_manufacturing__large",
        },
        "derived": {  # the suite's columns: parts less their whole, on the whole's row
            "bands_less_total": {
                "parts": [f"econ_local_units_{band}" for band in ("micro", "small", "medium", "large")],
                "whole": "econ_local_units_total",
            },
            "manufacturing_less_total": {
                "parts": ["econ_local_units_manufacturing"],
                "whole": "econ_local_units_total",
            },
            "manufacturing_bands_less_manufacturing": {
                "parts": [f"econ_local_units_manufacturing__{band}" for band in ("micro", "small", "medium", "large")],
                "whole": "econ_local_units_manufacturing",
            },
        },
        "areas": "all_councils",
        "with_uk": True,
        "gx_suite": "public_nomis_business",
    },
    "defra_waste": {
        "kind": "spreadsheet",
        "publisher": "defra",
        "title": "Local authority collected waste management - annual results (LA and regional spreadsheet, Table 3)",
        "url_env": "COUNCILBENCH_DEFRA_WASTE_URL",
        "default_url": "https://assets.publishing.service.gov.uk/media/69c3ce2b93cc6e8b87a6f62c/"
        "LA_and_Regional_Spreadsheet_2023-24.ods",
        "sheet": "Table_3",
        "frequency": "financial_year",  # Year is YYYY-YY
        # Header names to find (any of the alternatives; case, spacing and "[note n]"
        # markers ignored). The header row is the first row holding all of them.
        "columns": {
            "period": ["Year", "Financial Year"],
            "region": ["Region"],
            "area_code": ["ONS code", "LA code", "ONS Code"],
            "area_name": ["Authority", "Local Authority", "Local authority"],
        },
        "measures": {
            "waste_defra_household_recycling_rate": {
                "column": [
                    "Percentage of household waste sent for reuse, recycling or composting (Ex NI192)",
                    "Percentage of household waste sent for reuse, recycling or composting",
                ],
                # DEFRA publishes the rate as a fraction (0.4312); the catalogue's unit is percent.
                "scale": 100,
            },
        },
        # Only West Midlands rows are ours; the England and region totals come as labelled
        # rows without a code.
        "scope_region": "West Midlands",
        "label_areas": {"Total England": ENGLAND_CODE, "England": ENGLAND_CODE, "Total West Midlands": REGION_CODE},
        "suppression_markers": ["[x]", "[c]", "[z]", "[u]", "..", ":", "-"],
        # The release is named in the published file name (..._2023-24.ods, ..._202122.xlsx).
        "release_pattern": r"(20\d\d)[-_]?(\d\d)(?!\d)",
        "areas": "delivering_councils",  # the tiers the catalogue says deliver the metric
    },
    # --- economy context tables (ONS, MHCLG): read by spreadsheet.py like DEFRA's ---------
    # ONS subregional productivity. Each measure is a table of its own sheet, found by the
    # title above its header (tab names and order are not relied on; the titles changed
    # from "Current Price (smoothed) GVA (B)" to "Nominal (smoothed) GVA"), one column per
    # year. "(smoothed)": the unsmoothed tables (A2, A4) and the per-job ones (B) differ.
    "ons_productivity_lad": {
        "kind": "spreadsheet",
        "publisher": "ons",
        "title": "Subregional productivity: labour productivity indices by local authority district (ONS)",
        "url_env": "COUNCILBENCH_ONS_PRODUCTIVITY_LAD_URL",
        "default_url": "https://www.ons.gov.uk/file?uri=/employmentandlabourmarket/peopleinwork/labourproductivity/"
        "datasets/subregionalproductivitylabourproductivityindicesbylocalauthoritydistrict/current/ladproductivity.xlsx",
        "frequency": "annual",
        "layout": "wide",
        "columns": {"area_code": ["LAD Code", "LAD code", "LAD24CD"], "area_name": ["LAD Name", "LAD name", "LAD24NM"]},
        "measures": {
            "econ_gva_per_hour_gbp": {
                "sheet_title": [
                    "Nominal (smoothed) GVA per hour worked (£)",
                    "Current Price (smoothed) GVA (B) per hour worked (£)",
                ]
            },
            "econ_gva_per_hour_index": {
                "sheet_title": [
                    "Nominal (smoothed) GVA per hour worked indices",
                    "Current Price (smoothed) GVA (B) per hour worked indices",
                ]
            },
        },
        "suppression_markers": ["[x]", "[c]", "[z]", "[u]", "..", ":", "-"],
        "areas": "lower_tier_councils",  # districts only: the county figures are ITL3 areas
        "aggregates": [],
        "gx_suite": "public_productivity",
    },
    "ons_productivity_itl": {
        "kind": "spreadsheet",
        "publisher": "ons",
        "title": "Subregional productivity: labour productivity by ITL region (ONS)",
        "url_env": "COUNCILBENCH_ONS_PRODUCTIVITY_ITL_URL",
        "default_url": "https://www.ons.gov.uk/file?uri=/employmentandlabourmarket/peopleinwork/labourproductivity/"
        "datasets/subregionalproductivitylabourproductivitygvaperhourworkedandgvaperfilledjobindicesbyuknuts2andnuts3"
        "subregions/current/itlproductivity.xlsx",
        "frequency": "annual",
        "layout": "wide",
        "columns": {"area_code": ["ITL code", "ITL Code", "ITL"], "area_name": ["Region name", "ITL name", "Name"]},
        "measures": {
            "econ_gva_per_hour_gbp": {
                "sheet_title": [
                    "Nominal (smoothed) GVA per hour worked (£)",
                    "Current Price (smoothed) GVA (B) per hour worked (£)",
                ]
            },
            "econ_gva_per_hour_index": {
                "sheet_title": [
                    "Nominal (smoothed) GVA per hour worked indices",
                    "Current Price (smoothed) GVA (B) per hour worked indices",
                ]
            },
        },
        # ONS publishes no county council figures as such, only ITL areas: each county is
        # its own ITL3 area (ITL 2025), so its ITL3 code stands for it; the West Midlands
        # is ITL1 TLG; England and the UK by their codes or names where the file has them.
        "code_map": {
            "TLG24": "E10000028",  # Staffordshire CC
            "TLG13": "E10000031",  # Warwickshire CC
            "TLG12": "E10000034",  # Worcestershire CC
            "TLG": REGION_CODE,
            "UKG": REGION_CODE,  # the NUTS-era code of the same region
            "UK": UK_CODE,
            "UKX": UK_CODE,
        },
        "label_areas": {
            "England": ENGLAND_CODE,
            "United Kingdom": UK_CODE,
            "United Kingdom less Extra-Regio": UK_CODE,
        },
        "suppression_markers": ["[x]", "[c]", "[z]", "[u]", "..", ":", "-"],
        "areas": "county_councils",
        "aggregates": [REGION_CODE],  # England when published, never required
        "with_uk": True,
        "gx_suite": "public_productivity",
    },
    # English Indices of Deprivation 2025, local authority summaries (sheet "IMD"): File 10
    # the districts (ranked among 296), File 11 the upper tier, where the counties are
    # (ranked among 153). Neither publishes England or the regions.
    "mhclg_iod_lad": {
        "kind": "spreadsheet",
        "publisher": "mhclg",
        "title": "English Indices of Deprivation 2025: local authority district summaries (File 10)",
        "url_env": "COUNCILBENCH_IOD_LAD_URL",
        "default_url": "https://assets.publishing.service.gov.uk/media/6917412ebc34c86ce4e6e7fc/"
        "File_10_-_IoD2025_Local_Authority_District_Summaries__lower-tier__v2.xlsx",
        "sheet": "IMD",
        "frequency": "annual",
        "period": "2025",  # the edition: IoD 2025 (its data are of earlier years)
        "columns": {
            "area_code": ["Local Authority District code (2024)", r"re:local authority district code \(\d{4}\)"],
            "area_name": ["Local Authority District name (2024)", r"re:local authority district name \(\d{4}\)"],
        },
        "measures": {
            "econ_imd_avg_score": {"column": ["IMD - Average score"]},
            "econ_imd_rank_avg_score": {"column": ["IMD - Rank of average score"]},
            # Published as a fraction (0.4321); the catalogue's unit is percent.
            "econ_imd_share_most_deprived_10pct": {
                "column": ["IMD - Proportion of LSOAs in most deprived 10% nationally"],
                "scale": 100,
            },
        },
        "suppression_markers": ["[x]", "[c]", "[z]", ".."],
        "release_pattern": r"IoD(20\d\d)",
        "areas": "lower_tier_councils",
        "aggregates": [],
        "gx_suite": "public_deprivation",
        "suite_parameters": {"ranked_areas": 296},  # local authority districts (2024)
    },
    "mhclg_iod_utla": {
        "kind": "spreadsheet",
        "publisher": "mhclg",
        "title": "English Indices of Deprivation 2025: upper-tier local authority summaries (File 11)",
        "url_env": "COUNCILBENCH_IOD_UTLA_URL",
        "default_url": "https://assets.publishing.service.gov.uk/media/6917414ab49cc44345161802/"
        "File_11_-_IoD2025_Local_Authority_District_Summaries__upper-tier__v2.xlsx",
        "sheet": "IMD",
        "frequency": "annual",
        "period": "2025",
        "columns": {
            "area_code": [
                "Upper Tier Local Authority District code (2024)",
                r"re:upper[ -]tier local authority (district )?code \(\d{4}\)",
            ],
            "area_name": [
                "Upper Tier Local Authority District name (2024)",
                r"re:upper[ -]tier local authority (district )?name \(\d{4}\)",
            ],
        },
        "measures": {
            "econ_imd_avg_score": {"column": ["IMD - Average score"]},
            "econ_imd_rank_avg_score": {"column": ["IMD - Rank of average score"]},
            "econ_imd_share_most_deprived_10pct": {
                "column": ["IMD - Proportion of LSOAs in most deprived 10% nationally"],
                "scale": 100,
            },
        },
        "suppression_markers": ["[x]", "[c]", "[z]", ".."],
        "release_pattern": r"IoD(20\d\d)",
        "areas": "county_councils",  # the unitary and metropolitan rows rank among the upper tier: not ours
        "aggregates": [],
        "gx_suite": "public_deprivation",
        "suite_parameters": {"ranked_areas": 153},  # upper-tier local authorities (2024)
    },
    # ONS Standard Area Measurements: a zip of CSVs, one per geography, whose columns are
    # named by the boundary year (LAD24CD, CTY24NM); AREALHECT is the land (hectares,
    # excluding inland water). The Open Geography Portal serves each release as an item
    # download; point COUNCILBENCH_ONS_LAND_AREA_URL at the current one.
    "ons_land_area": {
        "kind": "spreadsheet",
        "publisher": "ons",
        "title": "Standard Area Measurements for administrative areas in the UK (ONS)",
        "url_env": "COUNCILBENCH_ONS_LAND_AREA_URL",
        "default_url": "https://geoportal.statistics.gov.uk/datasets/ons::standard-area-measurements-december-2024-"
        "for-administrative-areas-in-the-uk/SAM_for_Administrative_Areas_Dec_2024_UK.zip",
        "frequency": "annual",
        "members": [
            {"label": "local authority districts", "pattern": r"(^|/)SAM_LAD_DEC_\d{4}[^/]*\.csv$"},
            {"label": "counties", "pattern": r"(^|/)SAM_CTY_DEC_\d{4}[^/]*\.csv$"},
            {"label": "regions", "pattern": r"(^|/)SAM_RGN_DEC_\d{4}[^/]*\.csv$"},
            {"label": "countries", "pattern": r"(^|/)SAM_CTRY_DEC_\d{4}[^/]*\.csv$"},
        ],
        "member_period_pattern": r"_DEC_(\d{4})",  # the boundaries of December of the release year
        "columns": {
            "area_code": [r"re:(lad|cty|rgn|ctry)\d\dcd"],
            "area_name": [r"re:(lad|cty|rgn|ctry)\d\dnm"],
        },
        "measures": {"econ_land_area_hectares": {"column": ["AREALHECT"]}},
        "suppression_markers": [],
        "release_pattern": r"(?i)dec(?:ember)?[_ -]?(20\d\d)",
        "areas": "all_councils",
        "gx_suite": "public_land_area",
    },
}

#: Public datasets with a loader of their own: dataset id -> its module. GOV.UK's gender
#: pay gap data is one download per reporting year holding every employer, the councils
#: matched by EmployerId rather than area code, loaded into raw.public_gender_pay_gap:
#: not requested ranges of area observations like DATASETS, so the DAG loads it in a
#: task of its own.
OWN_LOADER_DATASETS = {"gender_pay_gap": "councilbench.public.gender_pay_gap_load"}

# --- typed views of the configuration -------------------------------------------------


@dataclass(frozen=True)
class NomisDataset:
    dataset_id: str
    publisher: str
    title: str
    nomis_id: str
    frequency: str
    fixed: dict[str, str]
    measure_dimension: str
    #: Dimension code -> measure id; with a parts dimension, "<measure code>/<part code>" ->
    #: measure id for every combination of the codes (the query asks for all of them).
    measures: dict[str, str]
    areas: str
    with_uk: bool = False  # ask for (and expect) the UK beside the region and England
    #: A second varying dimension (APS: `measures`, the value and its numerator,
    #: denominator and confidence interval); a part's measure id is `<metric id>__<part>`.
    parts_dimension: str | None = None
    #: Dimension -> code -> the name NOMIS must give it (compared ignoring case, spaces
    #: and dashes): a code that reads otherwise rejects the answer, naming code and names.
    names: dict[str, dict[str, str]] = field(default_factory=dict)
    #: The DATE_CODE of a requested year ("{year}-12": the 12 months to December); empty:
    #: the year itself.
    date_code: str = ""
    #: Metric id -> {"first": period, "last": period}: a series published only between
    #: them (NVQ4+ to 2021, RQF4+ from 2022) is not expected outside.
    metric_periods: dict[str, dict[str, str]] = field(default_factory=dict)
    #: Columns for the suite's rules across measures of one area and period: name ->
    #: {"parts": [measure ids], "whole": measure id}, the parts' sum less the whole, on the
    #: whole's row (checks._beside_metrics).
    derived: dict[str, dict] = field(default_factory=dict)
    gx_suite: str = "public_nomis"  # expectations/<gx_suite>.json
    kind: str = "nomis"

    @property
    def suite(self) -> str:
        return self.gx_suite

    def __post_init__(self):
        if self.parts_dimension is None:
            return
        keys = [tuple(k.split("/", 1)) for k in self.measures]
        if any(len(k) != 2 for k in keys):
            raise ValueError(
                f"dataset {self.dataset_id}: with a parts dimension, measures are keyed '<code>/<part code>'"
            )
        grid = {(m, p) for m in self.measure_codes for p in self.part_codes}
        missing = sorted(grid - set(keys))
        if missing:
            raise ValueError(
                f"dataset {self.dataset_id}: no measure id for {', '.join('/'.join(k) for k in missing)}"
                " (the query asks for every combination of the codes)"
            )

    @property
    def measure_codes(self) -> list[str]:
        return list(dict.fromkeys(k.split("/", 1)[0] for k in self.measures))

    @property
    def part_codes(self) -> list[str]:
        if self.parts_dimension is None:
            return []
        return list(dict.fromkeys(k.split("/", 1)[1] for k in self.measures))

    def measure_of(self, code: str, part: str | None = None) -> str:
        """The measure id of an answer row; an unconfigured code is named as it came."""
        key = code if self.parts_dimension is None else f"{code}/{part}"
        unknown = f"{self.measure_dimension}={code}" + (
            f", {self.parts_dimension}={part}" if self.parts_dimension else ""
        )
        return self.measures.get(key, unknown)

    def periods(self, ranges: Ranges) -> list[str]:
        """The DATE_CODEs requested for the ranges."""
        periods = ranges.periods(self.frequency)
        if self.date_code and self.frequency == "annual":
            return [self.date_code.format(year=y) for y in periods]
        return periods

    def base_url(self) -> str:
        return settings.get("COUNCILBENCH_NOMIS_BASE_URL").rstrip("/")

    def data_url(self, base_url: str | None = None) -> str:
        return f"{(base_url or self.base_url()).rstrip('/')}/api/v01/dataset/{self.nomis_id}.data.csv"

    @property
    def dimensions(self) -> list[str]:
        """The dimensions read from every row: the varying ones, then those whose names are checked."""
        varying = [self.measure_dimension] + ([self.parts_dimension] if self.parts_dimension else [])
        return list(dict.fromkeys(d.lower() for d in varying + list(self.names)))

    @property
    def select(self) -> list[str]:
        columns = ["date_code", "date_name", "geography_code", "geography_name", "geography_type"]
        for dim in self.dimensions:
            columns += [dim, f"{dim}_name"]
        return columns + ["obs_value", "obs_status", "obs_status_name", "record_offset", "record_count"]


@dataclass(frozen=True)
class MeasureColumn:
    metric_id: str
    headers: tuple[str, ...]  # the value column's names (long tables); none in a wide table
    scale: float = 1.0
    #: Where the measure's table is when it has one of its own (ONS puts each measure on a
    #: sheet): the sheet's name, or text of the title above its header (alternatives).
    sheet: str = ""
    sheet_title: tuple[str, ...] = ()


@dataclass(frozen=True)
class Member:
    """A CSV inside a published zip, found by its name (one per geography for ONS)."""

    label: str  # what it holds, in words: "counties"
    pattern: str  # regular expression over the member's file name (case ignored)


@dataclass(frozen=True)
class SpreadsheetDataset:
    dataset_id: str
    publisher: str
    title: str
    url_env: str
    default_url: str
    frequency: str
    columns: dict[str, tuple[str, ...]]
    measures: tuple[MeasureColumn, ...]
    suppression_markers: tuple[str, ...]
    areas: str
    sheet: str = ""  # the sheet by name (or each measure's own sheet / title)
    sheet_title: tuple[str, ...] = ()  # ... or by the title above its header
    scope_region: str = ""  # keep this region's rows (DEFRA); empty: keep the expected areas
    label_areas: dict[str, str] = field(default_factory=dict)  # a total row's label -> area code
    code_map: dict[str, str] = field(default_factory=dict)  # the publisher's code -> GSS code
    release_pattern: str = r"(?!)"  # the release in the file name (its groups joined by '-')
    layout: str = "long"  # long: a period column (or fixed period); wide: one column per year
    year_pattern: str = r"^(?:19|20)\d\d$"  # a wide table's year columns (header text)
    period: str = ""  # the one period of every observation (an edition: IoD "2025")
    members: tuple[Member, ...] = ()  # a zip of CSVs: one table per member
    member_period_pattern: str = ""  # the period in a member's name (group 1)
    aggregates: tuple[str, ...] = (REGION_CODE, ENGLAND_CODE)  # expected beside the councils
    with_uk: bool = False  # expect the UK beside the region and England
    gx_suite: str = "public_spreadsheet"
    suite_parameters: dict = field(default_factory=dict)  # facts the suite's rules read
    kind: str = "spreadsheet"

    @property
    def suite(self) -> str:
        return self.gx_suite

    def url(self) -> str:
        return settings.get(self.url_env, self.default_url)

    def release(self, url: str | None = None) -> str:
        """The release named in the file name (2023-24, 2025), or 'latest' when it names none."""
        name = (url or self.url()).rstrip("/").rsplit("/", 1)[-1]
        m = re.search(self.release_pattern, name)
        return "-".join(m.groups()) if m else "latest"


def get(dataset_id: str) -> NomisDataset | SpreadsheetDataset:
    try:
        cfg = dict(DATASETS[dataset_id])
    except KeyError:
        elsewhere = (
            f" ({dataset_id} is loaded by {OWN_LOADER_DATASETS[dataset_id]})"
            if dataset_id in OWN_LOADER_DATASETS
            else ""
        )
        raise KeyError(f"unknown public dataset {dataset_id!r}{elsewhere}; configured: {', '.join(DATASETS)}") from None
    kind = cfg.pop("kind")
    if kind == "nomis":
        return NomisDataset(dataset_id=dataset_id, **cfg)
    if kind == "spreadsheet":
        return _spreadsheet(dataset_id, cfg)
    raise ValueError(f"dataset {dataset_id!r}: unknown kind {kind!r}")


def _spreadsheet(dataset_id: str, cfg: dict) -> SpreadsheetDataset:
    columns = {k: tuple(v) for k, v in cfg.pop("columns").items()}
    measures = tuple(
        MeasureColumn(
            metric_id=m,
            headers=tuple(spec.get("column", ())),
            scale=float(spec.get("scale", 1)),
            sheet=spec.get("sheet", ""),
            sheet_title=tuple(spec.get("sheet_title", ())),
        )
        for m, spec in cfg.pop("measures").items()
    )
    tuples = {k: tuple(cfg.pop(k)) for k in ("suppression_markers", "sheet_title", "aggregates") if k in cfg}
    members = tuple(Member(**m) for m in cfg.pop("members", ()))
    return SpreadsheetDataset(
        dataset_id=dataset_id, columns=columns, measures=measures, members=members, **tuples, **cfg
    )


DATASET_IDS = tuple(DATASETS)


#: A part of a metric (APS numerator, denominator, confidence interval) is stored as an
#: observation of its own, measure `<metric id>__<part>`.
PART_SEPARATOR = "__"


def metric_ids(ds) -> list[str]:
    """The catalogue metrics of a dataset (the parts of a metric are not metrics)."""
    if isinstance(ds, NomisDataset):
        return list(dict.fromkeys(m.split(PART_SEPARATOR, 1)[0] for m in ds.measures.values()))
    return [m.metric_id for m in ds.measures]


def measure_ids(ds) -> list[str]:
    """Every measure an observation of the dataset may carry: its metrics and their parts."""
    if isinstance(ds, NomisDataset):
        return list(ds.measures.values())
    return metric_ids(ds)


# --- areas ----------------------------------------------------------------------------


def known_areas() -> dict[str, str]:
    """Every area code we accept: the 33 councils, the region, England and the UK (code -> name)."""
    from councilbench.core.catalogue import councils

    out = {c.code: c.name for c in councils().values()}
    out.update(AGGREGATE_AREAS)
    out[UK_CODE] = UK_NAME
    return out


def expected_areas(ds) -> dict[str, str]:
    """The areas that must be present: all councils (NOMIS publishes counties too), the
    councils whose tier delivers the dataset's metrics, the lower-tier councils (the local
    authority districts: a table of districts has no county) or the county councils; then
    the region and England (a spreadsheet's ``aggregates`` says which, none for a table
    of councils only), and the UK for a dataset configured ``with_uk``."""
    from councilbench.core.catalogue import councils, metrics

    if ds.areas == "all_councils":
        chosen = list(councils().values())
    elif ds.areas == "delivering_councils":
        tiers = {t for m in metric_ids(ds) for t in metrics()[m].delivering_tiers}
        chosen = [c for c in councils().values() if c.tier in tiers]
    elif ds.areas in ("lower_tier_councils", "county_councils"):
        counties = ds.areas == "county_councils"
        chosen = [c for c in councils().values() if (c.tier == "county") == counties]
    else:
        raise ValueError(f"dataset {ds.dataset_id}: unknown areas rule {ds.areas!r}")
    out = {c.code: c.name for c in chosen}
    out.update({code: AGGREGATE_AREAS[code] for code in getattr(ds, "aggregates", AGGREGATE_AREAS)})
    if ds.with_uk:
        out[UK_CODE] = UK_NAME
    return out


# --- periods --------------------------------------------------------------------------

MONTH_RE = re.compile(r"^\d{4}-(?:0[1-9]|1[0-2])$")
YEAR_RE = re.compile(r"^\d{4}$")
FINANCIAL_YEAR_RE = re.compile(r"^\d{4}-\d{2}$")
PERIOD_REGEX = {"monthly": MONTH_RE.pattern, "annual": YEAR_RE.pattern, "financial_year": FINANCIAL_YEAR_RE.pattern}


def years_between(first: str | int, last: str | int) -> list[str]:
    a, b = int(first), int(last)
    if b < a:
        raise ValueError(f"year range {first}..{last} ends before it starts")
    return [str(y) for y in range(a, b + 1)]


@dataclass(frozen=True)
class Ranges:
    """What one run asks for: months (claimant count) and mid-year estimate years."""

    month_from: str
    month_to: str
    year_from: str
    year_to: str

    def periods(self, frequency: str) -> list[str]:
        if frequency == "monthly":
            return calendar.months_between(self.month_from, self.month_to)
        if frequency == "annual":
            return years_between(self.year_from, self.year_to)
        raise ValueError(f"no requested range for frequency {frequency!r}")

    def label(self, frequency: str) -> str:
        """The ledger period of a request: '2025-01/2025-12' or '2022/2024'."""
        if frequency == "monthly":
            return f"{self.month_from}/{self.month_to}"
        return f"{self.year_from}/{self.year_to}"


def default_ranges(as_of: date) -> Ranges:
    """Sensible ranges for a run on ``as_of``: the 12 published months of claimant count
    (a month is out by about the 20th of the next) and the 3 latest mid-year estimates
    (mid-year Y is out by about August of Y+1)."""
    last_month = calendar.month_index(f"{as_of.year:04d}-{as_of.month:02d}") - (1 if as_of.day >= 20 else 2)
    year_to = as_of.year - 1 if as_of.month >= 8 else as_of.year - 2
    return Ranges(
        month_from=calendar.month_from_index(last_month - 11),
        month_to=calendar.month_from_index(last_month),
        year_from=str(year_to - 2),
        year_to=str(year_to),
    )


def ranges_from_params(params: dict | None, as_of: date) -> Ranges:
    """The DAG's Params (empty means: derive from the run's date) merged over the defaults."""
    params = params or {}
    base = default_ranges(as_of)
    chosen = Ranges(
        month_from=params.get("month_from") or base.month_from,
        month_to=params.get("month_to") or base.month_to,
        year_from=str(params.get("year_from") or base.year_from),
        year_to=str(params.get("year_to") or base.year_to),
    )
    chosen.periods("monthly"), chosen.periods("annual")  # fail early on a malformed range
    return chosen


@dataclass
class Request:
    """One dataset to fetch for one run, with its ledger period."""

    dataset_id: str
    period: str  # ledger period: requested range or release
    periods: list[str] = field(default_factory=list)  # requested periods (NOMIS); empty = as published


def period_regex(ds) -> str:
    """The periods a dataset's observations carry: its frequency's, or its date code's."""
    template = getattr(ds, "date_code", "")
    if template:
        return "^" + r"\d{4}".join(re.escape(p) for p in template.split("{year}")) + "$"
    return PERIOD_REGEX[ds.frequency]


def published(ds, measure: str, period: str) -> bool:
    """Whether a metric (or a part of it) is published for the period: a series with
    first/last periods configured (NVQ4+ to 2021, RQF4+ from 2022) is not expected outside."""
    window = getattr(ds, "metric_periods", {}).get(measure.split(PART_SEPARATOR, 1)[0], {})
    return window.get("first", period) <= period <= window.get("last", period)


def request_for(dataset_id: str, ranges: Ranges) -> Request:
    ds = get(dataset_id)
    if isinstance(ds, NomisDataset):
        return Request(dataset_id, ranges.label(ds.frequency), ds.periods(ranges))
    return Request(dataset_id, ds.release())
