"""A lead's history as the pipeline marts see it, from the clean model (`Lead.moves`): its visits of each
status up to the cutoff, and the arithmetic the marts use over them (quantiles, exact money).

Everything is as of the end of the as-of date, company time (the marts' cutoff): a move, a call or a task
completion at or after it has not happened yet. Moments are company-local, as the model keeps them;
amoCRM keeps whole unix seconds, so every moment is cut to its second (`amo_second`, as the export's
`unix` truncates; today's generator makes whole seconds only, this keeps a finer one from showing the
truth something the pipeline cannot see). Money stays exact: prices are whole roubles, weighted amounts
integer kopecks.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from fractions import Fraction

from sandbox.world.sources_model import LOST, WON, Lead


def amo_second(moment: datetime) -> datetime:
    """amoCRM keeps whole unix seconds (the export truncates): the moment as the pipeline sees it."""
    return moment.replace(microsecond=0)


def cutoff_of(as_of_date: date) -> datetime:
    """The end of the as-of date, company time (exclusive): the moment the marts are as of."""
    return datetime.combine(as_of_date + timedelta(days=1), time())


def live_leads(leads: list[Lead], cutoff: datetime) -> list[Lead]:
    """Not deleted (a deleted lead is out of every mart) and created before the cutoff."""
    return [x for x in leads if x.deleted_at is None and amo_second(x.created) < cutoff]


@dataclass(frozen=True, slots=True)
class Visit:
    """One stay of a lead in a status: from `entered` until `left` (None: still there at the cutoff)."""

    lead: Lead
    status: int
    entered: datetime
    left: datetime | None
    next_status: int | None

    @property
    def is_open_stage(self) -> bool:
        return self.status not in (WON, LOST)

    @property
    def days(self) -> float | None:
        return None if self.left is None else (self.left - self.entered).total_seconds() / 86400


def visits_of(lead: Lead, cutoff: datetime) -> list[Visit]:
    """The lead's status history known at the cutoff: moves[0] is the stage it was created in."""
    moves = [(m.status, amo_second(m.at)) for m in lead.moves if amo_second(m.at) < cutoff]
    visits = []
    for (status, entered), (next_status, left) in zip(moves, [*moves[1:], (None, None)], strict=True):
        visits.append(Visit(lead, status, entered, left, next_status))
    return visits


def quantile_cont(values: list[float], q: float) -> float | None:
    """Continuous quantile (linear interpolation between the closest ranks), as DuckDB's quantile_cont."""
    if not values:
        return None
    ordered = sorted(values)
    position = q * (len(ordered) - 1)
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def kopecks_half_away(amount: Fraction) -> int:
    """An exact amount in roubles → integer kopecks, a half kopeck rounded away from zero."""
    sign, cents = (1 if amount >= 0 else -1), abs(amount) * 100
    whole, rest = divmod(cents.numerator, cents.denominator)
    return sign * (whole + (2 * rest >= cents.denominator))


def money(kopecks: int) -> Decimal:
    return Decimal(kopecks).scaleb(-2)
