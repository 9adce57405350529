"""Surveys: the rating after each resolved ticket and the periodic questionnaire."""

from __future__ import annotations

from aiogram import Router

from handlers.surveys import questionnaire, ticket_feedback


def build_router() -> Router:
    router = Router(name="surveys")
    router.include_routers(ticket_feedback.build_router(), questionnaire.build_router())
    return router
