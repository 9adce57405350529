"""Tickets: the one state machine, numbering, and every change with its history."""
