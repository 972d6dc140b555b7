"""Activities: calls, meetings, tasks and emails against contacts and records."""


def register(module) -> None:
    from core import access

    from . import views
    from .models import Activity

    module.blueprint(views.bp)
    module.record_rule("activity", "core.user", access.team(Activity.assignee_id))
    module.slot("partner.form.side", views.partner_panel)
    module.widget("core.my_activities", "My activities", views.my_widget, sequence=10)
    module.expose(
        Activity,
        read=["subject", "kind", "state", "partner_id", "assignee_id", "due_at",
              "duration_minutes", "remind_minutes", "res_model", "res_id", "outcome",
              "created_at", "updated_at"],
        write=["subject", "kind", "state", "partner_id", "assignee_id", "due_at",
               "duration_minutes", "remind_minutes", "res_model", "res_id", "outcome"],
        filter=["kind", "state", "partner_id", "assignee_id", "due_at", "res_model", "res_id"],
        actions={"done": mark_done},
    )


def mark_done(activity, payload):
    """API action: log the outcome and close the activity."""
    from flask_babel import lazy_gettext

    from core.api import ApiError

    if activity.state != "planned":
        raise ApiError(409, "not_planned", lazy_gettext("Only a planned activity can be done."))
    outcome = payload.get("outcome")
    if outcome is not None and not isinstance(outcome, str):
        raise ApiError(422, "invalid", lazy_gettext("Some values are not valid."),
                       {"outcome": [str(lazy_gettext("Expected text."))]})
    activity.state = "done"
    if outcome:
        activity.outcome = outcome
    return activity
