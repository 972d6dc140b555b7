"""Users, groups and login."""
from flask_login import LoginManager

from .models import User  # noqa: F401  (core.auth.User, as before)

login_manager = LoginManager()


def init_app(app) -> None:
    from core import ratelimit

    from . import admin, sessions, views

    login_manager.init_app(app)
    app.teardown_request(sessions.save_last_seen)
    login_manager.login_view = "auth.login"
    login_manager.login_message = None
    ratelimit.init_app(app)
    app.register_blueprint(views.bp)
    app.register_blueprint(admin.bp)


@login_manager.user_loader
def _load_user(key: str):
    """The session and remember cookies carry a session's key (core.auth.sessions)."""
    from . import sessions

    return sessions.load(key)
