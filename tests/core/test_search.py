"""Search ignores accents and case ("nguyen" finds "Nguyễn", "dang" finds "Đặng") in lists,
pickers, the API and duplicate detection, on both databases; lists sort in the reader's
language on PostgreSQL (ICU collations), in SQLite's index order there (core.search)."""
from __future__ import annotations

import html
import re

import pytest
import sqlalchemy as sa

from core.auth.models import User
from core.db import db
from core.partners.models import Partner

from .test_api import Api, token_for

NAMES = ["Nguyễn Văn An", "Đặng Thị Bình", "Dương Minh Châu", "Đỗ Hùng", "Dao Lan",
         "Emma Evans", "Anh Tú", "Zoe Zhang"]
# the Vietnamese alphabet: đ is a letter after d, so Dao, Dương, then Đặng, Đỗ, then E
VI_ORDER = ["Anh Tú", "Dao Lan", "Dương Minh Châu", "Đặng Thị Bình", "Đỗ Hùng", "Emma Evans",
            "Nguyễn Văn An", "Zoe Zhang"]
LIST = "/contacts/partners"


@pytest.fixture
def people(app):
    with app.app_context():
        db.session.add_all(Partner(name=name) for name in NAMES)
        db.session.execute(sa.update(User).where(User.login == "clerk").values(lang="vi"))
        db.session.commit()
    return app


def listed(response) -> list[str]:
    assert response.status_code == 200, response.text
    return [html.unescape(name) for name in re.findall(
        r'<td class="col-name"[^>]*><a href="[^"]+">([^<]*)</a>', response.text)]


def test_fold_strips_accents_and_case_as_sql_does():
    from core.search import fold

    assert fold("NGUYỄN Đặng Ærø Ñandú Ça") == "nguyen dang æro nandu ca"
    assert fold("Nguye\u0302\u0303n") == "nguyen"  # typed decomposed


@pytest.mark.parametrize("text", ["nguyen", "NGUYEN", "Nguyễn", "nguyễn văn"])
def test_the_list_search_ignores_accents_and_case(people, admin_client, text):
    assert listed(admin_client.get(LIST, query_string={"q": text})) == ["Nguyễn Văn An"]


def test_search_finds_d_for_d_with_stroke_and_keeps_wildcards_literal(people, admin_client):
    assert listed(admin_client.get(LIST, query_string={"q": "dang"})) == ["Đặng Thị Bình"]
    assert listed(admin_client.get(LIST, query_string={"q": "ĐỖ"})) == ["Đỗ Hùng"]
    assert listed(admin_client.get(LIST, query_string={"q": "d_o"})) == []


def test_the_picker_search_ignores_accents(people, clerk_client):
    found = clerk_client.get("/lookup/partner", query_string={"q": "nguyen"})
    assert [name for _id, name in found.get_json()["items"]] == ["Nguyễn Văn An"]
    found = clerk_client.get("/lookup/partner", query_string={"q": "d"})
    names = [name for _id, name in found.get_json()["items"]]
    assert names.index("Dương Minh Châu") < names.index("Đặng Thị Bình")  # vi alphabet


def test_the_api_filter_ignores_accents(people):
    api = Api(people.test_client(), token_for(people, "admin"))
    listing = api("GET", "partner?name__contains=NGUYEN").json
    assert [p["name"] for p in listing["items"]] == ["Nguyễn Văn An"]
    assert api("GET", "partner?name__contains=dang").json["total"] == 1


def test_duplicates_are_found_across_accents(people):
    from core.partners.duplicates import likely_duplicates

    with people.test_request_context():
        assert [p.name for p in likely_duplicates("Nguyen Van An", None, None)] == [
            "Nguyễn Văn An"]


def on_postgresql(app) -> bool:
    with app.app_context():
        return db.engine.dialect.name == "postgresql"


def readers_order(app, names: list[str]) -> list[str]:
    """The Vietnamese reader's order: the alphabet on PostgreSQL, code points on SQLite."""
    return names if on_postgresql(app) else sorted(names)


def test_a_vietnamese_reader_sorts_by_the_vietnamese_alphabet(people, clerk_client):
    if not on_postgresql(people):
        pytest.skip("SQLite sorts in its indexes' (binary) order")
    names = listed(clerk_client.get(LIST, query_string={"sort": "name"}))
    assert names == VI_ORDER
    assert listed(clerk_client.get(LIST, query_string={"sort": "-name"})) == names[::-1]


def test_other_readers_sort_accented_letters_among_the_plain_ones(people, admin_client):
    if not on_postgresql(people):
        pytest.skip("SQLite sorts in its indexes' (binary) order")
    names = listed(admin_client.get(LIST, query_string={"sort": "name"}))
    d_names = {"Dao Lan", "Dương Minh Châu", "Đặng Thị Bình", "Đỗ Hùng"}
    assert set(names[1:5]) == d_names and names[5] == "Emma Evans"  # not after Zoe


@pytest.mark.parametrize("sort", ["name", "-name"])
def test_keyset_pages_in_the_readers_order_return_each_row_once(
        people, clerk_client, monkeypatch, sort):
    monkeypatch.setattr("core.ui.generic.listing.PAGE_SIZE", 3)
    seen, url = [], f"{LIST}?sort={sort}"
    while url:
        page = clerk_client.get(url)
        seen += listed(page)
        url = html.unescape(page.text.split('rel="next"')[0].rsplit('href="', 1)[1].split(
            '"')[0]).strip("#")  # "#": the last page
    order = readers_order(people, VI_ORDER)
    assert seen == (order if sort == "name" else order[::-1])


def test_the_sqlite_key_follows_the_vietnamese_alphabet():
    from core.search import sort_text

    words = ["ăn", "an", "âm", "đi", "dư", "ơi", "ôm", "ong", "Ư", "ùa"]
    assert sorted(words, key=lambda w: sort_text(w, "vi")) == [
        "an", "ăn", "âm", "dư", "đi", "ong", "ôm", "ơi", "ùa", "Ư"]
