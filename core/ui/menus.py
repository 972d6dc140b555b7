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
    # more pages that count as this entry's (a settings entry's stages and sources lists)
    also: tuple[str, ...] = ()
    tree: list[MenuItem] = field(default_factory=list, repr=False)

    @property
    def url(self) -> str | None:
        if self.endpoint:
            return url_for(self.endpoint)
        for child in self.children:
            if child.url:
                return child.url
        return None

    def scopes(self) -> list[str]:
        """The paths this entry stands for: its page's, where a generic view's page (a
        record set's list, board, calendar or report) stands for all the record set's
        views and records (/sales/opportunities/board: /sales/opportunities)."""
        paths = []
        for endpoint in filter(None, (self.endpoint, *self.also)):
            url = url_for(endpoint).rstrip("/")
            if endpoint.endswith(VIEW_SUFFIXES) and not endpoint.endswith("_list"):
                url = url.rsplit("/", 1)[0]
            paths.append(url)
        return paths

    def score(self) -> int:
        """How specifically this entry matches the page: its longest scope the path is
        in (0: none)."""
        path = request.path.rstrip("/")
        return max((len(s) for s in self.scopes() if s and (
            path == s or path.startswith(s + "/"))), default=0)

    @property
    def active(self) -> bool:
        """This entry is the page's most specific match, or holds it: one entry lit."""
        best = _best(self.tree)
        return best is not None and (best is self or any(c.active for c in self.children))


VIEW_SUFFIXES = ("_list", "_board", "_calendar", "_report")


def _section(path: str) -> str:
    """A path's first segment: /sales of /sales/stages/3."""
    return "/" + path.strip("/").split("/", 1)[0]


class _Tree(list):
    """The top-level entries, with the page's best match once worked out."""
    best: tuple | None = None


def _best(tree: list[MenuItem]) -> MenuItem | None:
    """The entry of the tree that matches the page most specifically (the first of equals)."""
    if getattr(tree, "best", None) is None or tree.best[0] != request.path:
        entries, found, top = list(tree), None, 0
        while entries:
            entry = entries.pop(0)
            entries[:0] = entry.children
            score = entry.score() if entry.endpoint or entry.also else 0
            if score > top:
                found, top = entry, score
        # a page of an app that none of the user's entries names (a salesperson on the
        # stages): the app's menu, no entry lit
        if found is None and _section(request.path) != "/":
            found = next((app for app in tree if _section(request.path) in {
                _section(s) for child in app.children for s in child.scopes()}), None)
        if not isinstance(tree, _Tree):
            return found
        tree.best = (request.path, found)
    return tree.best[1]


def menu_tree(manifests, user_groups: set[str], is_admin: bool) -> list[MenuItem]:
    entries = [menu for m in manifests for menu in m.menus]
    visible = [
        e for e in entries
        if is_admin or not e.get("groups") or user_groups.intersection(e["groups"])
    ]
    items = {
        e["id"]: MenuItem(e["id"], translate(e["title"]), e.get("icon", "circle"),
                          e.get("sequence", 100), e.get("endpoint"),
                          also=tuple(e.get("also", ())))
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
    tree = _Tree(sorted((r for r in roots if r.url), key=lambda i: (i.sequence, i.id)))
    for item in items.values():
        item.tree = tree
    return tree
