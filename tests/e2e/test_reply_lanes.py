"""An update's answers go out side by side where one cannot change another's outcome.

Telegram answers each call in tens to hundreds of milliseconds. A press on a filing
question is answered three times: the callback answer (the button's spinner stops), the
question edited to show the answer, and the next question. Made one after the other they
cost the resident three round-trips; made side by side, one. Each chat's own messages
still arrive in the order they were written (tests/unit/test_reply_lanes.py).
"""

from __future__ import annotations

from tests.e2e.chat import ResidentChat

HELD = 30.0  # seconds: far longer than any wait below


async def test_the_next_question_does_not_wait_for_the_callback_answer_or_the_edit(
    alice: ResidentChat,
) -> None:
    await alice.registered_in_unit()
    question = await alice.start_filing("📣 Make a complaint")
    telegram = alice.telegram
    telegram.delay_next("answerCallbackQuery", HELD)
    telegram.delay_next("editMessageText", HELD, chat_id=alice.id)
    mark = alice.mark()
    try:
        # Both answers are held by Telegram; the next question comes all the same.
        place = await alice.press(question, "Noise")
        assert "Where" in place.params["text"]
        [answer] = [c for c in telegram.calls_of("answerCallbackQuery") if c.seq >= mark]
        [edit] = [
            c for c in telegram.calls_of("editMessageText", chat_id=alice.id) if c.seq >= mark
        ]
        assert answer.params["callback_query_id"]
        assert "Noise" in edit.params["text"]  # the question, with its answer under it
    finally:
        telegram.release_delayed()
