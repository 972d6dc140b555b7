"""Demo data: the demo users, then each enabled module's `demo.py` (`load()`), each once."""
from __future__ import annotations

import importlib

import sqlalchemy as sa

from core.auth.models import ADMIN_GROUP, User
from core.db import db
from core.modules.models import StateCounter

DEMO_USERS = [
    # login, password, name, language, groups
    ("admin", "admin", "Administrator", "en", {ADMIN_GROUP, "core.user"}),
    ("demo", "demo", "Nguyễn Thị Lan", "vi", {"core.user"}),
    ("demo_zh", "demo", "王伟", "zh_CN", {"core.user"}),
]


def load_all(registry) -> list[str]:
    registry.sync()
    done = []
    if _claim("demo:core"):
        for login, password, name, lang, groups in DEMO_USERS:
            if db.session.execute(sa.select(User.id).where(User.login == login)).first():
                continue
            user = User(login=login, name=name, lang=lang)
            user.set_password(password)
            user.set_groups(groups)
            db.session.add(user)
        db.session.commit()
        done.append("demo users: " + ", ".join(f"{u[0]}/{u[1]}" for u in DEMO_USERS))
    for name in registry.order(registry.enabled):
        manifest = registry.manifests[name]
        if not (manifest.path / "demo.py").is_file() or not _claim(f"demo:{name}"):
            continue
        importlib.import_module(f"{manifest.package}.demo").load()
        db.session.commit()
        done.append(f"demo data: {name}")
    return done


def _claim(key: str) -> bool:
    """Mark a demo set as loaded; False when it was loaded before."""
    if db.session.get(StateCounter, key) is not None:
        return False
    db.session.add(StateCounter(key=key, value=1))
    db.session.flush()
    return True
