"""PCM16 helpers (chunking, base64, WAV, tones, resampling) and the audio demo."""

from __future__ import annotations

import base64
import io
import os
import wave
from pathlib import Path

import pytest
import trio

from trio_openai.realtime import (
    MAX_APPEND_BYTES,
    AudioCollector,
    PCM16Chunker,
    read_wav,
    resample_pcm16,
    tone,
    wav_bytes,
)
from trio_openai.realtime._audio import encode_base64
from trio_openai.realtime.demo import run_demo, speech
from trio_openai.testing import FakeRealtime
from trio_openai.types import UnknownObject


def test_a_tone_has_the_right_length_and_level() -> None:
    """`tone` gives PCM16 of the asked duration whose peak is the asked amplitude."""
    pcm = tone(440.0, 0.5, sample_rate=24_000, amplitude=0.5)
    assert len(pcm) == 24_000
    samples = memoryview(pcm).cast("h")
    assert max(samples) == pytest.approx(16383, abs=2)


@pytest.mark.parametrize("frame", [1, 7, 960, 48_000, 100_001])
def test_the_chunker_cuts_frames_of_any_size_into_whole_chunks(frame: int) -> None:
    """Frames of any size come out as chunks of `chunk_seconds`, then the rest, bytes intact."""
    audio = tone(seconds=2.5)
    chunker = PCM16Chunker(chunk_seconds=1.0)
    chunks = []
    for i in range(0, len(audio), frame):
        chunks += chunker.feed(audio[i : i + frame])
    chunks += chunker.flush()
    assert [len(c) for c in chunks] == [48_000, 48_000, 24_000]
    assert b"".join(bytes(c) for c in chunks) == audio


def test_the_chunker_refuses_half_samples_and_oversized_chunks() -> None:
    """The chunker refuses an odd byte left over, and chunk sizes past 15 MiB or too small."""
    chunker = PCM16Chunker(chunk_seconds=1.0)
    chunker.feed(b"\x00\x01\x02")
    with pytest.raises(ValueError, match="half a sample"):
        chunker.flush()
    with pytest.raises(ValueError, match="15 MiB"):
        PCM16Chunker(chunk_seconds=300.0)
    with pytest.raises(ValueError, match="between 2"):
        PCM16Chunker(chunk_seconds=0.0)
    assert MAX_APPEND_BYTES // 3 * 4 <= 15 * 1024 * 1024


def test_base64_matches_the_standard_library() -> None:
    """`encode_base64` of a memoryview slice equals `base64.b64encode`."""
    data = tone(seconds=0.1)
    assert encode_base64(memoryview(data)[10:1000]) == base64.b64encode(data[10:1000]).decode()


def test_the_collector_keeps_audio_deltas_only() -> None:
    """AudioCollector keeps GA and beta audio deltas only, counts their seconds and clears."""
    pcm = tone(seconds=0.2)
    collector = AudioCollector()
    delta = {"type": "response.output_audio.delta", "delta": base64.b64encode(pcm[:4800]).decode()}
    assert collector.feed(delta)
    assert not collector.feed({"type": "response.output_text.delta", "delta": "hi"})
    beta = UnknownObject(type="response.audio.delta", data={})
    assert not collector.feed(beta)  # no delta attribute
    collector.feed({"type": "response.audio.delta", "delta": base64.b64encode(pcm[4800:]).decode()})
    assert collector.pcm == pcm
    assert collector.seconds == pytest.approx(0.2)
    collector.clear()
    assert collector.pcm == b""


async def test_wav_files_round_trip(tmp_path: Path) -> None:
    """Audio saved as WAV (async or not) reads back the same; `wav_bytes` writes mono 16-bit."""
    pcm = tone(seconds=0.3)
    collector = AudioCollector()
    collector.feed({"type": "response.output_audio.delta", "delta": base64.b64encode(pcm).decode()})
    await collector.save_wav(tmp_path / "a.wav")
    collector.write_wav(tmp_path / "b.wav")
    for name in ("a.wav", "b.wav"):
        assert read_wav(tmp_path / name) == (pcm, 24_000)
    with wave.open(io.BytesIO(wav_bytes(pcm, 16_000))) as wav:
        assert (wav.getnchannels(), wav.getsampwidth(), wav.getframerate()) == (1, 2, 16_000)


def test_stereo_and_other_widths() -> None:
    """`read_wav` mixes stereo down to mono and refuses samples that are not 16-bit."""
    out = io.BytesIO()
    with wave.open(out, "wb") as wav:
        wav.setnchannels(2)
        wav.setsampwidth(2)
        wav.setframerate(8000)
        wav.writeframes(b"\x10\x00\x30\x00" * 4)  # left 16, right 48
    assert read_wav(out.getvalue()) == (b"\x20\x00" * 4, 8000)
    out = io.BytesIO()
    with wave.open(out, "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(1)
        wav.setframerate(8000)
        wav.writeframes(b"\x80" * 4)
    with pytest.raises(ValueError, match="16-bit"):
        read_wav(out.getvalue())


def test_resampling_keeps_duration_and_shape() -> None:
    """Resampling keeps the duration and stays close to the tone made at the new rate."""
    pcm = tone(300.0, 1.0, sample_rate=22_050)
    out = resample_pcm16(pcm, 22_050, 24_000)
    assert len(out) == 2 * 24_000
    assert resample_pcm16(pcm, 22_050, 22_050) == pcm
    assert resample_pcm16(b"", 8000, 24_000) == b""
    expected = memoryview(tone(300.0, 1.0, sample_rate=24_000)).cast("h")
    got = memoryview(out).cast("h")
    assert max(abs(a - b) for a, b in zip(got, expected, strict=True)) < 200


async def test_append_pcm16_takes_bytes_iterables_and_async_iterables() -> None:
    """`append_pcm16` sends bytes, iterables or async iterables whole; half samples fail."""
    from _realtime_support import realtime

    audio = tone(seconds=1.5)

    async def frames() -> object:
        for i in range(0, len(audio), 4800):
            yield audio[i : i + 4800]
            await trio.lowlevel.checkpoint()

    fake = FakeRealtime()
    async with realtime(fake) as conn:
        assert await conn.input_audio_buffer.append_pcm16(audio) == len(audio)
        assert await conn.input_audio_buffer.append_pcm16(iter([audio[:3], audio[3:]])) == len(
            audio
        )
        assert await conn.input_audio_buffer.append_pcm16(frames()) == len(audio)  # type: ignore[arg-type]
        with pytest.raises(ValueError, match="half a sample"):
            await conn.input_audio_buffer.append_pcm16(b"\x00")
    appends = [e["audio"] for e in fake.last_session.received]
    assert len(appends) == 6  # 1 s + 0.5 s, three times
    assert b"".join(base64.b64decode(a) for a in appends) == audio * 3


async def test_the_demo_echoes_a_tone_into_a_wav_file(tmp_path: Path) -> None:
    """The demo sends a tone to the fake and writes the echoed audio to a WAV file."""
    lines: list[str] = []
    audio = tone(seconds=1.0)
    async with FakeRealtime().client() as client:
        result = await run_demo(client, audio, tmp_path / "reply.wav", say=lines.append)
    assert result.sent_seconds == pytest.approx(1.0)
    assert result.received_seconds == pytest.approx(1.0)
    assert read_wav(tmp_path / "reply.wav") == (audio, 24_000)
    assert result.transcript == "(1.00 s of audio)"
    assert any("Wrote" in line for line in lines)


async def test_speech_uses_espeak_when_installed() -> None:
    """With espeak-ng installed, `speech` returns more than half a second of audio."""
    pcm = await speech("hello")
    if pcm is None:
        msg = "espeak-ng is not installed (apt-get install espeak-ng; .ci/run installs it)"
        if os.environ.get("CI") == "true":
            pytest.fail(msg + ": under CI the speech path must run")
        pytest.skip(msg)
    assert len(pcm) > 24_000  # more than half a second at 24 kHz
