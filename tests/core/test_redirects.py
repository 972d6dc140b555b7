"""Redirects to a target that came from outside (?next=, a form's next, the referrer, a
notification's link) stay on this site: core.security.safe_target against the known ways
of writing another host that browsers accept."""
from __future__ import annotations

import pytest

BYPASSES = [
    "//evil.example", "///evil.example", "////evil.example", "/\\evil.example",
    "\\\\evil.example", "\\/evil.example", "/\t/evil.example", "/\n/evil.example",
    "/\r/evil.example", "\t//evil.example", " //evil.example", "/ /evil.example",
    "/%09/evil.example", "/%2F%2Fevil.example", "/%2f/evil.example", "/%5Cevil.example",
    "%2F%2Fevil.example", "https:evil.example", "https:/evil.example", "http:\\\\evil.example",
    "https://evil.example/", "HtTpS://evil.example", "//evil.example@erp.example",
    "http://erp.example@evil.example/", "http://erp.example.evil.example/",
    "http://erp.example:80@evil.example/", "http://erp.exampleevil.example/",
    "javascript:alert(1)", "JaVaScRiPt:alert(1)", "java\tscript:alert(1)",
    "data:text/html,<script>alert(1)</script>", "vbscript:msgbox(1)",
    "/\uff0fevil.example", "\uff0f\uff0fevil.example", "/\u2215evil.example",
    "/\ufe68evil.example", "/\u200b/evil.example",
    "\x00//evil.example", "/\x00/evil.example", "evil.example", "ftp://erp.example/",
    "", None,
]

OURS = [
    "/", "/contacts/partners?q=a", "/contacts/partners?q=Nguy%E1%BB%85n&page=2",
    "/sales/orders/3#lines", "/inbox/?next=%2F%2Fevil.example",  # only a query: still ours
    "http://erp.example/apps/", "https://erp.example/apps/",
]


@pytest.mark.parametrize("target", BYPASSES, ids=repr)
def test_targets_off_this_site_fall_back(app, target):
    from core.security import safe_target

    with app.test_request_context(base_url="http://erp.example"):
        assert safe_target(target, "/fallback") == "/fallback"


@pytest.mark.parametrize("target", OURS)
def test_targets_on_this_site_are_kept(app, target):
    from core.security import safe_target

    with app.test_request_context(base_url="http://erp.example"):
        assert safe_target(target, "/fallback") == target


@pytest.mark.parametrize("next_", ["/%09/evil.example", "/%0A/evil.example",
                                   "/%0D%0ALocation:%20//evil.example", "/%5C/evil.example",
                                   "%2F%2Fevil.example", "https:evil.example"])
def test_sign_in_never_sends_the_browser_elsewhere(app, next_):
    response = app.test_client().post(f"/login?next={next_}",
                                      data={"login": "admin", "password": "admin"})
    assert response.status_code == 302
    assert response.location == "/"


def test_sign_in_follows_a_local_next(app):
    response = app.test_client().post("/login?next=/contacts/partners%3Fq%3Da",
                                      data={"login": "admin", "password": "admin"})
    assert response.location == "/contacts/partners?q=a"


def test_the_referrer_is_checked_too(app, admin_client):
    for referrer, wanted in (("http://evil.example/", "/"),
                             ("http://localhost/\t/evil.example", "/"),
                             ("http://localhost/contacts/partners", "/contacts/partners")):
        response = admin_client.post("/lang/en", headers={"Referer": referrer})
        assert response.status_code == 302
        assert response.location in (wanted, "http://localhost" + wanted)

