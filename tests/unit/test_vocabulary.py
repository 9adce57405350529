"""The vocabulary is defined once (storage/vocabulary.py); what repeats it must agree."""

from bot.config.orgfile import Staff
from bot.i18n import SUPPORTED_LOCALES
from storage.vocabulary import Language, StaffRole


def test_every_language_people_may_choose_has_a_catalog() -> None:
    assert set(SUPPORTED_LOCALES) == {language.value for language in Language}


def test_the_organisation_file_names_the_stored_words() -> None:
    staff = Staff(telegram_id=1, name="A", role="manager", unit="hq")
    assert staff.role is StaffRole.MANAGER
