"""The bot process runs on uvloop when it is installed, on asyncio's loop otherwise."""

from __future__ import annotations

import asyncio
import sys

import pytest

from bot.app.runtime import event_loop


async def _loop_module() -> str:
    await asyncio.sleep(0)
    return type(asyncio.get_running_loop()).__module__


@pytest.mark.skipif(sys.platform == "win32", reason="uvloop is not installed on Windows")
def test_the_bot_runs_on_uvloop() -> None:
    assert event_loop.run(_loop_module()).startswith("uvloop")


def test_without_uvloop_it_runs_on_asyncios_loop(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "uvloop", None)  # import uvloop raises ImportError
    assert event_loop.run(_loop_module()).startswith("asyncio")
