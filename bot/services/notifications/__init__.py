"""Messages to people other than the sender of the update, queued in the outbox.

``residents`` tells residents and followers about their tickets in their own
language; ``staff`` keeps the staff groups informed (ticket cards and alerts).
"""
