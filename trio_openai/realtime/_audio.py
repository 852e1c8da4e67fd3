"""PCM16 audio for the Realtime API, without NumPy: chunking, base64, WAV, test tones.

The GA API's raw audio format (``audio/pcm``) is 16-bit little-endian mono at
24 kHz: 48,000 bytes per second. Decisions:

- **Chunks.** `PCM16Chunker` cuts audio from frames of any size into chunks of
  a fixed duration (default 1 s), each sent as one ``input_audio_buffer.append``
  event. Big enough that per-event overhead is negligible, small enough that
  cancelling stops within a second of audio and that a ping never waits long
  behind audio. One event may carry at most 15 MiB of base64 (the API's cap):
  about 11.8 MB of PCM, 245 s at 24 kHz.
- **Base64 once, fast.** Each chunk is encoded once with ``binascii`` (C code), and
  the event's JSON is assembled around it by hand: no JSON encoder walks the audio.
  Slices of a large buffer are encoded from ``memoryview`` slices, without copies.
- **Output audio.** `AudioCollector` gathers the ``response.output_audio.delta``
  events of a response into PCM bytes, or a WAV file (stdlib ``wave``).
"""

from __future__ import annotations

import binascii
import io
import math
import os
import struct
import sys
import wave
from array import array
from typing import Any, Final

__all__ = [
    "AudioCollector",
    "DEFAULT_SAMPLE_RATE",
    "MAX_APPEND_BYTES",
    "PCM16Chunker",
    "encode_base64",
    "read_wav",
    "resample_pcm16",
    "tone",
    "wav_bytes",
]

DEFAULT_SAMPLE_RATE: Final = 24_000
"""The GA Realtime API's PCM sample rate (Hz)."""

MAX_APPEND_BYTES: Final = (15 * 1024 * 1024) // 4 * 3
"""The most PCM bytes one ``input_audio_buffer.append`` may carry (15 MiB of base64)."""

_AUDIO_DELTAS: Final = frozenset({"response.output_audio.delta", "response.audio.delta"})

Buffer = bytes | bytearray | memoryview


def encode_base64(chunk: Buffer) -> str:
    """Base64 text of *chunk* (no newline)."""
    return binascii.b2a_base64(chunk, newline=False).decode("ascii")


class PCM16Chunker:
    """Cuts PCM16 frames of any size into chunks of a fixed duration.

    Args:
        chunk_seconds: The duration of each chunk.
        sample_rate: Samples per second (mono, 2 bytes each).

    Attributes:
        size: Bytes per chunk.

    Raises:
        ValueError: A chunk would be empty or larger than `MAX_APPEND_BYTES`.
    """

    __slots__ = ("_pending", "size")

    def __init__(self, *, chunk_seconds: float, sample_rate: int = DEFAULT_SAMPLE_RATE) -> None:
        size = 2 * round(chunk_seconds * sample_rate)
        if not 2 <= size <= MAX_APPEND_BYTES:
            msg = (
                f"chunk_seconds={chunk_seconds} at {sample_rate} Hz gives {size} bytes per event; "
                f"it must be between 2 and {MAX_APPEND_BYTES} (15 MiB of base64)"
            )
            raise ValueError(msg)
        self.size = size
        self._pending = bytearray()

    def feed(self, frame: Buffer) -> list[Buffer]:
        """The complete chunks *frame* makes, with what was pending before it."""
        view = memoryview(frame).cast("B")
        size = self.size
        out: list[Buffer] = []
        pending = self._pending
        if pending:
            take = min(size - len(pending), len(view))
            pending += view[:take]
            view = view[take:]
            if len(pending) < size:
                return out
            out.append(bytes(pending))
            pending.clear()
        end = len(view) - len(view) % size
        out.extend(view[i : i + size] for i in range(0, end, size))
        pending += view[end:]
        return out

    def flush(self) -> list[Buffer]:
        """The last, shorter chunk (if any).

        Raises:
            ValueError: The audio ended in the middle of a sample (an odd byte count).
        """
        pending = self._pending
        if len(pending) % 2:
            msg = "PCM16 audio has 2 bytes per sample: the audio ended with half a sample"
            raise ValueError(msg)
        out: list[Buffer] = [bytes(pending)] if pending else []
        pending.clear()
        return out


class AudioCollector:
    """Gathers a response's audio deltas into PCM16 bytes (and WAV files).

    ```python
    audio = AudioCollector()
    async for event in conn:
        audio.feed(event)               # keeps response.output_audio.delta events
        if event.type == "response.done":
            break
    audio.write_wav("reply.wav")
    ```

    Args:
        sample_rate: The sample rate of the output audio (24 kHz for ``audio/pcm``).
    """

    __slots__ = ("_pcm", "sample_rate")

    def __init__(self, sample_rate: int = DEFAULT_SAMPLE_RATE) -> None:
        self.sample_rate = sample_rate
        self._pcm = bytearray()

    def feed(self, event: Any) -> bool:
        """Keep the audio of *event* if it is an audio delta; say whether it was one.

        Args:
            event: Any server event (typed, `UnknownObject` or a plain dict).

        Raises:
            binascii.Error: The delta is not valid base64.
        """
        if isinstance(event, dict):
            kind, delta = event.get("type"), event.get("delta")
        else:
            kind, delta = getattr(event, "type", None), getattr(event, "delta", None)
        if kind not in _AUDIO_DELTAS or not isinstance(delta, str):
            return False
        self._pcm += binascii.a2b_base64(delta)
        return True

    @property
    def pcm(self) -> bytes:
        """The audio so far: PCM16, little-endian, mono."""
        return bytes(self._pcm)

    @property
    def seconds(self) -> float:
        """The duration of the audio so far."""
        return len(self._pcm) / (2 * self.sample_rate)

    def clear(self) -> None:
        """Forget the audio gathered so far (e.g. when a response starts)."""
        self._pcm.clear()

    def wav_bytes(self) -> bytes:
        """The audio as a WAV file's bytes."""
        return wav_bytes(self._pcm, self.sample_rate)

    def write_wav(self, path: str | os.PathLike[str]) -> None:
        """Write the audio to a WAV file (blocking: in Trio code use `save_wav`).

        Args:
            path: The file to write.

        Raises:
            OSError: The file cannot be written.
        """
        with open(path, "wb") as file:
            file.write(self.wav_bytes())

    async def save_wav(self, path: str | os.PathLike[str]) -> None:
        """Write the audio to a WAV file from a worker thread.

        Args:
            path: The file to write.

        Raises:
            OSError: The file cannot be written.
        """
        import trio

        data = self.wav_bytes()
        await trio.Path(path).write_bytes(data)


def wav_bytes(pcm: Buffer, sample_rate: int = DEFAULT_SAMPLE_RATE) -> bytes:
    """A WAV file (16-bit mono) holding *pcm*.

    Args:
        pcm: PCM16 little-endian mono audio.
        sample_rate: Its sample rate.
    """
    out = io.BytesIO()
    with wave.open(out, "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(sample_rate)
        wav.writeframes(pcm)
    return out.getvalue()


def read_wav(source: str | os.PathLike[str] | bytes) -> tuple[bytes, int]:
    """The PCM16 mono audio of a 16-bit WAV file, and its sample rate.

    Stereo files are mixed down to mono. Streamed WAV files (``espeak-ng --stdout``,
    whose header gives no length) are read to their end.

    Args:
        source: The WAV file's path, or its bytes.

    Raises:
        ValueError: The file is not 16-bit PCM, or has more than two channels.
        OSError: The file cannot be read.
        wave.Error: The file is not a WAV file.
    """
    file: Any = io.BytesIO(source) if isinstance(source, bytes) else os.fspath(source)
    with wave.open(file, "rb") as wav:
        channels, width, rate = wav.getnchannels(), wav.getsampwidth(), wav.getframerate()
        frames = wav.readframes(wav.getnframes())
    if width != 2 or channels not in (1, 2):
        msg = f"expected 16-bit mono or stereo PCM, got {8 * width}-bit with {channels} channels"
        raise ValueError(msg)
    if channels == 2:
        samples = _samples(frames)
        mono = array("h", ((samples[i] + samples[i + 1]) // 2 for i in range(0, len(samples), 2)))
        frames = _to_bytes(mono)
    return frames, rate


def resample_pcm16(pcm: Buffer, from_rate: int, to_rate: int) -> bytes:
    """*pcm* at another sample rate (linear interpolation: fine for speech, not for music).

    Args:
        pcm: PCM16 little-endian mono audio.
        from_rate: Its sample rate.
        to_rate: The sample rate wanted.
    """
    if from_rate == to_rate:
        return bytes(pcm)
    samples = _samples(pcm)
    count = len(samples)
    if count == 0:
        return b""
    n_out = count * to_rate // from_rate
    step = from_rate / to_rate
    out = array("h", bytes(2 * n_out))
    last = count - 1
    for i in range(n_out):
        position = i * step
        j = int(position)
        if j >= last:
            out[i] = samples[last]
            continue
        frac = position - j
        out[i] = int(samples[j] + (samples[j + 1] - samples[j]) * frac)
    return _to_bytes(out)


def tone(
    frequency: float = 440.0,
    seconds: float = 1.0,
    *,
    sample_rate: int = DEFAULT_SAMPLE_RATE,
    amplitude: float = 0.3,
) -> bytes:
    """A sine tone as PCM16 little-endian mono (for tests and demos).

    Args:
        frequency: Hz.
        seconds: Duration.
        sample_rate: Samples per second.
        amplitude: 0 to 1 of full scale.
    """
    count = round(seconds * sample_rate)
    scale = amplitude * 32767
    w = 2 * math.pi * frequency / sample_rate
    return struct.pack(f"<{count}h", *(round(scale * math.sin(w * i)) for i in range(count)))


def _samples(pcm: Buffer) -> array[int]:
    samples = array("h")
    samples.frombytes(bytes(pcm))
    if sys.byteorder == "big":  # pragma: no cover - PCM16 on the wire is little-endian
        samples.byteswap()
    return samples


def _to_bytes(samples: array[int]) -> bytes:
    if sys.byteorder == "big":  # pragma: no cover
        samples = array("h", samples)
        samples.byteswap()
    return samples.tobytes()
