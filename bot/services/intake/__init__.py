"""Residents filing tickets: drafts, limits, category guessing and duplicate detection."""
