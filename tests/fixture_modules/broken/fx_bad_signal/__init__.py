"""Fixture module: handles `fx.book.lended`, a typo of `fx.book.lending`."""


def register(module):
    module.connect("fx.book.lended", _never)


def _never(book):
    return "refused by a handler that should never run"
