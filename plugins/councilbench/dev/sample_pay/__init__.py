"""Realistic pay deposits for the 33 councils, any pay year, with the truth kept.

The pay benchmarking service (issue 16) needs files like the ones councils' HR teams
deposit: one row per post in the deposit's canonical columns (docs/pay_guide.md), each
council in its own column order and case, money plain or with '£' and thousands
separators, its GSS code or its name. Posts are drawn from the role catalogue
(pay_roles.csv) by tier (a district has no social workers, a county no refuse loaders),
with the council's own job titles (the catalogue's synonyms, its own wording: 'Snr',
capitals, a team or place), its own grades (bands of the NJC spine), a point inside the
grade and the spine's salary for it in that pay year (pay_spine.csv; deleted points are
never used), FTE mostly 1 or part time in real hours, headcount mostly 1 with some posts
for many, allowances, and market supplements for hard-to-fill roles (children's social
workers, planners, HGV drivers ...). About 200,000 posts over the 33 councils at scale
1.0; a county or metropolitan borough has thousands, a district a few hundred.

    sample = write(out, "2025-26", faults={"dudley": ["hourly_rates"]}, scale=0.02)
    sample.paths, sample.files[0].posts, sample.files[0].rows_touched("hourly_rates")

writes <out>/<short_name>/pay-<pay_year>.csv, the layout of the registry's pay_source
template ({pay_base_url}/<short_name>/pay-{period}.csv); xlsx=True writes workbooks
(pay-<pay_year>.xlsx) for the reader's tests. The same seed gives byte-identical files.

One idea a module: profiles.py (how each council employs and writes), posts.py (its
posts in a pay year), layouts.py (posts -> a sheet -> bytes), faults.py (named mistakes),
files.py (writing the files, the truth). `python -m councilbench.dev.sample_pay [DIR]`
writes a year at scale 1.0 and times it; `councilbench sample-pay` is the command
(dev/sample_cli.py).
"""

from councilbench.dev.sample_pay.faults import FAULTS, Draft, Fault, other_council_for
from councilbench.dev.sample_pay.files import PayFile, PaySample, build, expected_posts, measure, pay_path, write
from councilbench.dev.sample_pay.layouts import Sheet, render
from councilbench.dev.sample_pay.posts import Post, council_posts, establishment, year_bands
from councilbench.dev.sample_pay.profiles import HARD_TO_FILL, MIN_POSTS, SEED, Band, Profile, employs, profile

__all__ = [
    "FAULTS", "HARD_TO_FILL", "MIN_POSTS", "SEED", "Band", "Draft", "Fault", "PayFile", "PaySample", "Post", "Profile",
    "Sheet", "build", "council_posts", "employs", "establishment", "expected_posts", "measure", "other_council_for",
    "pay_path", "profile", "render", "write", "year_bands",
]  # fmt: skip
