"""``trio-openai realtime``: lines from stdin in, text replies out, against `FakeRealtime`."""

from __future__ import annotations

import io
import json

import pytest
import trio

from trio_openai._cli import StringInput, run
from trio_openai.testing import FakeRealtime


@pytest.fixture(autouse=True)
def _key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-dummy-realtime-key")


async def realtime_cli(
    fake: FakeRealtime, nursery: trio.Nursery, *argv: str, stdin: str
) -> tuple[int, str, str]:
    base_url = await nursery.start(fake.serve)
    out, err = io.StringIO(), io.StringIO()
    code = await run(
        ["--base-url", base_url, *argv, "realtime"],
        stdout=out,
        stderr=err,
        stdin=StringInput(stdin),
    )
    return code, out.getvalue(), err.getvalue()


async def test_each_line_is_a_turn_whose_text_reply_is_printed(nursery: trio.Nursery) -> None:
    """Each non-blank stdin line is a text turn, its reply printed; end of input closes (1000)."""
    fake = FakeRealtime()
    code, out, _ = await realtime_cli(fake, nursery, stdin="hello there\n\nsecond line\n")
    session = fake.last_session
    assert (code, out) == (0, "hello there\nsecond line\n")  # the fake echoes; blank line skipped
    assert session.received_types() == [
        "session.update",
        *["conversation.item.create", "response.create"] * 2,
    ]
    assert session.received[0]["session"]["output_modalities"] == ["text"]
    assert session.close_code == 1000  # the end of the input closes the session cleanly


async def test_json_writes_every_server_event_as_a_json_line(nursery: trio.Nursery) -> None:
    """`--json realtime` writes every server event as a JSON line, up to response.done."""
    fake = FakeRealtime()
    code, out, _ = await realtime_cli(fake, nursery, "--json", stdin="hi\n")
    types = [json.loads(line)["type"] for line in out.splitlines()]
    assert code == 0
    assert types[0] == "session.created"
    assert "response.output_text.delta" in types
    assert types[-1] == "response.done"


async def test_a_failed_response_is_reported_and_exits_1(nursery: trio.Nursery) -> None:
    """A failed response is reported and the run exits 1, but the later turns are still sent."""
    fake = FakeRealtime()
    done = {
        "type": "response.done",
        "response": {
            "id": "resp_1",
            "object": "realtime.response",
            "status": "failed",
            "status_details": {
                "type": "failed",
                "error": {"type": "server_error", "code": "overloaded"},
            },
            "output": [],
        },
    }
    fake.add_reply("response.create", [done])
    code, _, err = await realtime_cli(fake, nursery, stdin="hi\nagain\n")
    assert code == 1
    assert err == "trio-openai: error: the response ended failed: overloaded\n"
    assert fake.last_session.received_types().count("response.create") == 2  # the session goes on


async def test_a_refused_connection_exits_1(nursery: trio.Nursery) -> None:
    """A 401 on connect exits 1 with the status and without the key."""
    fake = FakeRealtime()
    fake.add_fault("connect", reject=401)
    code, _, err = await realtime_cli(fake, nursery, stdin="hi\n")
    assert code == 1
    assert err.startswith("trio-openai: error: 401")
    assert "sk-dummy-realtime-key" not in err


async def test_a_session_closed_by_the_server_mid_turn_exits_1(nursery: trio.Nursery) -> None:
    """A session the server closes mid-turn exits 1 with the close reason."""
    fake = FakeRealtime()
    fake.add_fault("response.create", close=4001, reason="session expired")
    code, _, err = await realtime_cli(fake, nursery, stdin="hi\n")
    assert code == 1
    assert "session expired" in err
