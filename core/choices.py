"""Choices whose values are codes and whose labels are in the reader's language: countries
(ISO 3166 alpha-2, names from Babel's CLDR data) and the languages the deployment offers.

A column declares `info={"choices": COUNTRIES}` like any {value: label} choices, so the
generic form (a select with a search box), lists, filters, the timeline, prints, CSV import,
the API and the save path (core.limits refuses a value not offered) treat it alike. The
values are the same in every language; the labels, and their order, are the reader's."""
from __future__ import annotations

import functools
from collections.abc import Mapping

from babel import Locale
from flask import has_request_context
from flask_babel import get_locale

from core import translatable
from core.search import fold, sort_text

# two-letter territory codes CLDR names that ISO 3166-1 does not assign to a country:
# groupings, test data, and reserved codes (Ascension, Canary Islands, ...); Kosovo's XK,
# though user-assigned, is what everyone uses for it
NOT_COUNTRIES = {"EU", "EZ", "QO", "UN", "XA", "XB", "ZZ",
                 "AC", "CP", "CQ", "DG", "EA", "IC", "TA"}


def _locale() -> Locale:
    return (get_locale() if has_request_context() else None) or Locale("en")


@functools.cache
def _country_names(locale: str) -> dict[str, str]:
    names = Locale.parse(locale).territories
    codes = [c for c in Locale("en").territories
             if len(c) == 2 and c.isalpha() and c not in NOT_COUNTRIES]
    language = locale.split("_")[0]  # names as readers expect: "Đức" among the D's
    return dict(sorted(((c, names.get(c, c)) for c in codes),
                       key=lambda item: sort_text(item[1], language)))


class Countries(Mapping):
    """code -> the country's name in the reader's language, in the order of the names."""

    def _names(self) -> dict[str, str]:
        return _country_names(str(_locale()))

    def __getitem__(self, code):
        return self._names()[code]

    def __iter__(self):
        return iter(self._names())

    def __len__(self):
        return len(self._names())

    # one look-up of the reader's names, not one per country (an import checks thousands)
    def __contains__(self, code):
        return code in self._names()

    def items(self):
        return self._names().items()

    def values(self):
        return self._names().values()


class Languages(Mapping):
    """code -> name of the languages the deployment offers (ERP_LOCALES), each in itself."""

    def __getitem__(self, code):
        if code not in translatable.languages():
            raise KeyError(code)
        return translatable.language_name(code)

    def __iter__(self):
        return iter(translatable.languages())

    def __len__(self):
        return len(translatable.languages())


COUNTRIES = Countries()
LANGUAGES = Languages()


def names_index(choices: Mapping) -> dict:
    """{folded text: value} of `choices`, for finding the value a text names: the value
    itself ("SG") or its label in the reader's language or in English ("Singapore",
    "新加坡"), case and accents aside; values first, then the reader's labels, then English
    ones, each the first that folds so."""
    from flask_babel import force_locale

    index: dict = {}
    for value in choices:
        index.setdefault(fold(str(value)), value)
    for value, label in choices.items():
        index.setdefault(fold(str(label)), value)
    if has_request_context() and str(_locale()) != "en":
        with force_locale("en"):
            for value, label in choices.items():
                index.setdefault(fold(str(label)), value)
    return index
