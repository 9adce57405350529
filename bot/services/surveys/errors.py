"""Why a survey answer was refused; ``reason`` is a msgid the handler translates."""

from __future__ import annotations

from bot.i18n import N_


class SurveyError(Exception):
    reason = N_("This question is no longer open.")


class StaleSurvey(SurveyError):
    """The button belongs to a question already answered or no longer asked."""

    reason = N_("This question has already been answered or is no longer open.")


class NotYourSurvey(SurveyError):
    reason = N_("This survey was sent to someone else.")


class TicketChanged(SurveyError):
    reason = N_("This ticket has changed since this question was sent. Please look again.")


class SurveyEnded(SurveyError):
    reason = N_("This survey has ended. Thank you!")


class AlreadyCompleted(SurveyError):
    reason = N_("You have already answered this survey. Thank you!")


class NoOpenSurvey(SurveyError):
    reason = N_("You have no survey to answer right now.")


class UnknownUnit(SurveyError):
    reason = N_("There is no project or region with that key.")


class UnitNeeded(SurveyError):
    reason = N_("Please name the project or region: /survey start &lt;key&gt;")


class NoProjects(SurveyError):
    reason = N_("There are no active projects there.")


class UnknownCampaign(SurveyError):
    reason = N_("There is no survey campaign with that key. Send /survey to list them.")
