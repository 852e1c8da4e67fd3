"""The Realtime connection against the fake server: events, sending, closing, errors."""

from __future__ import annotations

import base64
import json
import logging

import pytest
import trio
from _realtime_support import realtime, until

import trio_openai
from trio_openai import RealtimeConnectionClosed
from trio_openai.realtime import AudioCollector, RealtimeLimits, tone
from trio_openai.testing import FakeRealtime
from trio_openai.types import UnknownObject
from trio_openai.types.realtime import (
    RealtimeClientEventResponseCreate,
    RealtimeServerEventError,
    RealtimeServerEventResponseTextDelta,
    RealtimeServerEventSessionCreated,
)

TEXT = {"output_modalities": ["text"]}


def user_text(text: str) -> dict[str, object]:
    return {"type": "message", "role": "user", "content": [{"type": "input_text", "text": text}]}


@pytest.mark.parametrize("memory", [True, False], ids=["memory", "tcp"])
async def test_the_issue_example_streams_typed_text_deltas(memory: bool) -> None:
    """The issue's example streams typed text deltas, in memory or over TCP, with model and key."""
    fake = FakeRealtime()
    async with realtime(fake, memory=memory) as conn:
        await conn.session.update(session={"type": "realtime", "instructions": "Be brief.", **TEXT})
        await conn.conversation.item.create(item=user_text("Hello there"))
        await conn.response.create()
        text = ""
        async for event in conn:
            if event.type == "response.output_text.delta":
                assert isinstance(event, RealtimeServerEventResponseTextDelta)
                text += event.delta
            elif event.type == "response.done":
                break
    assert text == "Hello there"
    session = fake.last_session
    assert session.received_types() == [
        "session.update",
        "conversation.item.create",
        "response.create",
    ]
    assert session.query == {"model": "gpt-realtime"}
    assert session.headers["authorization"] == "Bearer sk-fake"


async def test_every_default_reply_decodes_into_a_known_event_type() -> None:
    """Every event the fake answers with by default decodes into its typed class, none unknown."""
    fake = FakeRealtime()
    async with realtime(fake) as conn:
        await conn.conversation.item.create(item=user_text("hi"))
        await conn.input_audio_buffer.append_pcm16(tone(seconds=0.2))
        await conn.input_audio_buffer.commit()
        await conn.input_audio_buffer.clear()
        await conn.response.create(response=TEXT)
        events = await until(conn, "response.done")
        await conn.response.create()  # audio
        events += await until(conn, "response.done")
        item_id = conn.state.last_item_id
        assert item_id is not None
        await conn.conversation.item.retrieve(item_id=item_id)
        await conn.conversation.item.truncate(item_id=item_id, content_index=0, audio_end_ms=10)
        await conn.conversation.item.delete(item_id=item_id)
        await conn.output_audio_buffer.clear()
        await conn.response.cancel()
        events += await until(conn, "error")
    unknown = [e for e in events if isinstance(e, UnknownObject)]
    assert unknown == []
    assert isinstance(events[0], RealtimeServerEventSessionCreated)
    assert {e.type for e in events} >= {
        "conversation.item.added",
        "conversation.item.done",
        "input_audio_buffer.committed",
        "input_audio_buffer.cleared",
        "response.output_audio.delta",
        "response.output_audio_transcript.done",
        "conversation.item.retrieved",
        "conversation.item.truncated",
        "conversation.item.deleted",
        "output_audio_buffer.cleared",
    }


async def test_send_takes_dicts_and_models_and_gives_every_event_an_id() -> None:
    """`send` takes dicts or models, each given an event id unless it has one; non-events fail."""
    fake = FakeRealtime()
    async with realtime(fake) as conn:
        first = await conn.send({"type": "response.create", "response": TEXT})
        second = await conn.send(RealtimeClientEventResponseCreate(type="response.create"))
        mine = await conn.send({"type": "response.create", "event_id": "evt_mine"})
        assert mine == "evt_mine"
        with pytest.raises(TypeError, match='"type"'):
            await conn.send({"no": "type"})
        with pytest.raises(TypeError, match="mapping"):
            await conn.send(["response.create"])  # type: ignore[arg-type]
        assert isinstance(await conn.recv(), RealtimeServerEventSessionCreated)
    ids = [e["event_id"] for e in fake.last_session.received]
    assert ids == [first, second, "evt_mine"]
    assert first != second
    assert first.startswith("evt_")
    assert fake.last_session.received[0]["response"] == TEXT


async def test_unknown_misfit_and_non_json_events_arrive_as_unknown_objects(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Unknown, misfitting and non-JSON events arrive as UnknownObjects; a misfit is logged."""
    fake = FakeRealtime()
    future = {"type": "response.future_event", "detail": {"x": 1}}
    misfit = {
        "type": "response.output_text.delta",
        "delta": 5,
        "response_id": "r",
        "item_id": "i",
        "output_index": 0,
        "content_index": 0,
    }
    fake.add_reply("response.create", [future, misfit])
    async with realtime(fake) as conn:
        await until(conn, "session.created")
        with caplog.at_level(logging.WARNING, logger="trio_openai"):
            await conn.response.create()
            events = [await conn.recv() for _ in range(2)]
            await fake.last_session.send_raw("not json")
            await fake.last_session.send_raw(b"\x00\xff")
            events += [await conn.recv() for _ in range(2)]
    assert all(isinstance(e, UnknownObject) for e in events)
    assert events[0].type == "response.future_event"
    assert events[0].data["detail"] == {"x": 1}
    assert events[1].type == "response.output_text.delta"
    assert events[2].data == {"raw": "not json"}
    assert events[3].data == {"raw": b"\x00\xff"}
    assert "$.delta" in caplog.text


async def test_an_error_event_points_back_to_the_event_that_caused_it() -> None:
    """`sent_event` finds the event an error names; sent audio is kept only as its size."""
    fake = FakeRealtime()
    async with realtime(fake) as conn:
        await until(conn, "session.created")
        bad = await conn.conversation.item.retrieve(item_id="item_nope")
        append = await conn.input_audio_buffer.append(audio="!!not base64!!")
        errors = [await conn.recv(), await conn.recv()]
        assert all(isinstance(e, RealtimeServerEventError) for e in errors)
        first = errors[0]
        assert isinstance(first, RealtimeServerEventError)
        assert first.error.code == "item_not_found"
        assert first.error.event_id == bad
        sent = conn.sent_event(first.error.event_id)
        assert sent is not None
        assert sent.type == "conversation.item.retrieve"
        assert sent.data["item_id"] == "item_nope"
        assert conn.state.last_error is errors[1]
        # Audio is not kept, only its size.
        audio = conn.sent_event(append)
        assert audio is not None
        assert audio.data["audio"] == "<14 base64 characters>"
        assert conn.sent_event(None) is None
        assert conn.sent_event("evt_unknown") is None


async def test_the_sent_events_memory_is_bounded() -> None:
    """Only the last `sent_events_kept` sent events are remembered."""
    async with realtime(FakeRealtime(), limits=RealtimeLimits(sent_events_kept=3)) as conn:
        ids = [await conn.output_audio_buffer.clear() for _ in range(5)]
        assert [conn.sent_event(i) is not None for i in ids] == [False, False, True, True, True]


async def test_session_state_follows_the_session() -> None:
    """`state` merges session updates and follows items, responses and event counts."""
    fake = FakeRealtime()
    async with realtime(fake) as conn:
        await conn.session.update(session={"type": "realtime", "audio": {"output": {"voice": "x"}}})
        await conn.session.update(session={"audio": {"input": {"turn_detection": None}}, **TEXT})
        first = await conn.conversation.item.create(item=user_text("one"))
        await conn.conversation.item.create(item=user_text("two"))
        await conn.response.create()
        await until(conn, "response.done")
        state = conn.state
        assert first
        assert state.session_config == {
            "type": "realtime",
            "audio": {"output": {"voice": "x"}, "input": {"turn_detection": None}},
            "output_modalities": ["text"],
        }
        assert state.session is not None
        assert state.session.output_modalities == ["text"]
        assert len(state.item_ids) == 3
        assert state.last_response_id is not None
        assert state.response_id is None
        await conn.conversation.item.delete(item_id=state.item_ids[-1])
        await until(conn, "conversation.item.deleted")
        assert len(state.item_ids) == 2
        assert state.last_item_id == state.item_ids[-1]
        assert state.events_sent == 6
        assert state.events_received > 10


async def test_a_receive_can_be_cancelled_and_the_connection_stays_usable(
    autojump_clock: trio.abc.Clock,
) -> None:
    """A cancelled `recv` leaves the connection open and usable."""
    async with realtime(FakeRealtime()) as conn:
        await until(conn, "session.created")
        with trio.move_on_after(30) as scope:
            await conn.recv()
        assert scope.cancelled_caught
        await conn.response.create(response=TEXT)
        assert (await until(conn, "response.done"))[-1].type == "response.done"
        assert not conn.closed


async def test_concurrent_sender_and_receiver_tasks_share_one_connection() -> None:
    """A sender and a receiver task share one connection; the echoed audio comes back whole."""
    audio = tone(330.0, 2.0)
    collector = AudioCollector()
    async with realtime(FakeRealtime()) as conn:

        async def sender() -> None:
            frames = (audio[i : i + 960] for i in range(0, len(audio), 960))  # 20 ms frames
            assert await conn.input_audio_buffer.append_pcm16(frames) == len(audio)
            await conn.input_audio_buffer.commit()
            await conn.response.create()

        async def receiver() -> None:
            async for event in conn:
                collector.feed(event)
                if event.type == "response.done":
                    return

        async with trio.open_nursery() as nursery:
            nursery.start_soon(receiver)
            nursery.start_soon(sender)
    assert collector.pcm == audio  # the fake echoes the committed audio


async def test_messages_over_one_mib_pass_both_ways() -> None:
    """Messages over 1 MiB go out and come in intact."""
    fake = FakeRealtime()
    big = tone(200.0, 12.0)  # 576 kB of PCM, 768 kB of base64 in one event... twice
    async with realtime(fake) as conn:
        await until(conn, "session.created")
        await conn.input_audio_buffer.append_pcm16(big + big, chunk_seconds=24.0)
        delta = base64.b64encode(bytes(2 * 1024 * 1024)).decode()
        await fake.last_session.send(
            {
                "type": "response.output_audio.delta",
                "response_id": "r",
                "item_id": "i",
                "output_index": 0,
                "content_index": 0,
                "delta": delta,
            }
        )
        event = await conn.recv()
        assert event.type == "response.output_audio.delta"
        assert len(event.delta) == len(delta)  # type: ignore[union-attr]
    sent = fake.last_session.received[0]["audio"]
    assert len(sent) > 1024 * 1024
    assert base64.b64decode(sent) == big + big


async def test_a_message_over_the_limit_closes_with_1009_and_says_which_limit() -> None:
    """A message over `max_message_size` closes with 1009, the error naming the limit."""
    fake = FakeRealtime()
    fake.add_fault("response.create", oversized=2 * 1024 * 1024)
    limits = RealtimeLimits(max_message_size=1024 * 1024)
    async with realtime(fake, limits=limits) as conn:
        await conn.response.create()
        with pytest.raises(RealtimeConnectionClosed) as info:
            async for _ in conn:
                pass
    assert info.value.close_code == 1009
    assert "max_message_size" in str(info.value)
    assert conn.close_code == 1009


@pytest.mark.parametrize("how", ["normal", "exception", "cancelled"])
async def test_leaving_the_block_closes_with_code_1000(how: str, nursery: trio.Nursery) -> None:
    """Leaving the block normally, by exception or by cancellation closes with 1000."""
    fake = FakeRealtime()
    caught: list[BaseException] = []
    with trio.CancelScope() as scope:
        try:
            async with realtime(fake, server_nursery=nursery) as conn:
                await until(conn, "session.created")
                if how == "exception":
                    raise KeyError("boom")
                if how == "cancelled":
                    scope.cancel()
                    await trio.sleep_forever()
        except KeyError as exc:  # as itself, not in an ExceptionGroup
            caught.append(exc)
    assert scope.cancelled_caught == (how == "cancelled")
    assert [type(e) for e in caught] == ([KeyError] if how == "exception" else [])
    with trio.fail_after(5):
        await fake.last_session.ended.wait()
    assert fake.last_session.close_code == 1000
    assert conn.closed
    with pytest.raises(RealtimeConnectionClosed, match="client closed"):
        await conn.response.create()


async def test_close_sends_the_code_and_reason_given() -> None:
    """`close(code, reason)` sends them to the server, twice is harmless, and recv then raises."""
    fake = FakeRealtime()
    async with realtime(fake) as conn:
        await conn.close(4000, "bye")
        await conn.close()  # idempotent
        with pytest.raises(RealtimeConnectionClosed) as info:
            await conn.recv()
        assert info.value.close_code == 4000
        with trio.fail_after(5):
            await fake.last_session.ended.wait()
    assert (fake.last_session.close_code, fake.last_session.close_reason) == (4000, "bye")


async def test_a_clean_close_by_the_server_ends_the_loop_quietly() -> None:
    """A 1000 close by the server ends `async for` quietly; a later `recv` raises, clean."""
    fake = FakeRealtime()
    fake.add_fault("response.create", close=1000)
    async with realtime(fake) as conn:
        await conn.response.create()
        events = [event async for event in conn]
        assert [e.type for e in events] == ["session.created"]
        with pytest.raises(RealtimeConnectionClosed) as info:
            await conn.recv()
        assert info.value.clean


@pytest.mark.parametrize(
    ("fault", "code"),
    [({"close": 4001, "reason": "session expired"}, 4001), ({"drop": True}, 1006)],
    ids=["close-4001", "drop"],
)
async def test_an_abnormal_close_raises_with_its_code(fault: dict[str, object], code: int) -> None:
    """A 4001 close or a dropped socket raises a not-clean close with its code; sends fail after."""
    fake = FakeRealtime()
    fake.add_fault("response.create", **fault)  # type: ignore[arg-type]
    async with realtime(fake) as conn:
        await conn.response.create()
        with pytest.raises(RealtimeConnectionClosed) as info:
            async for _ in conn:
                pass
        assert info.value.close_code == code
        assert not info.value.clean
        assert isinstance(info.value, trio_openai.APIConnectionError)
        with pytest.raises(RealtimeConnectionClosed):
            await conn.response.create()
    if code == 4001:
        assert info.value.close_reason == "session expired"


async def test_events_received_before_a_close_are_still_delivered() -> None:
    """Events that arrived before the server closed are delivered before the close is raised."""
    fake = FakeRealtime()
    fake.add_reply("response.create", [{"type": "rate_limits.updated", "rate_limits": []}])
    fake.add_fault("output_audio_buffer.clear", close=4002)
    async with realtime(fake) as conn:
        await conn.response.create()
        await conn.output_audio_buffer.clear()
        with trio.fail_after(5):
            await fake.last_session.ended.wait()
        types = [(await conn.recv()).type, (await conn.recv()).type]
        with pytest.raises(RealtimeConnectionClosed):
            await conn.recv()
    assert types == ["session.created", "rate_limits.updated"]


async def test_the_beta_api_sends_its_header_and_decodes_beta_events() -> None:
    """`client.beta.realtime` sends `openai-beta: realtime=v1` and decodes beta event types."""
    from trio_openai.types.realtime import RealtimeBetaServerEventConversationItemCreated

    fake = FakeRealtime()
    async with trio.open_nursery() as nursery:
        base_url = await nursery.start(fake.serve)
        async with (
            trio_openai.open_client(api_key="sk-fake", base_url=base_url) as client,
            client.beta.realtime.connect(model="gpt-4o-realtime-preview") as conn,
        ):
            assert type(conn).__name__ == "BetaRealtimeConnection"
            await conn.conversation.item.create(item=user_text("hi"))
            events = await until(conn, "conversation.item.created")
        nursery.cancel_scope.cancel()
    assert isinstance(events[-1], RealtimeBetaServerEventConversationItemCreated)
    assert fake.last_session.headers["openai-beta"] == "realtime=v1"


async def test_scripted_replies_can_add_to_the_default_reply() -> None:
    """`replace=False` adds a reply before session.created; a `*` reply answers any event."""
    fake = FakeRealtime()
    fake.add_reply("connect", [{"type": "rate_limits.updated", "rate_limits": []}], replace=False)
    fake.add_reply("*", [{"type": "rate_limits.updated", "rate_limits": []}], times=None)
    async with realtime(fake) as conn:
        await conn.input_audio_buffer.clear()
        events = await until(conn, "rate_limits.updated")
        events += await until(conn, "rate_limits.updated")
    assert [e.type for e in events] == [
        "rate_limits.updated",
        "session.created",
        "rate_limits.updated",
    ]
    assert json.loads(json.dumps(fake.last_session.received)) == fake.last_session.received
