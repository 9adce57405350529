"""Why a survey answer or a campaign command was refused.

Survey refusals are ordinary input mistakes (an old button, someone else's survey),
so they are answered but not written to the audit log; a manager refused a campaign
or a follow-up is refused in ``bot/services/access.py`` (``SurveysForManagers``,
``FollowupsForManagers``) and audited by the service itself, with the unit.
"""

from __future__ import annotations

from bot.i18n import N_
from bot.services.errors import Refused


class SurveyError(
    Refused, code="survey_closed", reason=N_("This question is no longer open."), audited=False
):
    pass


class StaleSurvey(
    SurveyError,
    code="stale_survey",
    reason=N_("This question has already been answered or is no longer open."),
):
    """The button belongs to a question already answered or no longer asked."""


class NotYourSurvey(
    SurveyError, code="not_your_survey", reason=N_("This survey was sent to someone else.")
):
    pass


class TicketChanged(
    SurveyError,
    code="ticket_changed",
    reason=N_("This ticket has changed since this question was sent. Please look again."),
):
    pass


class SurveyEnded(SurveyError, code="survey_ended", reason=N_("This survey has ended. Thank you!")):
    pass


class AlreadyCompleted(
    SurveyError,
    code="survey_completed",
    reason=N_("You have already answered this survey. Thank you!"),
):
    pass


class NoOpenSurvey(
    SurveyError, code="no_open_survey", reason=N_("You have no survey to answer right now.")
):
    pass


class UnknownUnit(
    SurveyError, code="unknown_unit", reason=N_("There is no project or region with that key.")
):
    pass


class UnitNeeded(
    SurveyError,
    code="unit_needed",
    reason=N_("Please name the project or region: /survey start &lt;key&gt;"),
):
    pass


class NoProjects(SurveyError, code="no_projects", reason=N_("There are no active projects there.")):
    pass


class UnknownCampaign(
    SurveyError,
    code="unknown_campaign",
    reason=N_("There is no survey campaign with that key. Send /survey to list them."),
):
    pass


class FollowupAlreadyTaken(
    SurveyError, code="already_taken", reason=N_("{name} is already calling the resident back.")
):
    """Another manager is already calling the resident back (``name``)."""
