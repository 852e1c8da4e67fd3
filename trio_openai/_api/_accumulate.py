"""Where a stream's events are folded into its final object.

A `Stream` feeds every event it decodes to its fold, as the user iterates:
``stream.get_final_completion()`` / ``get_final_response()`` then return what
the events add up to, and ``text_deltas()`` picks the text out of each event.
Nothing is requested again and nothing is kept but the fold's running state
(strings are joined once, at the end).

- `ChatFold` (chat completion chunks): per choice index, content, refusal,
  tool calls (arguments joined per tool-call index, with the id, name and type
  of the chunks that carry them), the deprecated ``function_call``, logprobs and
  the finish reason; per stream, the id, model, created, system fingerprint,
  service tier and the usage chunk's usage.
- `ResponseFold` (Responses API events): the `Response` of the terminal event
  (``response.completed`` / ``failed`` / ``incomplete``), which the server sends
  whole: there is nothing to join.

`fold_for` chooses the fold from the spec: a stream of any other kind has none.
Generated types are imported on use (``import trio_openai`` imports none).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Literal, final

import attrs

if TYPE_CHECKING:
    from .._http._spec import StreamSpec
    from ..types.chat import (
        ChatCompletionMessageToolCallChunk,
        ChatCompletionMessageToolCalls,
        ChatCompletionTokenLogprob,
        CreateChatCompletionResponse,
        CreateChatCompletionResponseChoice,
        CreateChatCompletionStreamResponse,
        CreateChatCompletionStreamResponseChoice,
    )
    from ..types.responses import Response

    FinishReason = Literal["stop", "length", "tool_calls", "content_filter", "function_call"]

__all__ = ["RESPONSE_TERMINAL", "ChatFold", "Fold", "ResponseFold", "fold_for"]

RESPONSE_TERMINAL = frozenset({"response.completed", "response.failed", "response.incomplete"})


def fold_for(spec: StreamSpec[Any]) -> Fold | None:
    """The fold for a stream made from *spec*, or ``None`` if its events have none."""
    if spec.end == "response":
        return ResponseFold()
    if spec.end == "done":
        # A chat stream's method imported types.chat to build the spec: no cost there.
        from ..types.chat import CreateChatCompletionStreamResponse

        if spec.event is CreateChatCompletionStreamResponse:
            return ChatFold()
    return None


class Fold:
    """What a stream feeds its events to (see the module docstring)."""

    __slots__ = ()

    def add(self, event: Any) -> None:
        """Take one decoded event into the running state."""
        raise NotImplementedError

    def text_delta(self, event: Any) -> str | None:
        """The text this event adds, if any."""
        raise NotImplementedError


@final
@attrs.define(eq=False)
class _ToolCall:
    """One tool call being put together from its chunks."""

    id: str | None = None
    type: str | None = None
    name: str | None = None
    arguments: list[str] = attrs.Factory(list)


@final
@attrs.define(eq=False)
class _Choice:
    """One choice being put together from its deltas."""

    content: list[str] | None = None
    refusal: list[str] | None = None
    tool_calls: dict[int, _ToolCall] = attrs.Factory(dict)
    function_name: str | None = None
    function_arguments: list[str] | None = None
    logprobs: bool = False
    logprobs_content: list[ChatCompletionTokenLogprob] | None = None
    logprobs_refusal: list[ChatCompletionTokenLogprob] | None = None
    finish_reason: FinishReason | None = None

    def add(self, choice: CreateChatCompletionStreamResponseChoice) -> None:
        delta = choice.delta
        if delta.content is not None:
            self.content = _append(self.content, delta.content)
        if delta.refusal is not None:
            self.refusal = _append(self.refusal, delta.refusal)
        for chunk in delta.tool_calls or ():
            self._tool_call(chunk)
        if delta.function_call is not None:
            if delta.function_call.name:
                self.function_name = delta.function_call.name
            if delta.function_call.arguments is not None:
                self.function_arguments = _append(
                    self.function_arguments, delta.function_call.arguments
                )
        if choice.logprobs is not None:
            self.logprobs = True
            if choice.logprobs.content is not None:
                self.logprobs_content = _extend(self.logprobs_content, choice.logprobs.content)
            if choice.logprobs.refusal is not None:
                self.logprobs_refusal = _extend(self.logprobs_refusal, choice.logprobs.refusal)
        if choice.finish_reason is not None:
            self.finish_reason = choice.finish_reason

    def _tool_call(self, chunk: ChatCompletionMessageToolCallChunk) -> None:
        call = self.tool_calls.setdefault(chunk.index, _ToolCall())
        # The first chunk of a call carries its id, type and name; later ones only arguments.
        call.id = chunk.id or call.id
        call.type = chunk.type or call.type
        if chunk.function is not None:
            call.name = chunk.function.name or call.name
            if chunk.function.arguments is not None:
                call.arguments.append(chunk.function.arguments)

    def build(self, index: int) -> CreateChatCompletionResponseChoice:
        from ..types.chat import (
            ChatCompletionMessageToolCall,
            ChatCompletionMessageToolCallFunction,
            ChatCompletionResponseMessage,
            ChatCompletionResponseMessageFunctionCall,
            CreateChatCompletionResponseChoice,
            CreateChatCompletionResponseChoiceLogprobs,
        )

        tool_calls: ChatCompletionMessageToolCalls = [
            ChatCompletionMessageToolCall(
                id=call.id or "",
                type="function",
                function=ChatCompletionMessageToolCallFunction(
                    name=call.name or "", arguments="".join(call.arguments)
                ),
            )
            for _, call in sorted(self.tool_calls.items())
        ]
        function_call = None
        if self.function_name is not None or self.function_arguments is not None:
            function_call = ChatCompletionResponseMessageFunctionCall(
                name=self.function_name or "", arguments=_join(self.function_arguments) or ""
            )
        message = ChatCompletionResponseMessage(
            content=_join(self.content),
            refusal=_join(self.refusal),
            role="assistant",
            tool_calls=tool_calls or None,
            function_call=function_call,
        )
        logprobs = None
        if self.logprobs:
            logprobs = CreateChatCompletionResponseChoiceLogprobs(
                content=self.logprobs_content, refusal=self.logprobs_refusal
            )
        return CreateChatCompletionResponseChoice(
            # A stream that reached [DONE] with no finish reason (some compatible
            # servers send none) ended normally.
            finish_reason=self.finish_reason or "stop",
            index=index,
            message=message,
            logprobs=logprobs,
        )


def _append(parts: list[str] | None, part: str) -> list[str]:
    if parts is None:
        return [part]
    parts.append(part)
    return parts


def _extend(
    tokens: list[ChatCompletionTokenLogprob] | None, more: list[ChatCompletionTokenLogprob]
) -> list[ChatCompletionTokenLogprob]:
    if tokens is None:
        return list(more)
    tokens.extend(more)
    return tokens


def _join(parts: list[str] | None) -> str | None:
    return None if parts is None else "".join(parts)


# The chunk fields whose first non-empty value the completion keeps.
_METADATA = ("id", "model", "created", "system_fingerprint", "service_tier")


@final
class ChatFold(Fold):
    """Folds chat completion chunks into a `ChatCompletion` (see the module docstring)."""

    __slots__ = ("_choices", "_latest", "_moderation", "_usage")

    def __init__(self) -> None:
        self._choices: dict[int, _Choice] = {}
        self._usage: Any = None
        self._moderation: Any = None
        # The id, model and the rest are read from the chunks as they come (see `completion`).
        self._latest: dict[str, Any] = {}

    def add(self, event: CreateChatCompletionStreamResponse) -> None:
        """Take one chunk into the running state."""
        latest = self._latest
        if len(latest) < len(_METADATA):  # the first value of each is kept: stop once all are
            for name in _METADATA:
                if name not in latest:
                    value = getattr(event, name)
                    if value is not None and value != "":
                        latest[name] = value
        if event.usage is not None:
            self._usage = event.usage
        if event.moderation is not None:
            self._moderation = event.moderation
        choices = self._choices
        for choice in event.choices:
            state = choices.get(choice.index)
            if state is None:  # not setdefault: that would build a `_Choice` per chunk
                state = choices[choice.index] = _Choice()
            state.add(choice)

    def text_delta(self, event: CreateChatCompletionStreamResponse) -> str | None:
        """Choice 0's ``delta.content``, if this chunk has any."""
        for choice in event.choices:
            if choice.index == 0:
                return choice.delta.content or None
        return None

    def completion(self) -> CreateChatCompletionResponse:
        """The `ChatCompletion` the chunks so far add up to."""
        from ..types.chat import CreateChatCompletionResponse

        latest = self._latest
        return CreateChatCompletionResponse(
            id=latest.get("id", ""),
            choices=[choice.build(index) for index, choice in sorted(self._choices.items())],
            created=latest.get("created", 0),
            model=latest.get("model", ""),
            object="chat.completion",
            service_tier=latest.get("service_tier"),
            system_fingerprint=latest.get("system_fingerprint"),
            usage=self._usage,
            moderation=self._moderation,
        )


@final
class ResponseFold(Fold):
    """Keeps the `Response` of a Responses API stream's terminal event."""

    __slots__ = ("response",)

    def __init__(self) -> None:
        self.response: Response | None = None

    def add(self, event: Any) -> None:
        """Keep the response of a terminal event."""
        if getattr(event, "type", None) in RESPONSE_TERMINAL:
            self.response = event.response

    def text_delta(self, event: Any) -> str | None:
        """The ``delta`` of a ``response.output_text.delta`` event."""
        if getattr(event, "type", None) == "response.output_text.delta":
            delta: str = event.delta
            return delta or None
        return None
