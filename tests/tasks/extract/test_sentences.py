"""Sentence splitting: abbreviations never end a sentence."""

from __future__ import annotations

import pytest

from tasks.extract.sentences import split_sentences


@pytest.mark.parametrize("month", ["Jan.", "Feb.", "Mar.", "Apr.", "Jun.", "Jul.", "Aug.", "Sept.", "Oct.", "Nov.",
                                   "Dec."])
def test_an_abbreviated_month_before_a_day_does_not_end_the_sentence(month):
    text = f"The levy on imported steel takes effect on {month} 14, officials said. Talks resume next week."
    assert split_sentences(text) == [f"The levy on imported steel takes effect on {month} 14, officials said.",
                                      "Talks resume next week."]


def test_titles_before_names_do_not_end_the_sentence():
    assert len(split_sentences("Amb. Reyes met Prof. Lindqvist in Oslo. They discussed the quota.")) == 2
