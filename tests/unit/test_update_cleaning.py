"""Updates enter cleaned of characters no database and no Bot API call can carry."""

from __future__ import annotations

from storage.inbox import clean_update, reduced_payload


def message(text: str, entities: list[dict] | None = None) -> dict:
    body: dict = {"message_id": 1, "chat": {"id": 7, "type": "private"}, "text": text}
    if entities is not None:
        body["entities"] = entities
    return {"update_id": 10, "message": body}


def test_nul_and_other_c0_controls_are_dropped_tab_and_newline_stay() -> None:
    cleaned = clean_update(message("a\x00b\x07c\td\ne\x1f\rf"))
    assert cleaned["message"]["text"] == "abc\td\nef"


def test_every_string_is_cleaned_however_deep() -> None:
    update = {
        "update_id": 1,
        "message": {
            "from": {"id": 7, "first_name": "张\x00小明"},
            "contact": {"phone_number": "+86139\x0012345678", "first_name": "x\x00"},
            "reply_to_message": {"caption": "photo\x00", "photo": [{"file_id": "ab\x00c"}]},
        },
    }
    cleaned = clean_update(update)
    assert cleaned["message"]["from"]["first_name"] == "张小明"
    assert cleaned["message"]["contact"]["phone_number"] == "+8613912345678"
    assert cleaned["message"]["reply_to_message"]["caption"] == "photo"
    assert cleaned["message"]["reply_to_message"]["photo"][0]["file_id"] == "abc"
    assert cleaned["update_id"] == 1


def test_a_lone_surrogate_becomes_the_replacement_character() -> None:
    cleaned = clean_update(message("broken \ud83d here, whole 😀"))
    assert cleaned["message"]["text"] == "broken \ufffd here, whole 😀"
    cleaned["message"]["text"].encode("utf-8")  # storable anywhere now


def test_entities_still_point_at_their_text_after_characters_are_dropped() -> None:
    # UTF-16 offsets: "😀" counts two units; the bold entity covers "bold\x00er".
    text = "\x00/new 😀 \x00bold\x00er end"
    bold_start = len("\x00/new 😀 \x00".encode("utf-16-le")) // 2
    entities = [
        {"type": "bot_command", "offset": 1, "length": 4},
        {"type": "bold", "offset": bold_start, "length": 7},
    ]
    cleaned = clean_update(message(text, entities))["message"]
    assert cleaned["text"] == "/new 😀 bolder end"
    units = cleaned["text"].encode("utf-16-le")

    def covered(entity: dict) -> str:
        start, end = entity["offset"] * 2, (entity["offset"] + entity["length"]) * 2
        return units[start:end].decode("utf-16-le")

    assert [covered(e) for e in cleaned["entities"]] == ["/new", "bolder"]


def test_clean_text_is_returned_unchanged() -> None:
    update = message("just words", [{"type": "bold", "offset": 0, "length": 4}])
    assert clean_update(update) == update


def test_a_handled_update_keeps_only_its_id() -> None:
    assert reduced_payload(42) == {"update_id": 42}
