"""What residents see in their private chat: the menu, the filing conversation, their
tickets, their profile and registration. Texts are translated in the reader's language
(aiogram's i18n context of the update being answered)."""
