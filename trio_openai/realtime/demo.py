"""A Realtime round trip with audio: ``python -m trio_openai.realtime.demo``.

It sends a short recording through a Realtime session and writes the spoken
reply to a WAV file:

1. the input is a generated 440 Hz tone, or with ``--say TEXT`` speech from
   ``espeak-ng`` (when installed; the tone otherwise), resampled to 24 kHz PCM16;
2. ``session.update`` (audio in and out, no server VAD), the audio in 1-second
   ``input_audio_buffer.append`` events, ``input_audio_buffer.commit``,
   ``response.create``;
3. the reply's ``response.output_audio.delta`` events are gathered
   (`AudioCollector`) and written to ``--out`` (default ``realtime-reply.wav``).

By default it runs against the embedded fake server (`trio_openai.testing.FakeRealtime`,
which echoes the audio back). With ``--live`` it talks to the real API
(``OPENAI_API_KEY``, ``OPENAI_BASE_URL``): that costs money.

`run_demo` is the reusable part (the CLI may call it with any client).
"""

from __future__ import annotations

import argparse
import shutil
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import attrs
import trio

from ._audio import DEFAULT_SAMPLE_RATE, AudioCollector, read_wav, resample_pcm16, tone

if TYPE_CHECKING:
    from .._client import Client

__all__ = ["DemoResult", "main", "run_demo", "speech"]


@attrs.frozen(kw_only=True)
class DemoResult:
    """What a demo round trip did.

    Attributes:
        sent_seconds: Audio sent.
        received_seconds: Audio received.
        transcript: The reply's transcript (or text).
        path: The WAV file written.
        events: How many server events arrived.
    """

    sent_seconds: float
    received_seconds: float
    transcript: str
    path: Path
    events: int


def _say(text: str) -> None:
    sys.stdout.write(text + "\n")
    sys.stdout.flush()


async def speech(text: str) -> bytes | None:
    """*text* spoken by ``espeak-ng`` as 24 kHz PCM16, or None if it is not installed.

    Args:
        text: What to say.

    Raises:
        subprocess.CalledProcessError: espeak-ng failed.
    """
    if shutil.which("espeak-ng") is None:
        return None
    done = await trio.run_process(["espeak-ng", "--stdout", text], capture_stdout=True)
    pcm, rate = read_wav(done.stdout)
    return resample_pcm16(pcm, rate, DEFAULT_SAMPLE_RATE)


async def run_demo(
    client: Client,
    audio: bytes,
    out: str | Path,
    *,
    model: str = "gpt-realtime",
    say: Callable[[str], None] = _say,
) -> DemoResult:
    """Send *audio* (24 kHz PCM16) through a Realtime session; write the reply to *out*.

    Args:
        client: An open client.
        audio: The user's audio.
        out: The WAV file for the reply.
        model: The Realtime model.
        say: Where progress lines go.

    Raises:
        APIError: The connection failed, or the server sent an ``error`` event.
        OSError: The WAV file cannot be written.
    """
    from .._errors import APIStreamError
    from ..types.realtime import (
        RealtimeServerEventError,
        RealtimeServerEventResponseAudioTranscriptDelta,
        RealtimeServerEventResponseDone,
    )

    collector = AudioCollector()
    transcript: list[str] = []
    count = 0
    pcm = {"type": "audio/pcm", "rate": DEFAULT_SAMPLE_RATE}
    async with client.realtime.connect(model=model) as conn:
        say(f"Connected: {conn.url.split('?', 1)[0]}")
        await conn.session.update(
            session={
                "type": "realtime",
                "output_modalities": ["audio"],
                "audio": {
                    "input": {"format": pcm, "turn_detection": None},
                    "output": {"format": pcm},
                },
            }
        )
        sent = await conn.input_audio_buffer.append_pcm16(audio)
        say(f"Sent {sent / (2 * DEFAULT_SAMPLE_RATE):.2f} s of audio")
        await conn.input_audio_buffer.commit()
        await conn.response.create()
        async for event in conn:
            count += 1
            collector.feed(event)
            # `match` (or isinstance) narrows the type for a type checker; comparing
            # `event.type` works as well at run time.
            match event:
                case RealtimeServerEventResponseAudioTranscriptDelta(delta=delta):
                    transcript.append(delta)
                case RealtimeServerEventError(error=error):
                    source = conn.sent_event(error.event_id)
                    about = f" (about {source.type})" if source is not None else ""
                    msg = f"The server sent an error{about}: {error.message}"
                    raise APIStreamError(msg, body=event.to_dict())
                case RealtimeServerEventResponseDone():
                    break
    await collector.save_wav(out)
    text = "".join(transcript)
    say(f"Received {collector.seconds:.2f} s of audio in {count} events: {text!r}")
    say(f"Wrote {out}")
    return DemoResult(
        sent_seconds=sent / (2 * DEFAULT_SAMPLE_RATE),
        received_seconds=collector.seconds,
        transcript=text,
        path=Path(out),
        events=count,
    )


async def _main(args: argparse.Namespace) -> DemoResult:
    from .._client import open_client

    audio = await speech(args.say) if args.say else None
    if audio is None:
        if args.say:
            _say("espeak-ng is not installed: sending a tone instead")
        audio = tone(440.0, 1.0)
    if args.live:
        async with open_client() as client:
            return await run_demo(client, audio, args.out, model=args.model)
    from ..testing import FakeRealtime

    _say("Target: the embedded fake Realtime server (it echoes the audio)")
    async with FakeRealtime().client() as client:
        return await run_demo(client, audio, args.out, model=args.model)


def main(argv: list[str] | None = None) -> int:
    """Run the demo from the command line; return the exit code.

    Args:
        argv: The arguments (default: ``sys.argv[1:]``).
    """
    parser = argparse.ArgumentParser(
        prog="python -m trio_openai.realtime.demo", description=__doc__.split("\n", 1)[0]
    )
    parser.add_argument("--out", default="realtime-reply.wav", help="the WAV file to write")
    parser.add_argument("--say", default=None, help="speak this with espeak-ng instead of a tone")
    parser.add_argument("--model", default="gpt-realtime", help="the Realtime model")
    parser.add_argument("--live", action="store_true", help="use the real API (costs money)")
    args = parser.parse_args(argv)
    trio.run(_main, args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
