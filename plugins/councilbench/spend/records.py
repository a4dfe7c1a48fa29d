"""A landed spend file's bytes -> rows of cells (ingest/records.py reads them), in the
words a council publishing its spend over £500 reads."""

from __future__ import annotations

from councilbench.ingest.records import FileWords, TableReader
from councilbench.spend.headers import HeaderMap

#: How far down a title block may push the header.
HEADER_SEARCH_ROWS = 30

WORDS = FileWords(
    kind="spend",
    send="publish",
    send_again="Publish the spend file again",
    save_as="Publish the file as 'CSV UTF-8 (comma delimited)' or as an Excel workbook (.xlsx)",
    sent="published",
    usual_size=(
        "a council's monthly spend over £500 is a few MB at most. Check that it is the spend file and not a whole "
        "ledger export, or publish it one month per file"
    ),
    check_address="check the file's address and that it downloads without signing in",
    comma_risk="an amount such as '1,234' could mean one thousand two hundred and thirty-four or 1.234",
    which_sheet="is this period's spend. Publish one sheet per file, or put every line on one sheet",
    archive_advice=", the file itself rather than an archive holding it",
)


def table_reader(headers: HeaderMap) -> TableReader:
    """How a council's spend files are read, the header found by its header map."""
    # Only the top rows of a headerless sheet: the reader says what they hold, no more.
    return TableReader(WORDS, headers.is_header, HEADER_SEARCH_ROWS, headerless_rows=HEADER_SEARCH_ROWS)
