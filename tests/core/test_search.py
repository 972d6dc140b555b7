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


# -- the search index (core.search.matching, create_index) ------------------------------
def _index_sql(app, table: str) -> str:
    """What makes `table`'s search index: the SQL of its FTS5 table and triggers on SQLite,
    of its trigram index and of the folded copy it is on on PostgreSQL ("" when there is
    none)."""
    with app.app_context(), db.engine.connect() as conn:
        if conn.dialect.name == "sqlite":
            return "\n".join(conn.exec_driver_sql(
                "SELECT sql FROM sqlite_master WHERE name = ? OR (type = 'trigger' AND "
                "tbl_name = ?) ORDER BY name", (f"{table}_search", table)).scalars())
        index = conn.exec_driver_sql(
            "SELECT indexdef FROM pg_indexes WHERE tablename = %s AND indexname = %s",
            (table, f"ix_{table}_search")).scalar()
        copy = conn.exec_driver_sql(  # the folded copy the index is on
            "SELECT pg_get_expr(d.adbin, d.adrelid) FROM pg_attrdef d JOIN pg_attribute a "
            "ON a.attrelid = d.adrelid AND a.attnum = d.adnum WHERE d.adrelid = %s::regclass "
            "AND a.attname = 'search_text' AND a.attgenerated = 's'", (table,)).scalar()
        return f"{index}\n{copy}" if index and copy else ""


def test_the_contacts_search_index_is_there_after_install(app):
    made = _index_sql(app, "partner")
    if on_postgresql(app):
        assert "USING gin (search_text gin_trgm_ops)" in made and "translate(lower(" in made
    else:
        assert "VIRTUAL TABLE partner_search USING fts5" in made
        assert made.count("CREATE TRIGGER") == 3
    for column in Partner.__search__:
        assert column in made


def test_every_declared_search_has_its_index(app):
    from core.modules import get_registry, lifecycle

    with app.app_context():
        lifecycle.enable(get_registry(), ["sales", "billing"])
        models = [m.class_ for m in db.Model.registry.mappers
                  if getattr(m.class_, "__search__", None)]
        assert {m.__tablename__ for m in models} >= {
            "partner", "sale_lead", "sale_order", "billing_invoice", "billing_payment"}
    for model in models:
        made = _index_sql(app, model.__tablename__)
        assert made, f"{model.__tablename__} declares __search__ and has no index"
        for column in model.__search__:  # text columns, each in the index
            assert isinstance(model.__table__.c[column].type, sa.String)
            assert column in made


def _found(text: str, names=Partner.__search__) -> list[str]:
    from core.search import matching

    return sorted(db.session.execute(sa.select(Partner.name).where(
        matching(Partner, names, text))).scalars())


def test_the_index_follows_writes_in_their_own_transaction(people):
    with people.app_context():
        partner = Partner(name="Trần Thị Ánh", city="Hà Nội", email="anh@example.com")
        db.session.add(partner)
        db.session.flush()  # not committed: the index is already right
        assert _found("TRAN THI") == ["Trần Thị Ánh"]
        assert _found("ha noi") == ["Trần Thị Ánh"]
        partner.name, partner.city = "Lý Ánh", "Huế"
        db.session.flush()
        assert _found("tran thi") == [] and _found("ha noi") == []
        assert _found("ly anh") == ["Lý Ánh"] and _found("hue") == ["Lý Ánh"]
        db.session.delete(partner)
        db.session.flush()
        assert _found("ly anh") == [] and _found("hue") == []
        db.session.rollback()
        assert _found("ly anh") == []


def test_indexed_search_keeps_the_scans_rules(people, admin_client):
    with people.app_context():
        db.session.add_all([Partner(name="Nguyen", city="Hanoi"), Partner(name="王小明"),
                            Partner(name="A*B [x]? 50%_", email="star@example.com")])
        db.session.commit()
        assert _found("nguyenhanoi") == [] and _found("hanoi") == ["Nguyen"]  # no spanning
        assert _found("*b [x]?") == ["A*B [x]? 50%_"]
        assert _found("a?b") == [] and _found("[x") == ["A*B [x]? 50%_"]
        assert _found("50%_") == ["A*B [x]? 50%_"] and _found("50%x") == []
        # under 3 characters, or 3 bytes and more in fewer characters (FTS5's trigrams
        # miss those on SQLite 3.40): read from the folded copy
        assert _found("王") == _found("小明") == _found("王小明") == ["王小明"]
        # a search of fewer columns than the index holds: the index, then its own columns
        assert _found("star@", names=("name",)) == []
        assert _found("star@", names=("name", "email")) == ["A*B [x]? 50%_"]
    # short text, one and two letters, through the list
    assert listed(admin_client.get(LIST, query_string={"q": "đỗ"})) == ["Đỗ Hùng"]
    assert "Anh Tú" in listed(admin_client.get(LIST, query_string={"q": "ú"}))
    assert listed(admin_client.get(LIST, query_string={"q": "ZH"})) == ["Zoe Zhang"]


def test_the_list_search_uses_the_index(people, admin_client):
    """The plan of the statement the contacts list sends for a search: the FTS5 table on
    SQLite, the trigram index on PostgreSQL (other scans off: a table this small would be
    read whole otherwise)."""
    with people.app_context():
        engine = db.engine
    sent = []

    def record(_conn, _cursor, statement, parameters, _context, _many):
        if "partner" in statement and ("GLOB" in statement or "search_text" in statement):
            sent.append((statement, parameters))

    sa.event.listen(engine, "before_cursor_execute", record)
    try:
        assert listed(admin_client.get(LIST, query_string={"q": "nguyen"})) == [
            "Nguyễn Văn An"]
    finally:
        sa.event.remove(engine, "before_cursor_execute", record)
    assert sent
    with people.app_context(), db.engine.connect() as conn:
        for statement, parameters in sent:
            if conn.dialect.name == "sqlite":
                plan = " ".join(row[-1] for row in conn.exec_driver_sql(
                    f"EXPLAIN QUERY PLAN {statement}", parameters))
                assert "partner_search VIRTUAL TABLE INDEX 0:G" in plan, plan
                assert "SCAN partner" not in plan.replace("SCAN partner_search", ""), plan
            else:
                conn.exec_driver_sql("SET enable_seqscan = off")  # and the name order's
                conn.exec_driver_sql("SET enable_indexscan = off")
                plan = "\n".join(conn.exec_driver_sql(f"EXPLAIN {statement}", parameters)
                                 .scalars())
                assert "ix_partner_search" in plan, plan
