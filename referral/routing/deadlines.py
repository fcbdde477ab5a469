"""Deadlines of a hop, from configuration: when it must be accepted (or started) and completed.

Completion: urgent 3 days, general 7 days (the verification deadlines of DOMAIN.md section 5);
acceptance: urgent 1 day, general 2 days. A claimed task must start within the acceptance deadline of
the claim. A hop escalated to the township and still overdue after `county_grace` goes to the county.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from graph.model.enums import Urgency


@dataclass(frozen=True, slots=True)
class Deadlines:
    """How long each step may take, per urgency."""

    complete_urgent: timedelta = timedelta(days=3)
    complete_general: timedelta = timedelta(days=7)
    accept_urgent: timedelta = timedelta(days=1)
    accept_general: timedelta = timedelta(days=2)
    county_grace: timedelta = timedelta(days=1)

    def due_at(self, urgency: Urgency, start: datetime) -> datetime:
        """When a hop created at `start` must be completed."""
        return start + (self.complete_urgent if urgency is Urgency.URGENT else self.complete_general)

    def accept_due_at(self, urgency: Urgency, start: datetime) -> datetime:
        """When a hop sent (or claimed) at `start` must be accepted (or started)."""
        return start + (self.accept_urgent if urgency is Urgency.URGENT else self.accept_general)


DEFAULT_DEADLINES = Deadlines()
