"""The sender's pacing keeps to Telegram's limits: 30/s overall, 20/min per group, ~1/s per chat."""

from __future__ import annotations

import itertools

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
    p = pacer(clock, burst=1)
    for chat in range(1, 61):
        await p.wait_turn(chat)
    assert round(clock.now - 1000.0, 3) == round(59 / 30, 3)


async def test_the_default_pace_is_just_under_thirty_a_second() -> None:
    clock = FakeTime()
    p = SendPacer(time=clock, sleep=clock.sleep)
    times = [await _turn(p, clock, chat) for chat in range(1, 301)]
    assert p.rate() == 30 * 0.98
    # A burst of 5 slots (from idle), then one slot every 1/29.4 s: once going, at most
    # 30 in any second (Telegram's bucket takes the burst).
    assert times[:5] == [0.0] * 5
    assert 295 / 29.4 - 0.01 < times[-1] < 295 / 29.4 + 0.01
    assert max(_in_any_second([t for t in times if t >= 1.0])) <= 30


async def test_a_short_pause_of_the_sender_is_made_up_by_the_burst() -> None:
    clock = FakeTime()
    p = pacer(clock, per_second=10, burst=3)
    for chat in range(1, 11):
        await p.wait_turn(chat)
    clock.now += 0.5  # the sender was busy claiming its next batch
    before = clock.now
    for chat in range(11, 14):
        await p.wait_turn(chat)
    assert clock.now == before  # two slots of credit (the first was due anyway)


async def test_a_429_halves_the_rate_for_retry_after_seconds() -> None:
    clock = FakeTime()
    p = pacer(clock, per_second=30, burst=1, recovery=1.0)
    for chat in range(1, 11):
        await p.wait_turn(chat)
    p.retry_after(5)
    assert p.rate() == 15.0
    times = [await _turn(p, clock, chat) for chat in range(100, 104)]
    assert all(abs(b - a - 1 / 15) < 1e-3 for a, b in itertools.pairwise(times))
    clock.now += 4
    assert p.rate() == 15.0  # still within retry_after


async def test_after_a_429_the_rate_climbs_back_gradually_to_the_ceiling() -> None:
    clock = FakeTime()
    p = pacer(clock, per_second=30, recovery=2.0)
    p.retry_after(1)
    assert p.rate() == 15.0
    clock.now += 1  # retry_after
    clock.now += 3
    assert p.rate() == 21.0
    clock.now += 4.5
    assert p.rate() == 30.0
    clock.now += 100
    assert p.rate() == 30.0


async def test_429_after_429_halves_again_but_never_below_one_a_second() -> None:
    clock = FakeTime()
    p = pacer(clock, per_second=30)
    for _ in range(10):
        p.retry_after(1)
    assert p.rate() == 1.0


async def test_paid_broadcasts_have_a_lane_of_their_own_up_to_a_thousand_a_second() -> None:
    clock = FakeTime()
    p = pacer(clock, burst=1)
    for chat in range(1, 1001):
        await p.wait_turn(chat, paid=True)
    assert round(clock.now - 1000.0, 3) == 0.999
    assert p.rate(paid=True) == 1000.0
    p.retry_after(3, paid=True)
    assert p.rate(paid=True) == 500.0 and p.rate() == 30.0  # the free lane is untouched


async def test_paid_broadcasts_still_keep_to_one_a_second_per_chat() -> None:
    clock = FakeTime()
    p = pacer(clock)
    times = [await _turn(p, clock, PERSON, paid=True) for _ in range(5)]
    assert times == [0.0, 0.0, 0.0, 1.0, 2.0]


async def _turn(p: SendPacer, clock: FakeTime, chat: int, *, paid: bool = False) -> float:
    await p.wait_turn(chat, paid=paid)
    return round(clock.now - 1000.0, 4)


def _in_any_second(times: list[float]) -> list[int]:
    return [sum(1 for t in times if start <= t < start + 1) for start in times]


async def test_the_default_margin_stays_under_the_limits() -> None:
    clock = FakeTime()
    p = SendPacer(time=clock, sleep=clock.sleep)
    times = [await _turn(p, clock, PERSON) for _ in range(5)]
    assert times[3] > 1.0 and times[4] - times[3] > 1.0
