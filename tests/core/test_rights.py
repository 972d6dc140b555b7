"""Named rights (`[[rights]]`): held through groups, always by administrators, and only
while the module that declares them is enabled."""
from __future__ import annotations

import pytest

from core import access
from core.db import db
from core.modules import get_registry, lifecycle

from ..conftest import acting, add_user


@pytest.fixture
def library(app):
    with app.app_context():
        lifecycle.enable(get_registry(), ["fx_loans"])
        add_user("librarian", ["fx_library.user"])
        add_user("chief", ["fx_library.manager"])  # implies fx_library.user
        add_user("sara", ["sales.user"])
        add_user("sam", ["sales.manager"])
        db.session.commit()
    return app


def holds(app, login: str, right: str) -> bool:
    with acting(app, login):
        return access.has_right(right)


@pytest.mark.parametrize("login, expected", [
    ("clerk", False), ("librarian", False), ("chief", True), ("admin", True)])
def test_a_right_is_held_through_its_groups_and_by_administrators(library, login, expected):
    assert holds(library, login, "fx_library.rare_books") is expected
    assert holds(library, login, "fx_loans.write_off") is expected


def test_a_disabled_modules_right_counts_for_nobody_but_administrators(library):
    with library.app_context():
        lifecycle.disable(get_registry(), ["fx_loans"])
    assert holds(library, "chief", "fx_library.rare_books")  # fx_library is still enabled
    assert not holds(library, "chief", "fx_loans.write_off")
    assert holds(library, "admin", "fx_loans.write_off")


def test_an_unknown_right_is_held_by_nobody_but_administrators(library):
    assert not holds(library, "chief", "fx_library.no_such_right")
    assert holds(library, "admin", "fx_library.no_such_right")


def test_signed_out_holds_no_right(library):
    with library.test_request_context():
        assert not access.has_right("fx_library.rare_books")


def test_sales_managers_override_assign_and_see_the_whole_team(library):
    with library.app_context():
        lifecycle.enable(get_registry(), ["sales"])
    for right in ("sales.override", "sales.assign", "sales.see_all"):
        assert holds(library, "sam", right), right
        assert not holds(library, "sara", right), right
