"""The composition root: builds the application once and runs it."""
