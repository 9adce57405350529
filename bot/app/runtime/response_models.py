"""Keep aiogram's Bot API response models alive for the life of the process.

aiogram validates every Bot API answer with ``Response[method.__returning__]``, a pydantic
generic parametrised on each call. pydantic caches parametrised generics in a
``WeakValueDictionary``: nothing else refers to the class, so the next garbage collection
frees it and the next call builds the model again (schema, validator: milliseconds of CPU,
the largest single cost of a busy bot's update path in ``bench/load.py``). Holding one
reference to each parametrisation keeps the cache warm. There are about forty distinct
return types; building them all once takes well under a second at start.
"""

from __future__ import annotations

import inspect
from typing import Any

import aiogram.methods
from aiogram.methods.base import Response, TelegramMethod

_kept: dict[Any, type[Response[Any]]] = {}


def keep_response_models() -> int:
    """Build (once) and hold the response model of every Bot API method; how many."""
    if not _kept:
        for method in vars(aiogram.methods).values():
            concrete = (
                inspect.isclass(method)
                and issubclass(method, TelegramMethod)
                and isinstance(getattr(method, "__api_method__", None), str)
            )
            if concrete:
                returning = method.__returning__
                if returning not in _kept:
                    _kept[returning] = Response[returning]  # type: ignore[valid-type]
    return len(_kept)
