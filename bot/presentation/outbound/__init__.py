"""Renderers of domain notices, one module per audience; importing this registers them all.

Every renderer module is imported here (add new ones to the list).
"""
