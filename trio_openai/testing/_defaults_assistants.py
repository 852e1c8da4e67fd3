"""Default replies of the Assistants API (beta): assistants, threads, messages, runs.

A run answers the thread's last user message with an echo of it, as the fake's
chat completions do, and moves one status per ``GET .../runs/{run_id}``, so
``runs.poll`` sees every status, deterministically::

    queued -> in_progress -> completed            (the reply is added to the thread)
    queued -> in_progress -> requires_action      (the run has a function tool and no
        (submit_tool_outputs) -> in_progress -> completed       outputs yet)
    (cancel) -> cancelling -> cancelled

A run asks for its first function tool once, with arguments ``{}``; the reply
after the tool outputs names them. Its steps (``GET .../runs/{run_id}/steps``) are a
``tool_calls`` step for that call and a ``message_creation`` step for the reply.
Streaming runs (``stream: true``) are not answered (400). Shapes follow the OpenAPI
spec: ``AssistantObject``, ``ThreadObject``, ``MessageObject``, ``RunObject``,
``RunStepObject`` and their list and delete answers. The state lives on
`Defaults.assistants` and `Defaults.threads`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, final

import attrs

from . import _generate
from ._error_bodies import BadRequest, missing
from ._params import json_object, list_page, lookup, optional_string, required_string
from ._script import Body, JsonBody

if TYPE_CHECKING:
    from ._records import FakeRequest
    from ._store import Store

__all__ = ["FakeRun", "FakeThread", "ROUTES"]

_NEXT = {"queued": "in_progress", "cancelling": "cancelled"}
_ENDED = frozenset({"completed", "cancelled", "failed", "expired", "incomplete"})
_ASSISTANT_FIELDS = (
    "name",
    "description",
    "instructions",
    "tools",
    "metadata",
    "temperature",
    "top_p",
    "response_format",
    "tool_resources",
)


def _text_content(text: str) -> dict[str, object]:
    return {"type": "text", "text": {"value": text, "annotations": []}}


def _content(value: object) -> list[object]:
    """A message's ``content`` as the API answers it (text parts get their ``value``)."""
    if isinstance(value, str):
        return [_text_content(value)]
    if not isinstance(value, list) or not all(isinstance(part, Mapping) for part in value):
        raise BadRequest("Invalid type for 'content': a string or an array.", param="content")
    parts: list[object] = []
    for part in value:
        if part.get("type") == "text":
            parts.append(_text_content(str(part.get("text", ""))))
        else:
            parts.append(part)
    return parts


def _plain_text(content: Sequence[object]) -> str:
    texts = []
    for part in content:
        if isinstance(part, Mapping) and part.get("type") == "text":
            text = part.get("text")
            if isinstance(text, Mapping):
                texts.append(str(text.get("value", "")))
    return " ".join(texts)


@final
@attrs.define(eq=False, kw_only=True)
class FakeRun:
    """A run on a thread, moved one status on per retrieve.

    Attributes:
        data: The run as answered (a ``RunObject``), updated in place.
        tool_outputs: The outputs submitted, once they are.
    """

    data: dict[str, Any]
    tool_outputs: list[Mapping[str, Any]] | None = None
    steps: dict[str, dict[str, Any]] = attrs.field(factory=dict)

    def add_step(self, defaults: Store, kind: str, details: object) -> dict[str, Any]:
        """Record a run step, ``in_progress``.

        Args:
            defaults: The fake's state (ids, time).
            kind: ``message_creation`` or ``tool_calls``.
            details: The ``step_details`` member named *kind*.
        """
        step: dict[str, Any] = {
            "id": defaults.new_id("step_fake_"),
            "object": "thread.run.step",
            "created_at": defaults.created,
            "assistant_id": self.data["assistant_id"],
            "thread_id": self.data["thread_id"],
            "run_id": self.data["id"],
            "type": kind,
            "status": "in_progress",
            "step_details": {"type": kind, kind: details},
            "last_error": None,
            "expired_at": None,
            "cancelled_at": None,
            "failed_at": None,
            "completed_at": None,
            "metadata": {},
            "usage": None,
        }
        self.steps[step["id"]] = step
        return step

    def end_steps(self, status: str, now: int) -> None:
        """Move the steps still in progress to *status* (``completed``, ``cancelled``)."""
        for step in self.steps.values():
            if step["status"] == "in_progress":
                step["status"] = status
                step[f"{status}_at"] = now

    @property
    def status(self) -> str:
        """The run's status."""
        return str(self.data["status"])

    def set_status(self, status: str, now: int) -> None:
        """Change the status, stamping its ``*_at`` field."""
        self.data["status"] = status
        stamp = {
            "in_progress": "started_at",
            "cancelled": "cancelled_at",
            "completed": "completed_at",
        }
        if status in stamp and self.data.get(stamp[status]) is None:
            self.data[stamp[status]] = now
        if status in _ENDED:
            self.data["expires_at"] = None
            self.data["required_action"] = None
            self.end_steps("completed" if status == "completed" else "cancelled", now)


@final
@attrs.define(eq=False, kw_only=True)
class FakeThread:
    """A thread: its messages (oldest first) and runs.

    Attributes:
        data: The thread as answered (a ``ThreadObject``).
        messages: Its messages by id, oldest first.
        runs: Its runs by id, oldest first.
    """

    data: dict[str, Any]
    messages: dict[str, dict[str, Any]] = attrs.field(factory=dict)
    runs: dict[str, FakeRun] = attrs.field(factory=dict)


def _message(
    defaults: Store, thread: FakeThread, body: Mapping[str, Any], **fields: object
) -> dict[str, Any]:
    role = required_string(body, "role")
    if role not in {"user", "assistant"}:
        raise BadRequest(f"Invalid value for 'role': {role!r}.", param="role")
    if body.get("content") is None:
        raise missing("content")
    message: dict[str, Any] = {
        "id": defaults.new_id("msg_fake_"),
        "object": "thread.message",
        "created_at": defaults.created,
        "thread_id": thread.data["id"],
        "status": "completed",
        "incomplete_details": None,
        "completed_at": defaults.created,
        "incomplete_at": None,
        "role": role,
        "content": _content(body["content"]),
        "assistant_id": None,
        "run_id": None,
        "attachments": body.get("attachments") or [],
        "metadata": body.get("metadata") or {},
        **fields,
    }
    thread.messages[message["id"]] = message
    return message


def _new_thread(defaults: Store, body: Mapping[str, Any]) -> FakeThread:
    thread = FakeThread(
        data={
            "id": defaults.new_id("thread_fake_"),
            "object": "thread",
            "created_at": defaults.created,
            "tool_resources": body.get("tool_resources"),
            "metadata": body.get("metadata") or {},
        }
    )
    messages = body.get("messages") or []
    if not isinstance(messages, list):
        raise BadRequest("Invalid type for 'messages': an array.", param="messages")
    for item in messages:
        if not isinstance(item, Mapping):
            raise BadRequest("Invalid type for 'messages': objects.", param="messages")
        _message(defaults, thread, item)
    defaults.threads[thread.data["id"]] = thread
    return thread


def _thread(defaults: Store, params: Mapping[str, str]) -> FakeThread:
    found: FakeThread = lookup(defaults.threads, params["thread_id"], noun="Thread")
    return found


def _run(thread: FakeThread, params: Mapping[str, str]) -> FakeRun:
    found: FakeRun = lookup(thread.runs, params["run_id"], noun="Run")
    return found


def _page(request: FakeRequest, items: list[dict[str, Any]], noun: str) -> Body:
    order = request.query.get("order", "desc")
    if order not in {"asc", "desc"}:
        raise BadRequest(f"Invalid value for 'order': {order!r}.", param="order")
    ordered = list(reversed(items)) if order == "desc" else items
    page = list_page(request, ordered, noun=noun, id_bounds=True)
    page.setdefault("first_id", None)
    page.setdefault("last_id", None)
    return JsonBody(page)


# -- assistants -------------------------------------------------------------------------------


def _assistant(defaults: Store, params: Mapping[str, str]) -> dict[str, Any]:
    found: dict[str, Any] = lookup(defaults.assistants, params["assistant_id"], noun="Assistant")
    return found


def _create_assistant(defaults: Store, request: FakeRequest, _: Mapping[str, str]) -> Body:
    body = json_object(request)
    assistant: dict[str, Any] = {
        "id": defaults.new_id("asst_fake_"),
        "object": "assistant",
        "created_at": defaults.created,
        "model": required_string(body, "model"),
        "name": None,
        "description": None,
        "instructions": None,
        "tools": [],
        "metadata": {},
        "tool_resources": None,
        "temperature": 1.0,
        "top_p": 1.0,
        "response_format": "auto",
    }
    assistant.update({k: body[k] for k in _ASSISTANT_FIELDS if body.get(k) is not None})
    defaults.assistants[assistant["id"]] = assistant
    return JsonBody(assistant)


def _list_assistants(defaults: Store, request: FakeRequest, _: Mapping[str, str]) -> Body:
    return _page(request, list(defaults.assistants.values()), "Assistant")


def _get_assistant(defaults: Store, _: FakeRequest, params: Mapping[str, str]) -> Body:
    return JsonBody(_assistant(defaults, params))


def _update_assistant(defaults: Store, request: FakeRequest, params: Mapping[str, str]) -> Body:
    assistant = _assistant(defaults, params)
    body = json_object(request)
    assistant.update({k: body[k] for k in (*_ASSISTANT_FIELDS, "model") if k in body})
    return JsonBody(assistant)


def _delete_assistant(defaults: Store, _: FakeRequest, params: Mapping[str, str]) -> Body:
    assistant = _assistant(defaults, params)
    del defaults.assistants[assistant["id"]]
    return JsonBody({"id": assistant["id"], "object": "assistant.deleted", "deleted": True})


# -- threads and messages ---------------------------------------------------------------------


def _create_thread(defaults: Store, request: FakeRequest, _: Mapping[str, str]) -> Body:
    return JsonBody(_new_thread(defaults, json_object(request)).data)


def _get_thread(defaults: Store, _: FakeRequest, params: Mapping[str, str]) -> Body:
    return JsonBody(_thread(defaults, params).data)


def _update_thread(defaults: Store, request: FakeRequest, params: Mapping[str, str]) -> Body:
    thread = _thread(defaults, params)
    body = json_object(request)
    thread.data.update({k: body[k] for k in ("metadata", "tool_resources") if k in body})
    return JsonBody(thread.data)


def _delete_thread(defaults: Store, _: FakeRequest, params: Mapping[str, str]) -> Body:
    thread = _thread(defaults, params)
    del defaults.threads[thread.data["id"]]
    return JsonBody({"id": thread.data["id"], "object": "thread.deleted", "deleted": True})


def _create_message(defaults: Store, request: FakeRequest, params: Mapping[str, str]) -> Body:
    return JsonBody(_message(defaults, _thread(defaults, params), json_object(request)))


def _list_messages(defaults: Store, request: FakeRequest, params: Mapping[str, str]) -> Body:
    messages = list(_thread(defaults, params).messages.values())
    run_id = request.query.get("run_id")
    if run_id is not None:
        messages = [m for m in messages if m["run_id"] == run_id]
    return _page(request, messages, "Message")


def _get_message(defaults: Store, _: FakeRequest, params: Mapping[str, str]) -> Body:
    thread = _thread(defaults, params)
    found: dict[str, Any] = lookup(thread.messages, params["message_id"], noun="Message")
    return JsonBody(found)


def _delete_message(defaults: Store, _: FakeRequest, params: Mapping[str, str]) -> Body:
    thread = _thread(defaults, params)
    found: dict[str, Any] = lookup(thread.messages, params["message_id"], noun="Message")
    del thread.messages[found["id"]]
    return JsonBody({"id": found["id"], "object": "thread.message.deleted", "deleted": True})


# -- runs -------------------------------------------------------------------------------------


def _start_run(defaults: Store, thread: FakeThread, body: Mapping[str, Any]) -> FakeRun:
    if body.get("stream") is True:
        raise BadRequest("The fake server does not stream runs.", param="stream")
    assistant_id = required_string(body, "assistant_id")
    assistant = lookup(defaults.assistants, assistant_id, noun="Assistant", param="assistant_id")
    extra = body.get("additional_messages") or []
    if not isinstance(extra, list) or not all(isinstance(m, Mapping) for m in extra):
        raise BadRequest("Invalid type for 'additional_messages'.", param="additional_messages")
    for item in extra:
        _message(defaults, thread, item)
    instructions = optional_string(body, "instructions") or assistant["instructions"] or ""
    addition = optional_string(body, "additional_instructions")
    data: dict[str, Any] = {
        "id": defaults.new_id("run_fake_"),
        "object": "thread.run",
        "created_at": defaults.created,
        "thread_id": thread.data["id"],
        "assistant_id": assistant_id,
        "status": "queued",
        "required_action": None,
        "last_error": None,
        "expires_at": defaults.created + 600,
        "started_at": None,
        "cancelled_at": None,
        "failed_at": None,
        "completed_at": None,
        "incomplete_details": None,
        "model": body.get("model") or assistant["model"],
        "instructions": f"{instructions} {addition}".strip() if addition else instructions,
        "tools": body.get("tools") or assistant["tools"],
        "metadata": body.get("metadata") or {},
        "usage": None,
        "max_prompt_tokens": body.get("max_prompt_tokens"),
        "max_completion_tokens": body.get("max_completion_tokens"),
        "truncation_strategy": body.get("truncation_strategy") or {"type": "auto"},
        "tool_choice": body.get("tool_choice") or "auto",
        "parallel_tool_calls": body.get("parallel_tool_calls", True),
        "response_format": body.get("response_format") or assistant["response_format"],
        "temperature": body.get("temperature", assistant["temperature"]),
        "top_p": body.get("top_p", assistant["top_p"]),
    }
    run = FakeRun(data=data)
    thread.runs[data["id"]] = run
    return run


def _function_tool(run: FakeRun) -> str | None:
    for tool in run.data["tools"] or ():
        if isinstance(tool, Mapping) and tool.get("type") == "function":
            function = tool.get("function")
            name = function.get("name") if isinstance(function, Mapping) else None
            if isinstance(name, str):
                return name
    return None


def _finish(defaults: Store, thread: FakeThread, run: FakeRun) -> None:
    """Complete *run*: its reply joins the thread, its usage is counted."""
    users = [m for m in thread.messages.values() if m["role"] == "user"]
    prompt = " ".join(_plain_text(m["content"]) for m in thread.messages.values())
    text = (_plain_text(users[-1]["content"]) if users else "") or _generate.FALLBACK_TEXT
    if run.tool_outputs is not None:
        outputs = ", ".join(str(o.get("output", "")) for o in run.tool_outputs)
        text = f"{text} (tool outputs: {outputs})"
    body = {"role": "assistant", "content": text}
    reply = _message(
        defaults, thread, body, assistant_id=run.data["assistant_id"], run_id=run.data["id"]
    )
    prompt_tokens, completion_tokens = _generate.count_tokens(prompt), _generate.count_tokens(text)
    usage = {
        "prompt_tokens": prompt_tokens,
        "completion_tokens": completion_tokens,
        "total_tokens": prompt_tokens + completion_tokens,
    }
    step = run.add_step(defaults, "message_creation", {"message_id": reply["id"]})
    step["usage"] = usage
    run.data["usage"] = usage
    run.set_status("completed", defaults.created)


def _advance(defaults: Store, thread: FakeThread, run: FakeRun) -> None:
    """Move *run* one status on (see the module docstring)."""
    status = _NEXT.get(run.status)
    if status is not None:
        run.set_status(status, defaults.created)
    elif run.status == "in_progress":
        tool = _function_tool(run)
        if tool is not None and run.tool_outputs is None:
            call_id = defaults.new_id("call_fake_")
            function: dict[str, object] = {"name": tool, "arguments": "{}"}
            call = {"id": call_id, "type": "function", "function": function}
            run.data["required_action"] = {
                "type": "submit_tool_outputs",
                "submit_tool_outputs": {"tool_calls": [call]},
            }
            step_call = {**call, "function": {**function, "output": None}}
            run.add_step(defaults, "tool_calls", [step_call])
            run.set_status("requires_action", defaults.created)
        else:
            _finish(defaults, thread, run)


def _create_run(defaults: Store, request: FakeRequest, params: Mapping[str, str]) -> Body:
    run = _start_run(defaults, _thread(defaults, params), json_object(request))
    return JsonBody(run.data)


def _create_thread_and_run(defaults: Store, request: FakeRequest, _: Mapping[str, str]) -> Body:
    body = json_object(request)
    thread_body = body.get("thread") or {}
    if not isinstance(thread_body, Mapping):
        raise BadRequest("Invalid type for 'thread': an object.", param="thread")
    thread = _new_thread(defaults, thread_body)
    return JsonBody(_start_run(defaults, thread, body).data)


def _list_runs(defaults: Store, request: FakeRequest, params: Mapping[str, str]) -> Body:
    runs = [run.data for run in _thread(defaults, params).runs.values()]
    return _page(request, runs, "Run")


def _get_run(defaults: Store, _: FakeRequest, params: Mapping[str, str]) -> Body:
    thread = _thread(defaults, params)
    run = _run(thread, params)
    _advance(defaults, thread, run)
    return JsonBody(run.data)


def _list_steps(defaults: Store, request: FakeRequest, params: Mapping[str, str]) -> Body:
    run = _run(_thread(defaults, params), params)
    return _page(request, list(run.steps.values()), "RunStep")


def _get_step(defaults: Store, _: FakeRequest, params: Mapping[str, str]) -> Body:
    run = _run(_thread(defaults, params), params)
    found: dict[str, Any] = lookup(run.steps, params["step_id"], noun="RunStep")
    return JsonBody(found)


def _update_run(defaults: Store, request: FakeRequest, params: Mapping[str, str]) -> Body:
    run = _run(_thread(defaults, params), params)
    body = json_object(request)
    if "metadata" in body:
        run.data["metadata"] = body["metadata"] or {}
    return JsonBody(run.data)


def _cancel_run(defaults: Store, _: FakeRequest, params: Mapping[str, str]) -> Body:
    run = _run(_thread(defaults, params), params)
    if run.status in _ENDED:
        raise BadRequest(f"Cannot cancel run with status '{run.status}'.", param="run_id")
    if run.status != "cancelling":
        run.set_status("cancelling", defaults.created)
        run.data["required_action"] = None
    return JsonBody(run.data)


def _submit_tool_outputs(defaults: Store, request: FakeRequest, params: Mapping[str, str]) -> Body:
    run = _run(_thread(defaults, params), params)
    body = json_object(request)
    if body.get("stream") is True:
        raise BadRequest("The fake server does not stream runs.", param="stream")
    if run.status != "requires_action":
        raise BadRequest(
            f"Runs in status '{run.status}' do not accept tool outputs.", param="run_id"
        )
    outputs = body.get("tool_outputs")
    if not isinstance(outputs, list) or not all(isinstance(o, Mapping) for o in outputs):
        raise BadRequest("Invalid type for 'tool_outputs': an array.", param="tool_outputs")
    run.tool_outputs = outputs
    by_call = {o.get("tool_call_id"): o.get("output") for o in outputs}
    for step in run.steps.values():
        if step["type"] == "tool_calls" and step["status"] == "in_progress":
            for call in step["step_details"]["tool_calls"]:
                call["function"]["output"] = by_call.get(call["id"])
    run.end_steps("completed", defaults.created)
    run.data["required_action"] = None
    run.set_status("in_progress", defaults.created)
    return JsonBody(run.data)


_THREAD = "/threads/{thread_id}"
_RUN = f"{_THREAD}/runs/{{run_id}}"

ROUTES: tuple[tuple[str, str, Any], ...] = (
    ("POST", "/assistants", _create_assistant),
    ("GET", "/assistants", _list_assistants),
    ("GET", "/assistants/{assistant_id}", _get_assistant),
    ("POST", "/assistants/{assistant_id}", _update_assistant),
    ("DELETE", "/assistants/{assistant_id}", _delete_assistant),
    ("POST", "/threads", _create_thread),
    ("POST", "/threads/runs", _create_thread_and_run),
    ("GET", _THREAD, _get_thread),
    ("POST", _THREAD, _update_thread),
    ("DELETE", _THREAD, _delete_thread),
    ("POST", f"{_THREAD}/messages", _create_message),
    ("GET", f"{_THREAD}/messages", _list_messages),
    ("GET", f"{_THREAD}/messages/{{message_id}}", _get_message),
    ("DELETE", f"{_THREAD}/messages/{{message_id}}", _delete_message),
    ("POST", f"{_THREAD}/runs", _create_run),
    ("GET", f"{_THREAD}/runs", _list_runs),
    ("GET", _RUN, _get_run),
    ("POST", _RUN, _update_run),
    ("POST", f"{_RUN}/cancel", _cancel_run),
    ("POST", f"{_RUN}/submit_tool_outputs", _submit_tool_outputs),
    ("GET", f"{_RUN}/steps", _list_steps),
    ("GET", f"{_RUN}/steps/{{step_id}}", _get_step),
)
"""``(method, path, handler)`` of every route this module answers."""
