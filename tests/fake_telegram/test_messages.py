"""Sending, editing and media through a real aiogram Bot."""

from __future__ import annotations

import aiohttp
import pytest
from aiogram import Bot
from aiogram.exceptions import TelegramBadRequest
from aiogram.types import (
    BufferedInputFile,
    CallbackQuery,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InputMediaPhoto,
    ReplyParameters,
)

from fake_telegram import FakeTelegramServer, FakeUser


def keyboard(*pairs: tuple[str, str]) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[[InlineKeyboardButton(text=t, callback_data=d)] for t, d in pairs]
    )


async def test_send_message_is_stored_and_recorded(
    bot: Bot, server: FakeTelegramServer, alice: FakeUser
) -> None:
    server.send_text(alice, "hi")  # user message takes id 1 in the chat
    sent = await bot.send_message(
        alice.id,
        "<b>报修</b> 已受理 &lt;#1&gt;",
        parse_mode="HTML",
        reply_markup=keyboard(("查看", "v:1")),
    )
    assert sent.message_id == 2
    assert sent.from_user.id == server.bot_id
    assert sent.text == "报修 已受理 <#1>"
    assert sent.entities[0].type == "bold" and sent.entities[0].length == 2
    assert sent.reply_markup.inline_keyboard[0][0].callback_data == "v:1"

    stored = server.last_message(alice.id)
    assert stored is not None and stored.message_id == 2 and stored.text == sent.text
    assert stored.button_texts() == ["查看"]
    assert [m.message_id for m in server.messages_in(alice.id)] == [2]
    assert len(server.messages_in(alice.id, include_user_messages=True)) == 2

    call = await server.wait_for("sendMessage", chat_id=alice.id)
    assert call.params["parse_mode"] == "HTML"
    assert call.params["reply_markup"]["inline_keyboard"][0][0]["text"] == "查看"
    assert call.result["message_id"] == 2
    assert server.stats["sent"] == 1


async def test_thread_and_reply_are_echoed(
    bot: Bot, server: FakeTelegramServer, alice: FakeUser
) -> None:
    server.add_group(-100500, "Staff", is_forum=True)
    update = server.send_text(alice, "question", chat_id=-100500, message_thread_id=7)
    asked = update["message"]["message_id"]
    sent = await bot.send_message(
        -100500, "answer", message_thread_id=7, reply_parameters=ReplyParameters(message_id=asked)
    )
    assert sent.message_thread_id == 7
    assert sent.reply_to_message.text == "question"
    with pytest.raises(TelegramBadRequest, match="message to be replied not found"):
        await bot.send_message(-100500, "x", reply_parameters=ReplyParameters(message_id=999))


async def test_html_parse_error(bot: Bot, server: FakeTelegramServer, alice: FakeUser) -> None:
    for bad in ("<b>open", "a <3 b", "<b><i>x</b></i>", "<foo>x</foo>", "Tom & Jerry"):
        with pytest.raises(TelegramBadRequest, match="can't parse entities"):
            await bot.send_message(alice.id, bad, parse_mode="HTML")
    assert server.messages_in(alice.id) == []
    assert all(not c.ok for c in server.calls_of("sendMessage"))
    # Without parse_mode the same text is fine.
    await bot.send_message(alice.id, "Tom & Jerry <3", parse_mode=None)


async def test_text_validation(bot: Bot, alice: FakeUser) -> None:
    with pytest.raises(TelegramBadRequest, match="message text is empty"):
        await bot.send_message(alice.id, "   ")
    with pytest.raises(TelegramBadRequest, match="message is too long"):
        await bot.send_message(alice.id, "长" * 4097)
    await bot.send_message(alice.id, "长" * 4096)
    # Markup does not count towards the limit; UTF-16 units do (emoji = 2).
    await bot.send_message(alice.id, "<b>" + "a" * 4096 + "</b>", parse_mode="HTML")
    with pytest.raises(TelegramBadRequest, match="message is too long"):
        await bot.send_message(alice.id, "😀" * 2049)
    with pytest.raises(TelegramBadRequest, match="chat not found"):
        await bot.send_message(424242, "who?")
    with pytest.raises(TelegramBadRequest, match="BUTTON_DATA_INVALID"):
        await bot.send_message(alice.id, "x", reply_markup=keyboard(("b", "x" * 65)))


async def test_edit_and_not_modified(bot: Bot, server: FakeTelegramServer, alice: FakeUser) -> None:
    kb = keyboard(("A", "a"))
    sent = await bot.send_message(alice.id, "<i>v1</i>", parse_mode="HTML", reply_markup=kb)
    with pytest.raises(TelegramBadRequest, match="message is not modified: specified new message"):
        await bot.edit_message_text(
            text="<i>v1</i>",
            chat_id=alice.id,
            message_id=sent.message_id,
            parse_mode="HTML",
            reply_markup=kb,
        )
    edited = await bot.edit_message_text(
        text="v2", chat_id=alice.id, message_id=sent.message_id, reply_markup=kb
    )
    assert edited.text == "v2" and edited.edit_date is not None
    stored = server.last_message(alice.id)
    assert stored.text == "v2"
    assert [h["text"] for h in stored.history] == ["v1"]
    # Omitting reply_markup removes the keyboard, like Telegram.
    await bot.edit_message_text(text="v3", chat_id=alice.id, message_id=sent.message_id)
    assert server.last_message(alice.id).inline_keyboard == []
    with pytest.raises(TelegramBadRequest, match="message to edit not found"):
        await bot.edit_message_text(text="x", chat_id=alice.id, message_id=999)
    with pytest.raises(TelegramBadRequest, match="message is not modified"):
        await bot.edit_message_reply_markup(chat_id=alice.id, message_id=sent.message_id)
    assert await bot.delete_message(alice.id, sent.message_id)
    assert server.last_message(alice.id) is None
    with pytest.raises(TelegramBadRequest, match="message to delete not found"):
        await bot.delete_message(alice.id, sent.message_id)


async def test_press_produces_callback_query(
    bot: Bot, server: FakeTelegramServer, alice: FakeUser
) -> None:
    await bot.send_message(
        alice.id, "选择", reply_markup=keyboard(("水电", "cat:1"), ("门禁", "cat:2"))
    )
    message = server.last_message(alice.id)
    update = server.press(alice, message, text="门禁")
    with pytest.raises(LookupError, match="cat:1"):
        server.press(alice, message, data="nope")

    updates = await bot.get_updates()
    query = updates[-1].callback_query
    assert isinstance(query, CallbackQuery)
    assert query.data == "cat:2"
    assert query.from_user.id == alice.id
    assert query.message.message_id == message.message_id
    await bot.answer_callback_query(query.id, text="已选择", show_alert=True)
    answer = server.answer_for(update)
    assert answer is not None and answer.text == "已选择" and answer.show_alert
    with pytest.raises(TelegramBadRequest, match="query is too old"):
        await bot.answer_callback_query(query.id)

    stale = server.press_raw(alice, alice.id, 999, "forged")
    assert stale["callback_query"]["message"]["date"] == 0
    parsed = (await bot.get_updates(offset=updates[-1].update_id + 1))[0]
    assert parsed.callback_query.data == "forged"


async def test_albums(bot: Bot, server: FakeTelegramServer, alice: FakeUser) -> None:
    updates = server.send_album(alice, 3, caption="漏水照片")
    group_ids = {u["message"]["media_group_id"] for u in updates}
    assert len(group_ids) == 1
    received = await bot.get_updates()
    assert [u.message.caption for u in received] == ["漏水照片", None, None]
    photo_id = received[0].message.photo[-1].file_id

    media = [
        InputMediaPhoto(media=photo_id, caption="转发"),
        InputMediaPhoto(media=BufferedInputFile(b"\x89PNG\r\n\x1a\n" + b"\x00" * 16, "p.png")),
    ]
    sent = await bot.send_media_group(alice.id, media)
    assert len(sent) == 2
    assert sent[0].media_group_id == sent[1].media_group_id is not None
    assert sent[0].photo[-1].file_id == photo_id
    assert sent[0].caption == "转发"
    assert [m.message_id for m in server.messages_in(alice.id)] == [4, 5]


async def test_contact_and_location(bot: Bot, server: FakeTelegramServer, alice: FakeUser) -> None:
    server.send_contact(alice, "+8613800000000")
    server.send_contact(alice, "+8613900000000", contact_user_id=None, first_name="Bob")
    server.send_location(alice, 31.23, 121.47)
    updates = await bot.get_updates()
    own, other, location = (u.message for u in updates)
    assert own.contact.user_id == alice.id and own.contact.phone_number == "+8613800000000"
    assert own.contact.first_name == "Alice"
    assert other.contact.user_id is None and other.contact.first_name == "Bob"
    assert location.location.latitude == pytest.approx(31.23)


async def test_document_round_trip(bot: Bot, server: FakeTelegramServer, alice: FakeUser) -> None:
    sent = await bot.send_document(
        alice.id, BufferedInputFile(b"id,name\n1,Alice\n", "report.csv"), caption="月报"
    )
    assert sent.document.file_name == "report.csv"
    stored = server.file_of(server.last_message(alice.id))
    assert stored.data == b"id,name\n1,Alice\n" and stored.details.file_name == "report.csv"
    upload = server.calls_of("sendDocument")[0].upload("document")
    assert upload is not None and upload.filename == "report.csv"

    info = await bot.get_file(sent.document.file_id)
    downloaded = await bot.download_file(info.file_path)
    assert downloaded.read() == b"id,name\n1,Alice\n"

    # Files pushed by users can be downloaded too (photos are real JPEGs).
    update = server.send_photo(alice, caption="门坏了")
    photo = update["message"]["photo"][-1]
    info = await bot.get_file(photo["file_id"])
    data = (await bot.download_file(info.file_path)).read()
    assert data.startswith(b"\xff\xd8") and data == server.file(photo["file_id"]).data
    with pytest.raises(TelegramBadRequest, match="invalid file_id"):
        await bot.get_file("nope")
    async with aiohttp.ClientSession() as http:
        async with http.get(f"{server.base_url}/file/bot{server.token}/nope.jpg") as resp:
            assert resp.status == 404


async def test_copy_and_forward(bot: Bot, server: FakeTelegramServer, alice: FakeUser) -> None:
    server.add_group(-100900, "Staff")
    update = server.send_photo(alice, caption="原图")
    message_id = update["message"]["message_id"]
    copied = await bot.copy_message(-100900, alice.id, message_id, caption="住户照片")
    stored = server.message(-100900, copied.message_id)
    assert stored.caption == "住户照片" and "photo" in stored.data
    forwarded = await bot.forward_message(-100900, alice.id, message_id)
    assert forwarded.forward_origin.sender_user.id == alice.id
    with pytest.raises(TelegramBadRequest, match="message to copy not found"):
        await bot.copy_message(-100900, alice.id, 999)


async def test_chat_info_members_and_commands(
    bot: Bot, server: FakeTelegramServer, alice: FakeUser
) -> None:
    server.add_group(-100321, "3号楼业主群")
    server.set_member_status(-100321, alice, "administrator")
    chat = await bot.get_chat(-100321)
    assert chat.title == "3号楼业主群" and chat.type == "supergroup"
    member = await bot.get_chat_member(-100321, alice.id)
    assert member.status == "administrator"
    me = await bot.get_chat_member(-100321, server.bot_id)
    assert me.status == "member"
    assert await bot.leave_chat(-100321)
    assert server.state.left_chats == [-100321]

    from aiogram.types import BotCommand, BotCommandScopeAllPrivateChats

    await bot.set_my_commands(
        [BotCommand(command="start", description="开始")],
        scope=BotCommandScopeAllPrivateChats(),
        language_code="zh",
    )
    assert server.commands_for({"type": "all_private_chats"}, "zh")[0]["command"] == "start"
    got = await bot.get_my_commands(scope=BotCommandScopeAllPrivateChats(), language_code="zh")
    assert [c.command for c in got] == ["start"]
    assert await bot.get_my_commands() == []
    assert await bot.send_chat_action(alice.id, "typing")
