"""Background work: the outbox sender and the periodic jobs (APScheduler)."""
