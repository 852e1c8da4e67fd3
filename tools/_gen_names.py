"""The generator's tables: which operations, how they are named, and the exceptions.

Everything a later issue extends to all 288 operations lives here:

- `OPERATIONS`: the operation ids generated now (plus every schema they reach).
- `method_name_for`: resource path and method name of an operation, by rule
  (from the path segments and the HTTP method), unless `OVERRIDES` says otherwise.
- `RESOURCE_PREFIXES`: resources the official SDK nests (``assistants`` is
  ``client.beta.assistants``).
- `STREAMS`, `BINARY_OPERATIONS`: operations with a ``.stream()`` twin, and
  operations whose answer is raw bytes.
- `FRIENDLY_ALIASES`, `MIXINS`: extra names and hand-written mixins for types.
- `WIDENED_FIELDS`: fields whose answers the spec describes too narrowly.

The rule names an operation after the official OpenAI Python SDK's resource
tree. For a path ``/a/{a_id}/b/{b_id}/verb``:

======================================  =========================
path ends with                          method
======================================  =========================
a collection (``/files``)               GET ``list`` (or ``retrieve`` when the
                                        answer is not a page), POST ``create``,
                                        DELETE ``delete``
an item (``/files/{file_id}``)          GET ``retrieve``, POST ``update``,
                                        DELETE ``delete``
an action verb (``.../cancel``)         the verb (``cancel``, ``content``, ...)
======================================  =========================
"""

from __future__ import annotations

# The operations generated now. Extend this list to generate more: every schema an
# operation reaches is generated with it.
OPERATIONS: tuple[str, ...] = (
    "createChatCompletion",
    "createCompletion",
    "createResponse",
    "getResponse",
    "deleteResponse",
    "cancelResponse",
    "listInputItems",
    "createEmbedding",
    "listModels",
    "retrieveModel",
    "deleteModel",
    "listFiles",
    "createFile",
    "retrieveFile",
    "deleteFile",
    "downloadFile",
    "createSpeech",
    "createModeration",
)

# Last path segments that name an action on the item before them, not a sub-collection.
ACTION_VERBS: frozenset[str] = frozenset(
    {
        "cancel",
        "content",
        "pause",
        "resume",
        "search",
        "submit_tool_outputs",
        "complete",
        "compact",
        "run",
        "validate",
        "remix",
        "archive",
        "unarchive",
        "activate",
        "deactivate",
    }
)

# Resource path prefixes of the official SDK: first path segment -> resource path.
RESOURCE_PREFIXES: dict[str, tuple[str, ...]] = {
    "assistants": ("beta", "assistants"),
    "threads": ("beta", "threads"),
    "chatkit": ("beta", "chatkit"),
}

# operationId -> (resource path, method name) where the rule gets it wrong.
OVERRIDES: dict[str, tuple[tuple[str, ...], str]] = {
    "createImage": (("images",), "generate"),
    "createImageEdit": (("images",), "edit"),
    "createImageVariation": (("images",), "create_variation"),
    "getChatCompletionMessages": (("chat", "completions", "messages"), "list"),
    "listFineTuningEvents": (("fine_tuning", "jobs"), "list_events"),
    "submitToolOuputsToRun": (("beta", "threads", "runs"), "submit_tool_outputs"),
    "createThreadAndRun": (("beta", "threads"), "create_and_run"),
    "cancelEvalRun": (("evals", "runs"), "cancel"),
    "runGrader": (("fine_tuning", "alpha", "graders"), "run"),
    "listFilesInVectorStoreBatch": (("vector_stores", "file_batches"), "list_files"),
    "RetrieveVideoContent": (("videos",), "download_content"),
    "Getinputtokencounts": (("responses", "input_tokens"), "count"),
    "beta_Getinputtokencounts": (("responses", "input_tokens"), "count"),
    "Compactconversation": (("responses",), "compact"),
    "beta_Compactconversation": (("responses",), "compact"),
    "ListThreadItemsMethod": (("beta", "chatkit", "threads"), "list_items"),
}

# Operations with a streaming twin: operationId -> (event schema, how the stream ends).
STREAMS: dict[str, tuple[str, str]] = {
    "createChatCompletion": ("CreateChatCompletionStreamResponse", "done"),
    "createCompletion": ("CreateCompletionResponse", "done"),
    "createResponse": ("ResponseStreamEvent", "response"),
}

# Operations whose answer is raw bytes (the spec sometimes declares `type: string` JSON).
BINARY_OPERATIONS: frozenset[str] = frozenset({"downloadFile", "createSpeech"})

# The official SDK's names of much-used types: alias -> generated schema name.
FRIENDLY_ALIASES: dict[str, str] = {
    "ChatCompletion": "CreateChatCompletionResponse",
    "ChatCompletionChunk": "CreateChatCompletionStreamResponse",
    "ChatCompletionMessage": "ChatCompletionResponseMessage",
    "ChatCompletionMessageParam": "ChatCompletionRequestMessage",
    "Completion": "CreateCompletionResponse",
    "FileObject": "OpenAIFile",
    "FileDeleted": "DeleteFileResponse",
    "ModelDeleted": "DeleteModelResponse",
    "Moderation": "CreateModerationResponseResult",
    "ModerationCreateResponse": "CreateModerationResponse",
    "ResponseItem": "ItemResource",
    "ResponseOutputItem": "OutputItem",
    "ResponseInputItem": "InputItem",
    "ResponseOutputMessage": "OutputMessage",
    "ResponseOutputText": "OutputTextContent",
}

# Fields whose values the spec does not fully describe: (schema, field) -> a primitive
# type the field may also hold.
WIDENED_FIELDS: dict[tuple[str, str], str] = {
    # A base64 string when the request asked for `encoding_format="base64"`.
    ("Embedding", "embedding"): "str",
}

# Hand-written mixins (trio_openai/_extensions.py) added to generated classes.
MIXINS: dict[str, tuple[str, ...]] = {
    "Response": ("ResponseMixin",),
}

# Types modules are named after the first resource segment of the operations that reach
# a schema (`types/chat.py`); schemas reached from several areas go to this module.
SHARED_MODULE = "shared"


def method_name_for(
    operation_id: str, method: str, path: str, *, returns_page: bool
) -> tuple[tuple[str, ...], str]:
    """The resource path and method name of an operation (see the module docstring)."""
    if operation_id in OVERRIDES:
        return OVERRIDES[operation_id]
    segments = [s for s in path.split("?", 1)[0].strip("/").split("/") if s]
    is_param = [s.startswith("{") for s in segments]
    literals = [s for s in segments if not s.startswith("{")]
    method = method.upper()
    action: str | None = None
    if not is_param[-1] and len(segments) >= 2 and is_param[-2] and segments[-1] in ACTION_VERBS:
        action = literals.pop()
    resource = tuple(literals)
    if resource and resource[0] in RESOURCE_PREFIXES:
        resource = RESOURCE_PREFIXES[resource[0]] + resource[1:]
    if action is not None:
        return resource, action
    ends_with_item = is_param[-1]
    if ends_with_item:
        name = {"GET": "retrieve", "POST": "update", "DELETE": "delete"}[method]
    elif method == "GET":
        name = "list" if returns_page else "retrieve"
    else:
        name = {"POST": "create", "DELETE": "delete", "PUT": "update"}[method]
    return resource, name
