"""Renderers of domain notices, one module per audience; importing this registers them all.

Every renderer module is imported here (add new ones to the list).
"""

from bot.presentation.outbound import (
    announcements,  # noqa: F401
    binding,  # noqa: F401
    digests,  # noqa: F401
    escalations,  # noqa: F401
    groups,  # noqa: F401
    invites,  # noqa: F401
    menus,  # noqa: F401
    privacy,  # noqa: F401
    reachability,  # noqa: F401
    residents,  # noqa: F401
    staff,  # noqa: F401
    surveys,  # noqa: F401
)
