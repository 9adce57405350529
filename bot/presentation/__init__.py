"""Where Telegram is spoken: every message the bot sends, rendered from domain results.

Texts go through gettext (``bot.i18n``); buttons are defined once, as aiogram
``CallbackData`` classes (``callback_data.py``), and used both by the handlers that
decode presses and by the notices queued in the outbox. Services never import this
package; handlers, scheduler jobs and the composition root do.
"""
