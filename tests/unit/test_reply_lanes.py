"""Which of an update's Bot API calls may be made side by side (bot/app/runtime/replies.py)."""

from __future__ import annotations

from typing import Any

from bot.app.runtime.replies import Call, lanes

ALICE, GROUP = 1001, -100500
PLACEHOLDER = -(2**40 + 7)
LATER_PLACEHOLDER = -(2**40 + 8)


def _call(method: str, chat_id: int | None, placeholder: int | None = None, **params: Any) -> Call:
    if chat_id is not None:
        params["chat_id"] = chat_id
    return Call(method, chat_id, params, placeholder=placeholder)


def _shape(grouped: list[list[Call]]) -> list[list[str]]:
    return [[f"{c.api_method}:{c.chat_id}" for c in lane] for lane in grouped]


def test_a_press_answer_an_edit_of_an_earlier_message_and_the_next_question_go_side_by_side() -> (
    None
):
    calls = [
        _call("answerCallbackQuery", None, callback_query_id="1"),
        _call("editMessageText", ALICE, message_id=41, text="Which kind?\n» Noise"),
        _call("sendMessage", ALICE, PLACEHOLDER, text="Where exactly?"),
    ]
    assert _shape(lanes(calls)) == [
        ["answerCallbackQuery:None"],
        [f"editMessageText:{ALICE}"],
        [f"sendMessage:{ALICE}"],
    ]


def test_a_chats_messages_stay_in_the_order_they_were_written() -> None:
    calls = [
        _call("sendMessage", ALICE, PLACEHOLDER, text="Filed as SG-000001."),
        _call("sendMessage", GROUP, LATER_PLACEHOLDER, text="New complaint"),
        _call("sendMessage", ALICE, text="What would you like to do?"),
        _call("sendPhoto", ALICE, photo="file-1"),
    ]
    assert _shape(lanes(calls)) == [
        [f"sendMessage:{ALICE}", f"sendMessage:{ALICE}", f"sendPhoto:{ALICE}"],
        [f"sendMessage:{GROUP}"],
    ]


def test_a_call_that_refers_to_a_message_of_this_update_follows_the_call_that_sends_it() -> None:
    calls = [
        _call("sendMessage", GROUP, PLACEHOLDER, text="Card"),
        _call("editMessageReplyMarkup", GROUP, message_id=PLACEHOLDER, reply_markup={}),
        # Another chat, but it copies the card: it waits for the card's id.
        _call("copyMessage", ALICE, from_chat_id=GROUP, message_id=PLACEHOLDER),
        _call("sendMessage", ALICE, text="Unrelated"),
    ]
    assert _shape(lanes(calls)) == [
        [f"sendMessage:{GROUP}", f"editMessageReplyMarkup:{GROUP}", f"copyMessage:{ALICE}"],
        [f"sendMessage:{ALICE}"],
    ]


def test_two_changes_of_one_earlier_message_stay_in_order() -> None:
    calls = [
        _call("editMessageText", GROUP, message_id=7, text="first"),
        _call("editMessageText", GROUP, message_id=8, text="another message"),
        _call("editMessageReplyMarkup", GROUP, message_id=7, reply_markup={}),
        _call("deleteMessage", GROUP, message_id=7),
    ]
    assert _shape(lanes(calls)) == [
        [f"editMessageText:{GROUP}", f"editMessageReplyMarkup:{GROUP}", f"deleteMessage:{GROUP}"],
        [f"editMessageText:{GROUP}"],
    ]


def test_each_callback_answer_is_its_own_lane_and_one_call_is_one_lane() -> None:
    assert len(lanes([_call("answerCallbackQuery", None, callback_query_id="1")])) == 1
    assert lanes([]) == []
