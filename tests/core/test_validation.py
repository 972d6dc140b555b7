"""What a module contributes is checked when it loads and again when it is enabled: menus
link to pages that exist, access tables name declared groups and existing models, handled
signals are declared by a module that sends them, extended templates exist. A module that
fails is refused with one error naming its file; the rest of the app serves."""
from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
import sqlalchemy as sa

from core.db import db
from core.modules import get_registry, lifecycle
from core.modules.models import ModuleRecord

from ..conftest import FIXTURE_PACKAGES, init_db, login, make_app, manifest

BROKEN = Path(__file__).resolve().parents[1] / "fixture_modules" / "broken"
PACKAGES = [*FIXTURE_PACKAGES, "tests.fixture_modules.broken"]

# module -> (file named by its error, what the error says)
CASES = {
    "fx_bad_menu": ("fx_bad_menu/manifest.toml",
                    "menu 'fx_bad_menu.root' links to 'fx_bad_menu.pgae', which is no page's"),
    "fx_bad_group": ("fx_bad_group/manifest.toml",
                     "access names the group 'fx_library.nobody', which no module declares"),
    "fx_bad_model": ("fx_bad_model/manifest.toml",
                     "names the model 'fx.bok', which no module defines"),
    "fx_bad_signal": ("fx_bad_signal/__init__.py",
                      "connects to the signal 'fx.book.lended', which no module declares"),
    "fx_bad_extends": ("fx_bad_extends/templates/fx_bad_extends/page.html",
                       "extends 'fx_bad_extends/layout.html', which does not exist"),
    "fx_needs_bad": ("fx_needs_bad/manifest.toml",
                     "depends on 'fx_bad_menu', which cannot be loaded"),
}


@pytest.fixture
def broken_app(db_url):
    app = make_app(db_url, ERP_MODULE_PACKAGES=PACKAGES)
    init_db(app)
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def errors_of(registry, module: str) -> list[str]:
    folder = str(BROKEN / module) + "/"
    return [str(e) for e in registry.errors if str(e).startswith(folder)]


@pytest.mark.parametrize("module", sorted(CASES))
def test_a_broken_module_is_refused_with_one_error_naming_its_file(broken_app, module):
    filename, message = CASES[module]
    with broken_app.app_context():
        registry = get_registry()
        assert module not in registry.manifests
        errors = errors_of(registry, module)
        assert len(errors) == 1, errors
        assert errors[0].startswith(f"{BROKEN / filename}: ")
        assert message in errors[0]


def test_the_sound_modules_load_beside_the_broken_ones(broken_app):
    with broken_app.app_context():
        registry = get_registry()
        assert {"fx_library", "fx_loans", "fx_good", "sales", "billing"} <= set(registry.manifests)
        assert set(CASES).isdisjoint(registry.manifests)
        assert not [e for e in registry.errors if str(BROKEN) not in str(e)]
        lifecycle.enable(registry, ["fx_good"])
        assert registry.is_enabled("fx_good")
    client = login(broken_app.test_client())
    assert client.get("/fx/good/").status_code == 200


def test_the_app_serves_even_if_broken_modules_were_enabled_before(broken_app):
    """A deploy that breaks an enabled module: the module stops, every page still renders,
    the error page and the Apps page (which lists what is broken) included."""
    with broken_app.app_context():
        registry = get_registry()
        lifecycle.enable(registry, ["fx_library"])
        for name in CASES:
            db.session.add(ModuleRecord(name=name, state="enabled", installed_version="1.0.0"))
        db.session.commit()
        registry.version = None
        registry.sync()
        assert set(CASES).isdisjoint(registry.enabled)
    anonymous = broken_app.test_client()
    assert anonymous.get("/login").status_code == 200
    client = login(broken_app.test_client())
    home = client.get("/")
    assert home.status_code == 200
    assert "fx_bad_menu.pgae" not in home.text
    missing = client.get("/no/such/page")
    assert missing.status_code == 404
    assert "does not exist" in missing.text
    assert client.get("/fx/bad-menu/").status_code == 404  # the refused module's page is off
    assert client.get("/fx/bad-extends/").status_code == 404
    apps = client.get("/apps/")
    assert apps.status_code == 200
    for filename, _message in CASES.values():
        assert str(BROKEN / filename) in apps.text


@pytest.mark.parametrize("module", ["fx_bad_menu", "fx_bad_signal", "fx_needs_bad"])
def test_enabling_a_refused_module_is_refused_naming_its_file(broken_app, module):
    with broken_app.app_context():
        registry = get_registry()
        with pytest.raises(lifecycle.LifecycleError) as refused:
            lifecycle.enable(registry, [module])
        assert str(BROKEN / CASES[module][0]) in str(refused.value)
        assert CASES[module][1] in str(refused.value)
        assert registry.state(module) == "available"
    client = login(broken_app.test_client())
    assert client.get(f"/apps/{module}/enable").status_code == 404


def test_enable_checks_again_and_refuses_what_no_longer_holds(app):
    """The checks run again on enable: a module whose contributions stopped holding since
    start-up is refused, with its dependencies, and nothing changes."""
    with app.app_context():
        registry = get_registry()
        registry.connections.append(("fx_loans", "fx.book.lent"))
        with pytest.raises(lifecycle.LifecycleError, match="fx.book.lent") as refused:
            lifecycle.enable(registry, ["fx_loans"])
        assert "fx_loans/__init__.py" in str(refused.value)
        assert registry.enabled == frozenset()
        assert db.session.execute(sa.select(ModuleRecord)).scalars().all() == []


def test_the_shipped_modules_and_fixtures_pass_the_checks(app):
    with app.app_context():
        registry = get_registry()
        assert registry.errors == []
        assert {"sales", "billing", "credit_limit", "fx_library", "fx_loans"} <= set(
            registry.manifests)
        signals = {s for m in registry.manifests.values() for s in m.signals}
        assert {"sale.order.confirming", "sale.order.confirmed", "fx.book.lending"} <= signals
        assert "partner.merging" in registry.core_manifest.signals


@pytest.mark.parametrize("extra, code, filename, message", [
    ('[[menus]]\nid = "m.x"\ntitle = "X"\nendpoint = "m.book"\n',
     "from flask import Blueprint\nbp = Blueprint('m', __name__)\n"
     "bp.add_url_rule('/m/<int:id>', 'book', lambda id: '')\n"
     "def register(module):\n    module.blueprint(bp)\n",
     "manifest.toml", "a page that needs values a menu cannot give"),
    ("", "", "templates/m/page.html", "template error on line 2"),
    ('signals = "m.done"\n', "", "manifest.toml", "'signals' must be a list of signal names"),
])
def test_other_ways_to_be_refused(package, tmp_path, extra, code, filename, message):
    pkg, write = package
    path = write("m", manifest("m", extra=extra), code=code).parent
    (path / "templates" / "m").mkdir(parents=True)
    (path / "templates" / "m" / "page.html").write_text(textwrap.dedent("""\
        {% extends "base.html" %}
        {% block content %}{% if %}{% endblock %}
        """) if "template" in message else '{% extends "base.html" %}\n')
    write("fine", manifest("fine"))
    app = make_app(f"sqlite:///{tmp_path / 'x.sqlite3'}", ERP_MODULE_PACKAGES=[pkg])
    with app.app_context():
        registry = get_registry()
        assert list(registry.manifests) == ["fine"]
        assert len(registry.errors) == 1
        assert str(registry.errors[0]).startswith(f"{path / filename}: ")
        assert message in str(registry.errors[0])
    assert app.test_client().get("/login").status_code == 200


def test_a_field_needing_a_right_nobody_declares_is_refused(app, monkeypatch):
    """A misspelt write_right would leave the field to administrators only."""
    from core.modules import validation
    from tests.fixture_modules.fx_library.models import Book

    with app.app_context():
        registry = get_registry()
        assert validation.enable_error(registry, ["fx_library"]) is None
        monkeypatch.setitem(Book.__table__.c.owner_id.info, "write_right", "fx_library.asign")
        name, error = validation.enable_error(registry, ["fx_library"])
    assert name == "fx_library"
    assert str(error).endswith("models.py: the field 'owner_id' of 'fx.book' needs the right "
                               "'fx_library.asign', which no module declares")
