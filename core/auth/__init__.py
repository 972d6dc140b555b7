"""Users, groups and login."""
from flask_login import LoginManager

from .models import User

login_manager = LoginManager()


def init_app(app) -> None:
    from core import ratelimit

    from . import admin, views

    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = None
    ratelimit.init_app(app)
    app.register_blueprint(views.bp)
    app.register_blueprint(admin.bp)


@login_manager.user_loader
def _load_user(user_id: str):
    from core.db import db

    user = db.session.get(User, int(user_id))
    return user if user is not None and user.active else None
