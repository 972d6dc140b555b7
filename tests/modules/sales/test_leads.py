"""Leads: routing by assignment rules (round-robin within a team), the shared pool
(claiming once, the per-person limit, idle leads taken back at night), converting to an
opportunity (creating or reusing the customer), and won, lost, reopened."""
from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa

from core.activities.models import Activity
from core.auth.models import Team, TeamMember, User
from core.db import db, utcnow
from core.errors import Refusal
from core.partners.models import Partner
from core.settings import set_setting
from modules.sales import services
from modules.sales.models import AssignmentRule, Lead, LeadSource, LostReason

from .conftest import count, lead, partner, stage


def user(ctx, login_name):
    return db.session.get(User, ctx.ids[login_name])


def team_of(ctx, *logins):
    team = Team(name="Inside sales")
    db.session.add(team)
    db.session.flush()
    db.session.add_all(TeamMember(team_id=team.id, user_id=ctx.ids[n]) for n in logins)
    db.session.flush()
    return team


def source(name):
    return db.session.execute(sa.select(LeadSource).where(LeadSource.name == name)).scalar_one()


def routed(**values):
    new = Lead(name=values.pop("name", "Inbound"), **values)
    services.assign(new)
    db.session.add(new)
    db.session.flush()
    return new


def refused(call, *args) -> str:
    with pytest.raises(Refusal) as caught:
        call(*args)
    return caught.value.code


# -- assignment ---------------------------------------------------------------------------
def test_a_team_rule_deals_leads_round_robin(ctx):
    team = team_of(ctx, "sam", "tom")
    db.session.add(AssignmentRule(team_id=team.id))
    owners = [routed(name=f"Lead {i}").user_id for i in range(4)]
    assert sorted(owners[:2]) == sorted([ctx.ids["sam"], ctx.ids["tom"]])
    assert owners[2:] == owners[:2]  # alternating
    assert {lead.team_id for lead in db.session.execute(sa.select(Lead)).scalars()} == {team.id}


def test_a_member_at_the_limit_is_skipped(ctx):
    team = team_of(ctx, "sam", "tom")
    db.session.add(AssignmentRule(team_id=team.id))
    set_setting("sales.lead_limit", "1")
    lead(user_id=ctx.ids["sam"])
    assert [routed().user_id for _ in range(2)] == [ctx.ids["tom"], None]


def test_rules_match_by_source_and_country_in_sequence(ctx):
    website = source("Website")
    db.session.add_all([
        AssignmentRule(sequence=1, source_id=website.id, user_id=ctx.ids["sam"]),
        AssignmentRule(sequence=2, country="VN", user_id=ctx.ids["tom"]),
        AssignmentRule(sequence=3, country="DE", user_id=ctx.ids["mia"], active=False)])
    db.session.flush()
    assert routed(source_id=website.id, country="VN").user_id == ctx.ids["sam"]
    assert routed(country="vn").user_id == ctx.ids["tom"]
    pooled = routed(country="DE", source_id=source("Referral").id)
    assert pooled.user_id is None and pooled.last_touched_at is None  # waits in the pool


# -- the pool -----------------------------------------------------------------------------
def test_a_lead_is_claimed_once(ctx):
    waiting = lead()
    services.claim(waiting, user(ctx, "sam"))
    assert waiting.user_id == ctx.ids["sam"] and waiting.last_touched_at is not None
    assert refused(services.claim, waiting, user(ctx, "tom")) == "already_claimed"
    assert waiting.user_id == ctx.ids["sam"]


def test_of_two_claiming_at_once_one_wins(ctx):
    waiting = lead()
    db.session.commit()
    # Tom's claim commits while Sam's page still shows the lead in the pool
    db.session.execute(sa.update(Lead.__table__).where(Lead.__table__.c.id == waiting.id)
                       .values(user_id=ctx.ids["tom"]))
    assert waiting.user_id is None  # the stale copy Sam's request holds
    assert refused(services.claim, waiting, user(ctx, "sam")) == "already_claimed"
    assert db.session.execute(sa.select(Lead.user_id)).scalar() == ctx.ids["tom"]


def test_claims_stop_at_the_limit(ctx):
    set_setting("sales.lead_limit", "2")
    sam = user(ctx, "sam")
    lead("Mine", user_id=sam.id)
    lead("Won already", user_id=sam.id, outcome="won")  # closed ones do not count
    services.claim(lead("Second"), sam)
    third = lead("Third")
    assert refused(services.claim, third, sam) == "limit_reached"
    assert third.user_id is None
    assert services.held_by(sam.id) == 2
    closed = lead("Closed", outcome="lost")
    assert refused(services.claim, closed, user(ctx, "tom")) == "invalid_state"


def test_idle_leads_go_back_to_the_pool(ctx):
    long_ago = utcnow() - timedelta(days=20)
    idle = lead("Idle", user_id=ctx.ids["sam"], last_touched_at=long_ago)
    busy = lead("Called yesterday", user_id=ctx.ids["sam"], last_touched_at=long_ago)
    db.session.add(Activity(subject="Call back", res_model="sale.lead", res_id=busy.id,
                            assignee_id=ctx.ids["sam"]))
    fresh = lead("Fresh", user_id=ctx.ids["tom"], last_touched_at=utcnow() - timedelta(days=2))
    never = lead("Never touched", user_id=ctx.ids["tom"])
    db.session.execute(sa.update(Lead).where(Lead.id == never.id)
                       .values(created_at=long_ago))
    closed = lead("Lost long ago", user_id=ctx.ids["sam"], last_touched_at=long_ago,
                  outcome="lost")
    other = lead("Activity on another record", user_id=ctx.ids["sam"],
                 last_touched_at=long_ago)
    db.session.add(Activity(subject="Unrelated", res_model="partner", res_id=other.id))
    db.session.flush()
    assert services.reclaim_idle_leads() == "3 leads back in the pool"
    db.session.expire_all()
    holders = dict(db.session.execute(sa.select(Lead.name, Lead.user_id)).all())
    assert holders == {"Idle": None, "Called yesterday": ctx.ids["sam"],
                       "Fresh": ctx.ids["tom"], "Never touched": None,
                       "Lost long ago": ctx.ids["sam"], "Activity on another record": None}
    assert (idle.user_id, busy.user_id, fresh.user_id, closed.user_id) == (
        None, ctx.ids["sam"], ctx.ids["tom"], ctx.ids["sam"])


def test_the_idle_period_is_a_setting(ctx):
    lead("Idle 20 days", user_id=ctx.ids["sam"], last_touched_at=utcnow() - timedelta(days=20))
    set_setting("sales.pool_idle_days", "30")
    assert services.reclaim_idle_leads() == "0 leads back in the pool"
    set_setting("sales.pool_idle_days", "19")
    assert services.reclaim_idle_leads() == "1 leads back in the pool"


# -- converting ---------------------------------------------------------------------------
def test_converting_creates_the_company_and_its_contact(ctx):
    new = lead("Coffee for 40 offices", company_name="Saigon Coffee",
               contact_name="Trần Bình", email="binh@saigoncoffee.vn", phone="+84 28 555 0101",
               city="Hồ Chí Minh", country="VN", user_id=ctx.ids["sam"])
    services.convert(new)
    company = db.session.get(Partner, new.partner_id)
    assert (company.name, company.is_company, company.kind, company.salesperson_id) == (
        "Saigon Coffee", True, "prospect", ctx.ids["sam"])
    person = db.session.execute(sa.select(Partner).where(Partner.parent_id == company.id)
                                ).scalar_one()
    assert (person.name, person.email, person.kind) == (
        "Trần Bình", "binh@saigoncoffee.vn", "prospect")
    first = stage("New")
    assert (new.type, new.status, new.stage_id, new.probability) == (
        "opportunity", "converted", first.id, first.probability)
    assert refused(services.convert, new) == "invalid_state"


def test_converting_a_person_keeps_their_email(ctx):
    new = lead("Gift boxes", contact_name="Lan Nguyen", email="lan@example.com")
    services.convert(new)
    person = db.session.get(Partner, new.partner_id)
    assert (person.name, person.is_company, person.email) == (
        "Lan Nguyen", False, "lan@example.com")
    assert count(Partner) == 1


def test_converting_links_the_likely_duplicate(ctx):
    known = partner("Hoa Sen Trading", is_company=True, email="info@hoasen.vn")
    new = lead("Repeat order", company_name="HS Trading", email="INFO@hoasen.vn")
    services.convert(new)
    assert new.partner_id == known.id and count(Partner) == 1


def test_converting_to_a_chosen_customer(ctx):
    chosen = partner("Chosen")
    new = lead(company_name="Somebody else")
    services.convert(new, chosen.id)
    assert new.partner_id == chosen.id and count(Partner) == 1
    assert refused(services.convert, lead(), 999999) == "invalid"


def test_won_lost_and_reopened(ctx):
    deal = lead("Espresso bar", company_name="Bar Roma", user_id=ctx.ids["sam"])
    services.mark_won(deal)  # a lead won straight away is converted first
    assert (deal.type, deal.outcome, deal.probability, deal.stage_id) == (
        "opportunity", "won", Decimal(100), stage("Won").id)
    assert deal.partner_id is not None and deal.closed_at is not None
    reason = db.session.execute(sa.select(LostReason).where(
        LostReason.name == "Too expensive")).scalar_one()
    services.mark_lost(deal, reason.id)
    assert (deal.outcome, deal.probability, deal.stage_id, deal.lost_reason_id) == (
        "lost", Decimal(0), stage("Lost").id, reason.id)
    services.reopen(deal)
    first = stage("New")
    assert (deal.outcome, deal.probability, deal.stage_id, deal.lost_reason_id,
            deal.closed_at) == ("open", first.probability, first.id, None, None)


def test_a_team_with_its_own_stages_uses_them(ctx):
    from modules.sales.models import Stage

    team = team_of(ctx, "sam")
    db.session.add_all([Stage(name="Demo", sequence=5, probability=25, team_id=team.id),
                        Stage(name="Signed", sequence=50, probability=100, is_won=True,
                              team_id=team.id)])
    deal = lead("Team deal", company_name="Team customer", team_id=team.id)
    services.convert(deal)
    assert deal.stage_id == stage("Demo").id and deal.probability == 25
    services.mark_won(deal)
    assert deal.stage_id == stage("Signed").id
