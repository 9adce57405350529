"""Why a survey answer or a campaign command was refused.

Survey refusals are ordinary input mistakes (an old button, someone else's survey),
so they are answered but not written to the audit log; a manager refused a campaign
or a follow-up is refused in ``bot/services/access.py`` (``SurveysForManagers``,
``FollowupsForManagers``) and audited by the service itself, with the unit.
"""

from __future__ import annotations

from bot.i18n import N_
from bot.services.errors import Refused


class SurveyError(Refused):
    code = "survey_closed"
    default_reason = N_("This question is no longer open.")
    audited = False


class StaleSurvey(SurveyError):
    """The button belongs to a question already answered or no longer asked."""

    code = "stale_survey"
    default_reason = N_("This question has already been answered or is no longer open.")


class NotYourSurvey(SurveyError):
    code = "not_your_survey"
    default_reason = N_("This survey was sent to someone else.")


class TicketChanged(SurveyError):
    code = "ticket_changed"
    default_reason = N_("This ticket has changed since this question was sent. Please look again.")


class SurveyEnded(SurveyError):
    code = "survey_ended"
    default_reason = N_("This survey has ended. Thank you!")


class AlreadyCompleted(SurveyError):
    code = "survey_completed"
    default_reason = N_("You have already answered this survey. Thank you!")


class NoOpenSurvey(SurveyError):
    code = "no_open_survey"
    default_reason = N_("You have no survey to answer right now.")


class UnknownUnit(SurveyError):
    code = "unknown_unit"
    default_reason = N_("There is no project or region with that key.")


class UnitNeeded(SurveyError):
    code = "unit_needed"
    default_reason = N_("Please name the project or region: /survey start &lt;key&gt;")


class NoProjects(SurveyError):
    code = "no_projects"
    default_reason = N_("There are no active projects there.")


class UnknownCampaign(SurveyError):
    code = "unknown_campaign"
    default_reason = N_("There is no survey campaign with that key. Send /survey to list them.")


class FollowupAlreadyTaken(SurveyError):
    """Another manager is already calling the resident back (``name``)."""

    code = "already_taken"
    default_reason = N_("{name} is already calling the resident back.")
