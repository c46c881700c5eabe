"""The in-memory replay (the real extraction and Resolver, 12-hour cycles) on the project's own labelled sets
stays above their floors.

- held-out (tests/fixtures/heldout), blind (tests/fixtures/blind), blind 2 (tests/fixtures/blind2): earlier sets,
  their deadlines realigned to "deadlines are measures" (issue 19; each README says what changed).
- calibration (tests/fixtures/calibration): written for issue 19 and studied freely.
- calibration 2 to 12 (tests/fixtures/calibration2 ... calibration12): written as the sealed sets of issue 19, each
  scored once (README), then studied.
Every set here was used to find error classes, so they guard against regressions more than they measure
generalisation (the sealed set, scored once, does that: README "Extraction accuracy"). Floors sit a little below
what the extractor reaches. Fix error classes with unit tests of your own sentences; do not add rules for items
of these corpora.
"""

import json

import pytest

from tests.support.paths import FIXTURES
from tests.support.replay import load_corpus, replay

# set: (relevance F1, meetings F1, deadlines F1, change recall, change precision, new-event alert precision)
FLOORS = {
    "heldout": (0.97, 0.97, 0.88, 0.45, 0.95, 0.95),
    "blind": (0.97, 0.93, 0.83, 0.00, 0.95, 0.95),  # its 7 moves come from partner lists in orders: none found
    "blind2": (0.97, 0.93, 0.88, 0.99, 0.99, 0.90),  # no labelled change: any predicted change is spurious
    "calibration": (0.97, 0.68, 0.90, 0.45, 0.60, 0.88),
    # (AGOA's renewal months after it lapsed is no longer alerted as a move: 4876f8b)
    "calibration2": (0.90, 0.60, 0.66, 0.10, 0.35, 0.80),
    "calibration3": (0.93, 0.69, 0.58, 0.00, 0.00, 0.70),  # its 9 moves: none found yet
    # (two numbered rounds it reads are dated off their labels: one announced for a month it then left, one told
    # by its last day: 0.840 against 0.875 before numbered rounds were read)
    "calibration4": (0.95, 0.82, 0.70, 0.45, 0.95, 0.93),
    "calibration5": (0.90, 0.61, 0.78, 0.10, 0.95, 0.80),  # its 7 moves: the measures are found, few moves yet
    "calibration6": (0.91, 0.76, 0.70, 0.15, 0.95, 0.84),  # its moves told as permits and licences: few found yet
    "calibration7": (0.85, 0.71, 0.61, 0.15, 0.45, 0.80),  # national import and export curbs, told without a country
    "calibration8": (0.88, 0.59, 0.69, 0.00, 0.00, 0.75),  # its 6 moves are export bans and duties: none found yet
    "calibration9": (0.90, 0.68, 0.74, 0.15, 0.95, 0.80),
    "calibration10": (0.92, 0.65, 0.39, 0.00, 0.00, 0.66),  # retold meetings of years before; moves not found yet
    "calibration11": (0.89, 0.84, 0.88, 0.15, 0.95, 0.93),  # its moves are told without change words: few found
    "calibration12": (0.87, 0.64, 0.58, 0.00, 0.00, 0.83),  # two years' export bans of one government: moves not found
}
DUPLICATES = {"calibration2": 2, "calibration3": 1, "calibration4": 2, "calibration6": 2, "calibration7": 1,
              "calibration8": 1, "calibration9": 2}  # the same meeting split in two, known and not fixed yet


@pytest.fixture(scope="module", params=sorted(FLOORS))
def scored(request):
    corpus = FIXTURES / request.param
    labels = json.loads((corpus / "labels.json").read_text(encoding="utf-8"))
    card, alerts = replay(load_corpus(corpus), tick_hours=12).score(labels)
    print(f"{request.param}:\n{card.render()}\n{alerts.render()}")
    return card, alerts, (*FLOORS[request.param], DUPLICATES.get(request.param, 0))


def test_relevance(scored):
    card, _, floors = scored
    assert card.relevance.f1 >= floors[0]


def test_meetings(scored):
    card, _, floors = scored
    assert card.meetings.f1 >= floors[1]
    assert card.duplicate_meetings <= floors[6]


def test_deadlines(scored):
    card, _, floors = scored
    assert card.deadlines.f1 >= floors[2]


def test_new_event_alerts_are_right_and_said_once(scored):
    _, alerts, floors = scored
    assert alerts.precision >= floors[5]
    assert alerts.repeat_rate <= 0.03


def test_deadline_changes(scored):
    card, _, floors = scored
    assert card.changes.recall >= floors[3]
    assert card.changes.precision >= floors[4]
