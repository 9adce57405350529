"""Notices to residents (``/notice``): composing, sending through the outbox at the
platform's pace, correcting and withdrawing them; the active ones answer reports of
the outage they announce (``deflection.py``). Stored as ``Announcement`` rows."""
