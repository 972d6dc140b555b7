"""Themes: folders under `themes/` (or `ERP_THEMES_DIR`), each with a `theme.toml` (data
only: name, title, mode), a `static/theme.css` that restyles through CSS variables, and
optional `templates/` that override core's and the modules' templates.

- Discovered once at start-up; a theme whose `theme.toml` is missing or wrong is skipped
  with one logged error naming the file, and the others load.
- The theme of a page is the user's choice, else the deployment's default (Settings →
  General, else `ERP_DEFAULT_THEME`), else `light`. It sets `<html data-bs-theme>` (Bootstrap
  5.3's light or dark colour mode) and adds the theme's CSS after app.css.
- Template overrides are deployment-wide: the default theme's `templates/` folder is put
  first in the Jinja loader at start-up, so a change of default applies to templates after
  a restart. A user's own choice changes CSS and colour mode only."""
from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa
from flask import (
    Blueprint,
    abort,
    current_app,
    send_from_directory,
    url_for,
)
from flask_babel import gettext as translate  # not "_": theme titles reach catalogs from theme.toml
from flask_login import current_user
from jinja2 import ChoiceLoader, FileSystemLoader

from core import access
from core.config import PROJECT_ROOT
from core.db import db
from core.modules.manifest import ManifestError, load_toml
from core.security import redirect_back
from core.settings import get_setting

log = logging.getLogger(__name__)

FALLBACK = "light"
MODES = ("light", "dark")
NAME_RE = re.compile(r"^[a-z][a-z0-9_-]{0,31}$")  # fits core_user.theme (String(32))
ICON_RE = re.compile(r"^[a-z0-9-]+$")
REQUIRED = ("name", "title", "mode")
KNOWN_KEYS = {"name", "title", "mode", "icon", "description"}


class ThemeError(ManifestError):
    """A theme.toml that cannot be used; `str()` names the file and what is wrong."""


@dataclass(frozen=True)
class Theme:
    name: str
    title: str
    mode: str  # "light" or "dark": Bootstrap's data-bs-theme
    path: Path
    icon: str = "palette"
    description: str = ""

    @property
    def static_dir(self) -> Path:
        return self.path / "static"

    @property
    def templates_dir(self) -> Path:
        return self.path / "templates"

    @property
    def has_css(self) -> bool:
        return (self.static_dir / "theme.css").is_file()

    @property
    def label(self) -> str:
        """The title in the current language."""
        return translate(self.title)

    @property
    def hint(self) -> str:
        """The description in the current language."""
        return translate(self.description) if self.description else ""


def read_theme(folder: Path) -> Theme:
    """Parse and validate `folder/theme.toml`; raise ThemeError naming the file."""
    path = folder / "theme.toml"
    data = load_toml(path, REQUIRED, KNOWN_KEYS, ThemeError)
    name = data["name"]
    if not isinstance(name, str) or not NAME_RE.match(name):
        raise ThemeError(path, f"name {name!r}: lower-case letters, digits, - and _, "
                               "at most 32 characters")
    if name != folder.name:
        raise ThemeError(path, f"name {name!r} differs from the folder's name {folder.name!r}")
    for key in ("title", "icon", "description"):
        if key in data and not (isinstance(data[key], str) and data[key].strip()):
            raise ThemeError(path, f"{key} must be a non-empty string")
    if data["mode"] not in MODES:
        raise ThemeError(path, f"mode {data['mode']!r}: must be one of {', '.join(MODES)}")
    if "icon" in data and not ICON_RE.match(data["icon"]):
        raise ThemeError(path, f"icon {data['icon']!r}: a Bootstrap Icons name, e.g. 'moon'")
    return Theme(name=name, title=data["title"], mode=data["mode"], path=folder,
                 icon=data.get("icon", "palette"), description=data.get("description", ""))


def discover(root: Path) -> tuple[dict[str, Theme], list[ThemeError]]:
    """Every valid theme under `root`, by name, and the errors of the others."""
    themes: dict[str, Theme] = {}
    errors: list[ThemeError] = []
    if not root.is_dir():
        return themes, errors
    for folder in sorted(p for p in root.iterdir() if p.is_dir()):
        if folder.name.startswith((".", "_")):
            continue
        try:
            theme = read_theme(folder)
        except ThemeError as exc:
            errors.append(exc)
            log.error("theme not loaded: %s", exc)
            continue
        themes[theme.name] = theme
    return themes, errors


# -- the theme of a page -------------------------------------------------------------------
def available() -> dict[str, Theme]:
    return current_app.extensions["erp.themes"]


def default_theme_name() -> str:
    """The deployment's default: Settings → General, else ERP_DEFAULT_THEME, else light."""
    themes = available()
    for name in (get_setting("default_theme"), current_app.config["ERP_DEFAULT_THEME"]):
        if name in themes:
            return name
    return FALLBACK


def current_theme() -> Theme | None:
    """The user's theme, else the deployment's default (None when no theme is installed)."""
    themes = available()
    if getattr(current_user, "is_authenticated", False) and current_user.theme in themes:
        return themes[current_user.theme]
    return themes.get(default_theme_name()) or next(iter(themes.values()), None)


def theme_choices() -> list[tuple[str, str]]:
    return [(t.name, t.label) for t in available().values()]


# -- routes --------------------------------------------------------------------------------
bp = Blueprint("themes", __name__)


@bp.route("/themes/<name>/<path:filename>")
@access.public
def asset(name: str, filename: str):
    theme = available().get(name) or abort(404)
    return send_from_directory(theme.static_dir, filename)


@bp.route("/theme/<name>", methods=["POST"])
@access.signed_in
def choose(name: str):
    """The user menu's theme switcher: the choice is stored on the user."""
    if name not in available():
        abort(404)
    current_user.theme = name
    db.session.commit()
    return redirect_back(url_for("home.index"))


# -- start-up ------------------------------------------------------------------------------
def _startup_default(app) -> str:
    """The default theme as the database has it at start-up (for template overrides);
    the configured default when there is no database yet."""
    configured = app.config["ERP_DEFAULT_THEME"]
    with app.app_context():
        url = db.engine.url
        if url.get_backend_name() == "sqlite" and url.database not in (None, "", ":memory:") \
                and not Path(url.database).exists():
            return configured  # not initialised yet; do not create an empty file
        try:
            return get_setting("default_theme", configured)
        except sa.exc.SQLAlchemyError as exc:
            log.warning("default theme not read from the database: %s", exc)
            return configured
        finally:
            db.session.remove()
            db.engine.dispose()  # no connection outlives start-up (pre-forking servers)


def init_app(app) -> None:
    root = Path(app.config.get("ERP_THEMES_DIR") or PROJECT_ROOT / "themes")
    themes, errors = discover(root)
    app.extensions["erp.themes"] = themes
    app.extensions["erp.theme_errors"] = errors
    app.register_blueprint(bp)
    if not themes:
        return
    default = _startup_default(app)
    theme = themes.get(default) or themes.get(FALLBACK)
    if theme is not None and theme.templates_dir.is_dir():
        # First in line: before core's templates and every module's blueprint templates.
        app.jinja_env.loader = ChoiceLoader([FileSystemLoader(str(theme.templates_dir)),
                                             app.jinja_env.loader])
