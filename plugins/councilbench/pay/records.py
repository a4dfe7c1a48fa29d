"""A landed pay deposit's bytes -> rows of cells (ingest/records.py reads them), in the
words an HR lead depositing the council's posts reads.

A headerless sheet is read whole: the personal-data check looks at every row, header
or not (personal.py)."""

from __future__ import annotations

from councilbench.ingest.records import FileWords, TableReader
from councilbench.pay.columns import HEADER_SEARCH_ROWS, is_header

WORDS = FileWords(
    kind="pay",
    send="deposit",
    send_again="Deposit the pay file again",
    save_as="Save it from Excel as 'CSV UTF-8 (comma delimited)' or as an Excel workbook (.xlsx) and deposit that",
    sent="deposited",
    usual_size=(
        "a council's pay deposit (one row per post) is well under 1 MB. Check that it is the pay file and not a "
        "whole payroll export"
    ),
    check_address="check the deposit's address and that the file downloads without signing in",
    comma_risk="a salary such as '24,413' could be read wrongly",
    which_sheet="holds the posts. Put every post on one sheet",
)

READER = TableReader(WORDS, is_header, HEADER_SEARCH_ROWS)
