"""The official SDK's union, list and request names, written as SDK users write them.

Type-checked only (tests/core/test_typecheck_programs.py); never run.
"""

from __future__ import annotations

from trio_openai.types import ModerationMultiModalInputParam
from trio_openai.types.beta.realtime import RealtimeServerEvent
from trio_openai.types.beta.threads import Annotation
from trio_openai.types.realtime import ConversationItemParam
from trio_openai.types.responses import (
    ResponseFunctionCallOutputItemListParam,
    ResponseInputImageContentParam,
    ResponseInputParam,
)
from trio_openai.types.shared_params import CustomToolInputFormat

moderation_input: list[ModerationMultiModalInputParam] = [
    {"type": "text", "text": "...some text to classify"},
    {"type": "image_url", "image_url": {"url": "https://example.com/cat.png"}},
]
bad_moderation: ModerationMultiModalInputParam = {"type": "txt", "text": "x"}  # expect-error

text_format: CustomToolInputFormat = {"type": "text"}
grammar: CustomToolInputFormat = {"type": "grammar", "definition": "start: 'a'", "syntax": "lark"}
bad_grammar: CustomToolInputFormat = {"type": "grammar", "syntax": "yacc"}  # expect-error

item: ConversationItemParam = {
    "type": "message",
    "role": "user",
    "content": [{"type": "input_text", "text": "Hello!"}],
}
bad_role: ConversationItemParam = {"type": "message", "role": "bot", "content": []}  # expect-error

history: ResponseInputParam = [
    {"role": "user", "content": "What is 6 * 7?"},
    {"type": "function_call_output", "call_id": "call_1", "output": "42"},
]
bad_history: ResponseInputParam = [{"role": "usr", "content": "x"}]  # expect-error

image: ResponseInputImageContentParam = {"type": "input_image", "image_url": "https://x/y.png"}
output: ResponseFunctionCallOutputItemListParam = [
    {"type": "input_text", "text": "42"},
    {"type": "input_image", "file_id": "file-abc"},
]


def cited_files(annotations: list[Annotation]) -> list[str]:
    found: list[str] = []
    for annotation in annotations:
        if annotation.type == "file_citation":
            found.append(annotation.file_citation.file_id)
        elif annotation.type == "file_path":
            found.append(annotation.file_path.file_id)
            found.append(annotation.file_citation.file_id)  # expect-error
    return found


def handle(event: RealtimeServerEvent) -> str | None:
    if event.type == "response.created":
        return event.response.id
    if event.type == "transcription_session.updated":
        return event.event_id
    return None
