"""Getting updates in and handling them: polling, the inbox worker, transactions."""
