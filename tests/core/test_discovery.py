"""Discovery and validation of manifests: broken ones are reported by file, the rest load."""
from __future__ import annotations

import textwrap

import pytest

from core.modules.discovery import discover
from core.modules.manifest import ManifestError

from ..conftest import make_app, manifest


def test_valid_modules_are_found_in_dependency_order(package):
    pkg, write = package
    write("zeta", manifest("zeta", ["alpha"]))
    write("alpha", manifest("alpha", ["core"]))
    found = discover([pkg], use_entry_points=False)
    assert found.errors == []
    assert list(found.manifests) == ["alpha", "zeta"]
    assert found.manifests["zeta"].depends == ("alpha",)  # "core" is implied
    assert found.manifests["zeta"].package == f"{pkg}.zeta"


def test_access_is_a_table_per_group_and_rights_name_their_groups(package):
    pkg, write = package
    write("shop", manifest("shop", extra=textwrap.dedent("""\
        [access."shop.user"]
        "shop.item" = "rcw"
        price = "r"
        [access."shop.manager"]
        "shop.item" = "rcwd"
        [[rights]]
        id = "shop.discount"
        title = "Give discounts"
        groups = ["shop.manager"]
        """)))
    shop = discover([pkg], use_entry_points=False).manifests["shop"]
    assert sorted((r["group"], r["model"], r["perms"]) for r in shop.access) == [
        ("shop.manager", "shop.item", "rcwd"), ("shop.user", "price", "r"),
        ("shop.user", "shop.item", "rcw")]
    assert shop.rights == ({"id": "shop.discount", "title": "Give discounts",
                            "groups": ["shop.manager"]},)


@pytest.mark.parametrize("text, message", [
    ('name = "broken"\nversion = "1.0.0"\nsummary = "x"\n', "missing key 'title'"),
    (manifest("broken").replace('"1.0.0"', '"one"'), "bad version 'one'"),
    (manifest("broken", ["nowhere"]), "unknown dependency 'nowhere'"),
    (manifest("broken").replace('name = "broken"', 'name = "other"'), "does not match its folder"),
    ("name = [", "not valid TOML"),
    (manifest("broken", extra='colour = "red"\n'), "unknown key 'colour'"),
    (manifest("broken", extra='[[jobs]]\nid = "j"\nfunc = "a.b:c"\ncron = "99 * * * *"\n'),
     "bad cron"),
    (manifest("broken", extra='[access."g"]\nm = "rx"\n'), "perms must be letters"),
    (manifest("broken", extra='[[access]]\nmodel = "m"\ngroup = "g"\nperms = "r"\n'),
     "'access' must be a table per group"),
    (manifest("broken", extra='[access.sales.user]\nm = "r"\n'), "write group ids in quotes"),
    (manifest("broken", extra='[access."g"]\nm = 4\n'), "perms must be letters"),
    (manifest("broken", extra='[[rights]]\nid = "broken.x"\ntitle = "X"\n'),
     "right 'broken.x': 'groups' must list"),
    (manifest("broken", extra='[[rights]]\nid = "broken.x"\ngroups = ["g"]\n'),
     "[[rights]] entry without 'title'"),
    (manifest("broken", ["broken"]), "depends on itself"),
])
def test_a_broken_manifest_gives_one_error_naming_its_file(package, text, message):
    pkg, write = package
    path = write("broken", text)
    write("good", manifest("good"))
    found = discover([pkg], use_entry_points=False)
    assert list(found.manifests) == ["good"]
    assert len(found.errors) == 1
    error = found.errors[0]
    assert isinstance(error, ManifestError)
    assert str(path) in str(error)
    assert message in str(error)


def test_a_cycle_is_named_in_full_and_its_dependents_are_dropped(package):
    pkg, write = package
    write("a", manifest("a", ["b"]))
    write("b", manifest("b", ["a"]))
    write("c", manifest("c", ["a"]))
    write("d", manifest("d"))
    found = discover([pkg], use_entry_points=False)
    assert list(found.manifests) == ["d"]
    messages = {e.path.split("/")[-2]: e.message for e in found.errors}
    assert messages["a"] == "dependency cycle a -> b -> a"
    assert messages["b"] == "dependency cycle a -> b -> a"
    assert "depends on 'a'" in messages["c"]


def test_a_duplicate_name_across_packages_is_reported(package, tmp_path):
    pkg, write = package
    write("same", manifest("same"))
    other = tmp_path / f"{pkg}_two"
    (other / "same").mkdir(parents=True)
    (other / "__init__.py").write_text("")
    (other / "same" / "manifest.toml").write_text(manifest("same"))
    found = discover([pkg, f"{pkg}_two"], use_entry_points=False)
    assert list(found.manifests) == ["same"]
    assert len(found.errors) == 1
    assert "duplicate module name 'same'" in found.errors[0].message
    assert str(other / "same" / "manifest.toml") in str(found.errors[0])


def test_entry_points_ship_modules(package, monkeypatch):
    import core.modules.discovery as discovery

    pkg, write = package
    write("shipped", manifest("shipped"))

    class EntryPoint:
        value = f"{pkg}.shipped"

    monkeypatch.setattr(discovery, "entry_points", lambda group: [EntryPoint()])
    found = discover([], use_entry_points=True)
    assert list(found.manifests) == ["shipped"]
    assert found.manifests["shipped"].package == f"{pkg}.shipped"


def test_the_app_starts_with_the_valid_modules(package, tmp_path):
    pkg, write = package
    write("good", manifest("good"))
    write("cyclic", manifest("cyclic", ["cyclic2"]))
    write("cyclic2", manifest("cyclic2", ["cyclic"]))
    write("crashes", manifest("crashes"), code="raise RuntimeError('boom')\n")
    write("needs_crash", manifest("needs_crash", ["crashes"]))
    app = make_app(f"sqlite:///{tmp_path / 'x.sqlite3'}", ERP_MODULE_PACKAGES=[pkg])
    with app.app_context():
        registry = app.extensions["erp.modules"]
        assert list(registry.manifests) == ["good"]
        errors = " | ".join(str(e) for e in registry.errors)
        assert "cyclic -> cyclic2 -> cyclic" in errors
        assert "failed to load: RuntimeError: boom" in errors
        assert "needs_crash" in errors
    assert app.test_client().get("/login").status_code == 200


def test_the_shipped_presets_name_the_business_modules():
    found = discover(["modules"], use_entry_points=False)
    assert set(found.presets) == {"customer-development", "customer-retention", "project-sales"}
    assert found.presets["customer-retention"]["modules"] == [
        "sales", "delivery", "billing", "credit_limit", "membership"]
