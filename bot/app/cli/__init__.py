"""The ``resident-bot`` command line."""
