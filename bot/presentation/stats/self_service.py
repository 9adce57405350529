"""The notices and self-service section of /stats, the export and the digest."""

from __future__ import annotations

from bot.i18n import N_, translate
from bot.services.stats.self_service import SelfServiceFigures

DASH = "–"


def rate(value: float | None) -> str:
    return DASH if value is None else f"{value:.0f}%"


def self_service_lines(figures: SelfServiceFigures, locale: str) -> list[str]:
    """The section's lines (none when nothing happened)."""
    if figures.is_empty:
        return []
    return [
        translate(locale, N_("<b>Notices and self-service</b>")),
        translate(
            locale,
            N_("Notices sent: {sent} · residents reached: {reach}"),
            sent=figures.notices_sent,
            reach=figures.notice_reach,
        ),
        translate(
            locale,
            N_("Reports answered by an active notice: {shown} · deflected (nothing filed): "
               "{deflected}"),
            shown=figures.notices_shown,
            deflected=figures.reports_deflected,
        ),
        translate(
            locale,
            N_("FAQ answers shown: {shown} · answered the question: {answered} "
               "(self-service rate {rate})"),
            shown=figures.faq_shown,
            answered=figures.faq_answered,
            rate=rate(figures.self_service_rate),
        ),
    ]  # fmt: skip


def self_service_rows(figures: SelfServiceFigures, locale: str) -> list[tuple[str, object, str]]:
    """The export's Summary rows: (figure, value, what it means)."""
    rows = [
        (N_("Notices sent"), figures.notices_sent, N_("Notices sent to residents in the period.")),
        (N_("Notice reach"), figures.notice_reach,
         N_("Residents the notices of the period were sent to.")),
        (N_("Reports met by a notice"), figures.notices_shown,
         N_("Reports of a problem an active outage or incident notice already covered.")),
        (N_("Reports deflected"), figures.reports_deflected,
         N_("Of those, the reports the resident did not file after reading the notice.")),
        (N_("FAQ answers shown"), figures.faq_shown,
         N_("Questions answered at once from the organisation's FAQ.")),
        (N_("Self-service rate (%)"),
         None if figures.self_service_rate is None else round(figures.self_service_rate, 1),
         N_("Of the FAQ answers shown, the share the resident said answered the question.")),
    ]  # fmt: skip
    return [(translate(locale, a), v, translate(locale, b)) for a, v, b in rows]
