"""The bounds of the values an extract may hold, part of the extract contract (re-exported by ``schema``):
the window of business dates and the largest number. A value outside them is an error of its row, on
both ingest paths, reported with file, row, column and value like any other.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date


@dataclass(frozen=True)
class DateWindow:
    """The business dates an extract may hold (STOCKFLOW_EARLIEST_DATE up to STOCKFLOW_MAX_FUTURE_DAYS
    after today): a date such as 0001-01-01 or 9999-12-31 is a typo or a placeholder, and the warehouse's
    daily calendars would densify over it, so its row is rejected with the file's other errors."""

    earliest: date
    latest: date

    @property
    def reason(self) -> str:
        return (
            f"outside the accepted dates {self.earliest.isoformat()} to {self.latest.isoformat()} "
            "(STOCKFLOW_EARLIEST_DATE, STOCKFLOW_MAX_FUTURE_DAYS)"
        )


# No quantity, price or amount is this large (a barcode or a document number keyed into a number column
# is). Beyond it a double no longer holds every whole unit, and near 1e308 the warehouse's running sums
# overflow to infinity: two stock movements of 1.7e308 made the dbt build fail its roll-forward tests.
MAX_ABS_NUMBER = 1e15
TOO_LARGE = (
    "too large: more than 10^15 in size is no quantity, price or amount (a code keyed into a number "
    "column?) and would overflow the warehouse's sums"
)
