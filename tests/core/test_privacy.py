"""Privacy: consent, the JSON export of a person, anonymisation that keeps business
records."""
from __future__ import annotations

import io

import sqlalchemy as sa

from core.activities.models import Activity
from core.db import db
from core.partners.models import Partner
from core.timeline import TimelineEntry


def person(app):
    with app.app_context():
        partner = Partner(name="Nguyễn Thị Mai", email="mai@hoasen.vn", phone="+84 90 123 4567",
                          marketing_consent=True)
        db.session.add(partner)
        db.session.flush()
        db.session.add(Activity(subject="Call Mai about the offer", partner_id=partner.id))
        db.session.commit()
        return partner.id


def test_export_holds_everything_about_the_person(app, admin_client, clerk_client):
    pid = person(app)
    admin_client.post(f"/timeline/partner/{pid}/note", data={"body": "Prefers Zalo"})
    assert clerk_client.get(f"/contacts/partners/{pid}/privacy.json").status_code == 403
    data = admin_client.get(f"/contacts/partners/{pid}/privacy.json").get_json()
    assert data["partner"]["email"] == "mai@hoasen.vn"
    assert data["partner"]["marketing_consent"] is True
    assert [a["subject"] for a in data["activities"]] == ["Call Mai about the offer"]
    assert any(e["body"] == "Prefers Zalo" for e in data["timeline"])


def test_anonymise_removes_personal_data_and_keeps_records(app, admin_client, tmp_path):
    app.config["ERP_ATTACHMENTS_DIR"] = str(tmp_path / "files")
    pid = person(app)
    admin_client.post(f"/timeline/partner/{pid}/note", data={"body": "Lives at 12 Hàng Bài"})
    admin_client.post(f"/timeline/partner/{pid}/attachment",
                      data={"file": (io.BytesIO(b"passport scan"), "passport.pdf")})
    page = admin_client.get(f"/contacts/partners/{pid}").text
    assert "partner-privacy" in page
    assert admin_client.post(f"/contacts/partners/{pid}/anonymise").status_code == 302
    with app.app_context():
        partner = db.session.get(Partner, pid)
        assert partner.name == f"Anonymised contact {pid}"
        assert (partner.email, partner.phone, partner.active, partner.opt_out) == (
            None, None, False, True)
        # the activity (a business record) is still there and still linked
        assert db.session.execute(sa.select(Activity.partner_id)).scalar() == pid
        entries = db.session.execute(sa.select(TimelineEntry).where(
            TimelineEntry.model == "partner", TimelineEntry.record_id == pid)).scalars().all()
        text = repr([(e.changes, e.body, e.file_name) for e in entries])
        assert "mai@hoasen.vn" not in text and "Hàng Bài" not in text and "passport" not in text
    assert not [p for p in (tmp_path / "files").rglob("*") if p.is_file()]  # the file too


def test_consent_and_opt_out_are_filterable_in_the_api(app):
    from .test_api import Api, token_for

    person(app)
    api = Api(app.test_client(), token_for(app, "admin"))
    assert api("GET", "partner?marketing_consent=true").get_json()["total"] == 1
    assert api("GET", "partner?opt_out=true").get_json()["total"] == 0
