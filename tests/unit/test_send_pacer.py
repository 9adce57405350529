"""The sender's pacing keeps to Telegram's limits: 30/s overall, 20/min per group, ~1/s per chat."""

from __future__ import annotations

from scheduler.rate_limits import SendPacer

GROUP, OTHER_GROUP, PERSON = -1001, -1002, 42


class FakeTime:
    def __init__(self) -> None:
        self.now = 1000.0
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


def pacer(clock: FakeTime, **limits) -> SendPacer:
    return SendPacer(time=clock, sleep=clock.sleep, margin=1.0, **limits)


async def send_times(pacer: SendPacer, clock: FakeTime, chat_id: int, count: int) -> list[float]:
    times = []
    for _ in range(count):
        await pacer.wait_turn(chat_id)
        times.append(round(clock.now - 1000.0, 1))
    return times


async def test_a_private_chat_gets_a_short_burst_then_one_a_second() -> None:
    clock = FakeTime()
    times = await send_times(pacer(clock, per_second=1000), clock, PERSON, 6)
    assert times == [0.0, 0.0, 0.0, 1.0, 2.0, 3.0]


async def test_a_group_gets_twenty_a_minute() -> None:
    clock = FakeTime()
    p = pacer(clock, per_second=1000, per_chat_second=1000)
    times = await send_times(p, clock, GROUP, 22)
    assert times[:20] == [0.0] * 20
    assert times[20] == 60.0 and times[21] == 60.0


async def test_a_busy_group_is_named_so_the_sender_does_not_wait_on_it() -> None:
    clock = FakeTime()
    p = pacer(clock, per_second=1000, per_chat_second=1000)
    await send_times(p, clock, GROUP, 20)
    await p.wait_turn(OTHER_GROUP)
    assert p.busy_chats() == [GROUP]
    assert p.ready_in(OTHER_GROUP) == 0.0 and 59 < p.ready_in(GROUP) <= 60
    clock.now += 61
    assert p.busy_chats() == []


async def test_thirty_a_second_overall() -> None:
    clock = FakeTime()
    p = pacer(clock)
    for chat in range(1, 61):
        await p.wait_turn(chat)
    assert round(clock.now - 1000.0, 3) == round(59 / 30, 3)


async def test_the_default_margin_stays_under_the_limits() -> None:
    clock = FakeTime()
    p = SendPacer(time=clock, sleep=clock.sleep)
    times = await send_times(p, clock, PERSON, 5)
    assert times[3] > 1.0 and times[4] - times[3] > 1.0
