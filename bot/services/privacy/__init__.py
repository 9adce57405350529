"""Residents' rights over their data: see it, take a copy, erase it; and storage limits."""
