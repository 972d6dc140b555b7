"""Configuration layers: defaults, then instance/config.py, then ERP_* environment."""
from __future__ import annotations

from core import create_app


def test_instance_file_then_environment_then_caller(tmp_path, monkeypatch):
    (tmp_path / "config.py").write_text(
        "SECRET_KEY = 'from-file'\nERP_DEFAULT_LOCALE = 'vi'\n"
        "ERP_DEFAULT_TIMEZONE = 'Asia/Bangkok'\n")
    monkeypatch.setenv("ERP_INSTANCE_PATH", str(tmp_path))
    monkeypatch.setenv("ERP_DEFAULT_TIMEZONE", "Asia/Shanghai")
    monkeypatch.setenv("ERP_DATABASE_URL", f"sqlite:///{tmp_path / 'env.sqlite3'}")
    app = create_app({"ERP_MODULE_ENTRY_POINTS": False})
    assert app.config["SECRET_KEY"] == "from-file"
    assert app.config["ERP_DEFAULT_LOCALE"] == "vi"  # from the file
    assert app.config["ERP_DEFAULT_TIMEZONE"] == "Asia/Shanghai"  # the environment wins
    assert app.config["SQLALCHEMY_DATABASE_URI"].endswith("env.sqlite3")
    assert not app.config.get("ERP_EPHEMERAL_SECRET")


def test_defaults_put_sqlite_in_the_instance_folder(tmp_path, monkeypatch):
    monkeypatch.setenv("ERP_INSTANCE_PATH", str(tmp_path))
    app = create_app({"ERP_MODULE_ENTRY_POINTS": False})
    assert app.config["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{tmp_path / 'erp.sqlite3'}"
    assert app.config["ERP_EPHEMERAL_SECRET"]  # until `init` writes one
