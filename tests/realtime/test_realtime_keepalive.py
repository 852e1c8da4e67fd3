"""Long sessions under a simulated clock: keepalive, dead peers, slow consumers, stuck sends.

Every test runs in memory (`FakeRealtime.serve_memory`) under ``autojump_clock``:
with no socket, "all tasks wait" only happens when they wait for time, so the
clock jumps exactly to the next timeout and the assertions on time are exact.
"""

from __future__ import annotations

import base64
import json
from functools import partial

import pytest
import trio
from _realtime_support import FrameCounter, StuckNetwork, realtime, until
from trio.testing import MockClock

from trio_openai import Keepalive, RealtimeConnectionClosed, RealtimeLimits
from trio_openai.testing import FakeRealtime

TEXT = {"output_modalities": ["text"]}


async def test_a_two_hour_session_pings_throughout_and_stays_open(
    autojump_clock: MockClock,
) -> None:
    """A two-hour session sends a ping every interval throughout and stays open."""
    counters: list[FrameCounter] = []

    def count(stream: trio.abc.Stream) -> FrameCounter:
        counters.append(FrameCounter(stream))
        return counters[-1]

    keepalive = Keepalive(interval=20, timeout=10)
    async with realtime(FakeRealtime(), wrap=count, keepalive=keepalive) as conn:
        start = trio.current_time()
        await until(conn, "session.created")
        for _ in range(12):  # a response every 10 minutes for two hours
            await trio.sleep(600)
            await conn.response.create(response=TEXT)
            await until(conn, "response.done")
        assert trio.current_time() - start == pytest.approx(7200)
        assert not conn.closed
    assert 7200 / 20 - 2 <= counters[0].pings <= 7200 / 20 + 1


async def test_a_stalled_server_is_detected_within_interval_plus_timeout(
    autojump_clock: MockClock,
) -> None:
    """A server that stops answering is closed (1006, no pong) within interval plus timeout."""
    fake = FakeRealtime()
    async with realtime(fake, keepalive=Keepalive(interval=20, timeout=10)) as conn:
        await until(conn, "session.created")
        await trio.sleep(3600)  # an hour of healthy pings first
        fake.last_session.stall()
        stalled_at = trio.current_time()
        with pytest.raises(RealtimeConnectionClosed) as info:
            await conn.recv()
        assert 10 <= trio.current_time() - stalled_at <= 20 + 10
        assert info.value.close_code == 1006
        assert "keepalive" in str(info.value).lower() or "pong" in str(info.value)
        with pytest.raises(RealtimeConnectionClosed, match="pong"):
            await conn.response.create()


async def test_a_stall_at_connect_is_detected_too(autojump_clock: MockClock) -> None:
    """A server that stalls right after connecting is detected after interval plus timeout."""
    fake = FakeRealtime()
    fake.add_fault("connect", stall=True)
    async with realtime(fake, keepalive=Keepalive(interval=5, timeout=5)) as conn:
        start = trio.current_time()
        with pytest.raises(RealtimeConnectionClosed):
            await conn.recv()
        assert trio.current_time() - start == pytest.approx(10)


async def test_without_keepalive_a_stalled_server_is_waited_for(autojump_clock: MockClock) -> None:
    """With keepalive=None a stalled server is waited for: the connection stays open."""
    fake = FakeRealtime()
    async with realtime(fake, keepalive=None) as conn:
        await until(conn, "session.created")
        fake.last_session.stall()
        with trio.move_on_after(3600) as scope:
            await conn.recv()
        assert scope.cancelled_caught
        assert not conn.closed


async def test_a_slow_consumer_is_not_mistaken_for_a_dead_server(autojump_clock: MockClock) -> None:
    """A full event queue that the consumer is slow to read does not close the connection."""
    limits = RealtimeLimits(max_queued_events=4)
    async with realtime(
        FakeRealtime(), keepalive=Keepalive(interval=5, timeout=5), limits=limits
    ) as conn:
        for _ in range(3):
            await conn.response.create(response=TEXT)
        await trio.sleep(600)  # the queue is full: the reader (and pongs) wait for us
        assert conn.queued_events == 4
        done = 0
        async for event in conn:
            done += event.type == "response.done"
            if done == 3:
                break
        assert not conn.closed


async def test_a_send_cancelled_mid_frame_is_finished_before_the_cancellation(
    autojump_clock: MockClock,
) -> None:
    """A send cancelled mid-frame finishes its frame first, so the stream stays intact."""
    fake = FakeRealtime()
    networks: list[StuckNetwork] = []

    def stuck(stream: trio.abc.Stream) -> StuckNetwork:
        networks.append(StuckNetwork(stream))
        return networks[-1]

    async with realtime(fake, wrap=stuck) as conn:
        await until(conn, "session.created")
        network = networks[0]
        network.hold = True
        audio = base64.b64encode(bytes(30_000)).decode()

        async def recover() -> None:
            await trio.sleep(5)
            network.released.set()

        async with trio.open_nursery() as nursery:
            nursery.start_soon(recover)
            start = trio.current_time()
            with trio.move_on_after(1) as scope:
                await conn.input_audio_buffer.append(audio=audio)
            assert scope.cancel_called
            assert trio.current_time() - start == pytest.approx(5)  # waited for the frame
        network.hold = False
        await conn.input_audio_buffer.commit()
        assert (await until(conn, "input_audio_buffer.committed"))[-1]
    received = fake.last_session.received
    assert received[0]["audio"] == audio  # intact: the stream never carried half a frame
    assert json.dumps(received[1]).startswith('{"type": "input_audio_buffer.commit"')


@pytest.mark.parametrize("cancelled", [True, False], ids=["cancelled", "not-cancelled"])
async def test_a_send_stuck_past_send_timeout_closes_the_connection(
    cancelled: bool, autojump_clock: MockClock
) -> None:
    """A send stuck for send_timeout closes the connection (1006), cancelled or not."""
    networks: list[StuckNetwork] = []

    def stuck(stream: trio.abc.Stream) -> StuckNetwork:
        networks.append(StuckNetwork(stream))
        return networks[-1]

    limits = RealtimeLimits(send_timeout=10)
    async with realtime(FakeRealtime(), wrap=stuck, limits=limits, keepalive=None) as conn:
        await until(conn, "session.created")
        networks[0].hold = True
        start = trio.current_time()
        if cancelled:
            with trio.move_on_after(1) as scope:
                await conn.input_audio_buffer.append(audio="A" * 30_000)
            assert scope.cancelled_caught
        else:
            with pytest.raises(RealtimeConnectionClosed, match="send_timeout"):
                await conn.input_audio_buffer.append(audio="A" * 30_000)
        assert trio.current_time() - start == pytest.approx(10)
        assert conn.close_code == 1006
        with pytest.raises(RealtimeConnectionClosed, match="send_timeout"):
            await conn.response.create()


async def test_a_send_waiting_for_its_turn_is_cancelled_at_once(autojump_clock: MockClock) -> None:
    """A send queued behind a stuck one is cancelled at once and never goes out."""
    networks: list[StuckNetwork] = []

    def stuck(stream: trio.abc.Stream) -> StuckNetwork:
        networks.append(StuckNetwork(stream))
        return networks[-1]

    fake = FakeRealtime()
    async with realtime(fake, wrap=stuck, keepalive=None) as conn:
        await until(conn, "session.created")
        networks[0].hold = True
        async with trio.open_nursery() as nursery:
            nursery.start_soon(partial(conn.input_audio_buffer.append, audio="A" * 30_000))
            await trio.sleep(1)  # the first send now holds the connection
            with trio.move_on_after(1) as scope:
                await conn.response.create()  # waits its turn: cancellable
            assert scope.cancelled_caught
            networks[0].released.set()
        await conn.output_audio_buffer.clear()
        await until(conn, "output_audio_buffer.cleared")
    assert fake.last_session.received_types() == [
        "input_audio_buffer.append",
        "output_audio_buffer.clear",
    ]


async def test_a_slow_server_reply_keeps_the_connection_alive(autojump_clock: MockClock) -> None:
    """A reply two minutes late does not close a connection whose pongs still flow."""
    fake = FakeRealtime()
    fake.add_fault("response.create", delay=120)  # two minutes to answer, pongs still flowing
    async with realtime(fake, keepalive=Keepalive(interval=5, timeout=5)) as conn:
        await until(conn, "session.created")
        start = trio.current_time()
        await conn.response.create(response=TEXT)
        await until(conn, "response.done")
        assert trio.current_time() - start == pytest.approx(120)
        assert not conn.closed
