"""Menus from manifests: core's and the enabled modules', filtered by the user's groups.
Top-level entries are the apps of the top bar; their children make the side menu."""
from __future__ import annotations

from dataclasses import dataclass, field

from flask import request, url_for

# Under another name, so that message extraction does not take the key "title" for a message:
# menu titles reach the catalogs from the manifests (core/i18n_tools.py).
from flask_babel import gettext as translate


@dataclass
class MenuItem:
    id: str
    title: str
    icon: str
    sequence: int
    endpoint: str | None
    children: list[MenuItem] = field(default_factory=list)

    @property
    def url(self) -> str | None:
        if self.endpoint:
            return url_for(self.endpoint)
        for child in self.children:
            if child.url:
                return child.url
        return None

    @property
    def active(self) -> bool:
        """This entry's page or one below it (its form, a record) is showing."""
        if self.endpoint:
            url = url_for(self.endpoint)
            if request.endpoint == self.endpoint or (
                    url != "/" and request.path.startswith(url.rstrip("/") + "/")):
                return True
        return any(child.active for child in self.children)


def menu_tree(manifests, user_groups: set[str], is_admin: bool) -> list[MenuItem]:
    entries = [menu for m in manifests for menu in m.menus]
    visible = [
        e for e in entries
        if is_admin or not e.get("groups") or user_groups.intersection(e["groups"])
    ]
    items = {
        e["id"]: MenuItem(e["id"], translate(e["title"]), e.get("icon", "circle"),
                          e.get("sequence", 100), e.get("endpoint"))
        for e in visible
    }
    roots = []
    for e in visible:
        parent = e.get("parent")
        if parent is None:
            roots.append(items[e["id"]])
        elif parent in items:
            items[parent].children.append(items[e["id"]])
    for item in items.values():
        item.children.sort(key=lambda i: (i.sequence, i.id))
    return sorted((r for r in roots if r.url), key=lambda i: (i.sequence, i.id))
