"""Outbox payloads that may carry personal data are stored sealed (encrypted)."""

from __future__ import annotations

import json

from storage import outbox_queue

PROFILE = {"text": "Name: Alice\nPhone: +8613912345678", "parse_mode": "HTML"}


def test_a_sealed_payload_shows_nothing_and_opens_to_the_call() -> None:
    stored = outbox_queue.sealed(PROFILE)
    assert list(stored) == [outbox_queue.SEALED] and outbox_queue.is_sealed(stored)
    assert "8613912345678" not in json.dumps(stored) and "Alice" not in json.dumps(stored)
    assert outbox_queue.opened(stored) == PROFILE


def test_a_plain_payload_is_its_own_call() -> None:
    assert not outbox_queue.is_sealed(PROFILE) and not outbox_queue.is_sealed({})
    assert outbox_queue.opened(PROFILE) is PROFILE


def test_a_changed_payload_is_stored_as_the_original_was() -> None:
    plain = {"text": "Phone: +8613912345678"}
    assert outbox_queue.stored_like(PROFILE, plain) == plain
    resealed = outbox_queue.stored_like(outbox_queue.sealed(PROFILE), plain)
    assert outbox_queue.is_sealed(resealed) and outbox_queue.opened(resealed) == plain
