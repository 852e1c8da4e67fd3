"""The generator's tables: which operations, how they are named, and the exceptions.

- Every operation of the spec is generated, except those in `SKIPPED_OPERATIONS`
  (none today); `tools/coverage.py` checks that each one is a method on the client.
- `method_name_for`: resource path and method name of an operation, by rule
  (from the path segments and the HTTP method), unless `OVERRIDES` says otherwise.
- `RESOURCE_PREFIXES`: resources the official SDK nests (``assistants`` is
  ``client.beta.assistants``, ``organization`` is ``client.admin.organization``).
- `STREAMS`, `BINARY_OPERATIONS`: operations with a streaming twin, and
  operations whose answer is raw bytes.
- `STANDARD_ARGS`: the arguments every method takes (``extra_headers``,
  ``extra_query``, ``extra_body``, ``timeout``).
- `TYPE_AREAS`, `TYPE_HUBS`: which ``types/`` module a schema lives in.
- `FRIENDLY_ALIASES`, `MIXINS`: extra names and hand-written mixins for types.
- `RESOURCE_MIXINS`, `ROOT_PROPERTIES`: hand-written methods of generated resources
  (``client.realtime.connect``, ``client.uploads.upload_file``) and hand-written
  top-level resources (``client.webhooks``).
- `EXTRA_SCHEMAS`, `EVENT_UNIONS`: schemas no operation reaches (the Realtime
  WebSocket events) and unions the spec does not define (the beta Realtime events).
- `NULLABLE_FIELDS`, `EXTRA_ENUM_VALUES`, `EXTRA_FIELDS`: what real answers hold that the
  spec does not say.

The rule names an operation after the official OpenAI Python SDK's resource
tree. For a path ``/a/{a_id}/b/{b_id}/verb``:

======================================  =========================
path ends with                          method
======================================  =========================
a collection (``/files``)               GET ``list`` (or ``retrieve`` when the
                                        answer is not a page), POST ``create``,
                                        DELETE ``delete``
a singleton (``/organization/           GET ``retrieve``, POST ``update``,
data_retention``: GET answers one       DELETE ``delete``
object, no id in the path)
an item (``/files/{file_id}``)          GET ``retrieve``, POST ``update``,
                                        DELETE ``delete``
an action verb (``.../cancel``,         the verb (``cancel``, ``content``, ...), on
``ACTION_VERBS``)                       the item or the collection before it
a child of a `METHOD_GROUPS` resource   the child's name (``usage/completions``
                                        is ``usage.completions``)
======================================  =========================

Operations on a path with ``?beta=true`` in its key (``beta_*`` operation ids)
are the same operations under ``client.beta``: ``beta.responses.create`` sends
``POST /responses?beta=true`` (see docs/dev/generator-status.md).

A streaming twin is named ``stream`` when it streams ``create``, else
``<method>_stream`` (``responses.retrieve_stream``, ``images.generate_stream``,
``beta.threads.create_and_run_stream``), as in the official SDK.
"""

from __future__ import annotations

from dataclasses import dataclass

# Operations left out on purpose: operationId -> why. Empty: all 288 are generated.
SKIPPED_OPERATIONS: dict[str, str] = {}

# Operation ids of the `?beta=true` paths start with this; their resource is under `beta`.
BETA_PREFIX = "beta_"

# Last path segments that name an action on the item (or collection) before them.
ACTION_VERBS: frozenset[str] = frozenset(
    {
        "accept",
        "activate",
        "archive",
        "cancel",
        "compact",
        "complete",
        "content",
        "deactivate",
        "hangup",
        "pause",
        "refer",
        "reject",
        "remix",
        "resume",
        "run",
        "search",
        "submit_tool_outputs",
        "unarchive",
        "validate",
    }
)

# Resource path prefixes of the official SDK: first path segment -> resource path.
RESOURCE_PREFIXES: dict[str, tuple[str, ...]] = {
    "assistants": ("beta", "assistants"),
    "threads": ("beta", "threads"),
    "chatkit": ("beta", "chatkit"),
    # The administration API: `client.admin.organization.*`, as in the official SDK.
    "organization": ("admin", "organization"),
    "projects": ("admin", "organization", "projects"),
}

# Resources whose children are methods, not sub-resources (`usage.completions(...)`).
METHOD_GROUPS: frozenset[tuple[str, ...]] = frozenset({("admin", "organization", "usage")})

# operationId -> (resource path, method name) where the rule gets it wrong (the official
# SDK's name; `beta_*` twins follow their GA operation).
OVERRIDES: dict[str, tuple[tuple[str, ...], str]] = {
    "createImage": (("images",), "generate"),
    "createImageEdit": (("images",), "edit"),
    "createImageVariation": (("images",), "create_variation"),
    "getChatCompletionMessages": (("chat", "completions", "messages"), "list"),
    "listFineTuningEvents": (("fine_tuning", "jobs"), "list_events"),
    "submitToolOuputsToRun": (("beta", "threads", "runs"), "submit_tool_outputs"),
    "createThreadAndRun": (("beta", "threads"), "create_and_run"),
    "cancelEvalRun": (("evals", "runs"), "cancel"),  # POST /evals/{id}/runs/{id}
    "listFilesInVectorStoreBatch": (("vector_stores", "file_batches"), "list_files"),
    "RetrieveVideoContent": (("videos",), "download_content"),
    "CreateVideoCharacter": (("videos",), "create_character"),
    "GetVideoCharacter": (("videos",), "get_character"),
    "CreateVideoEdit": (("videos",), "edit"),
    "CreateVideoExtend": (("videos",), "extend"),
    "Getinputtokencounts": (("responses", "input_tokens"), "count"),
    "ListThreadItemsMethod": (("beta", "chatkit", "threads"), "list_items"),
    # `content` is a sub-resource here, a method on `files` and `vector_stores.files`.
    "RetrieveContainerFileContent": (("containers", "files", "content"), "retrieve"),
    "GetSkillContent": (("skills", "content"), "retrieve"),
    "GetSkillVersionContent": (("skills", "versions", "content"), "retrieve"),
    # The older Realtime session endpoints live under `beta` in the official SDK.
    "create-realtime-session": (("beta", "realtime", "sessions"), "create"),
    "create-realtime-transcription-session": (
        ("beta", "realtime", "transcription_sessions"),
        "create",
    ),
    "usage-costs": (("admin", "organization", "usage"), "costs"),
    "list-project-rate-limits": (
        ("admin", "organization", "projects", "rate_limits"),
        "list_rate_limits",
    ),
    "update-project-rate-limits": (
        ("admin", "organization", "projects", "rate_limits"),
        "update_rate_limit",
    ),
}


@dataclass(frozen=True)
class StreamDef:
    """How an operation streams.

    Attributes:
        event: The component schema of one event.
        end: `StreamSpec.end`: ``"done"`` (``data: [DONE]``), ``"response"`` (a
            terminal ``response.*`` event), ``"event"`` (an event whose ``type`` is in
            *terminal*) or ``"none"`` (end of body).
        terminal: Event ``type`` values that complete the stream (``end="event"``).
        switch: The parameter that asks for a stream and its value (``stream: true``,
            or ``stream_format: "sse"`` for speech).
        envelope: Each event is ``{"event": <SSE event name>, "data": <payload>}``
            (the Assistants run streams; `StreamSpec.envelope` builds it).
    """

    event: str
    end: str
    terminal: tuple[str, ...] = ()
    switch: tuple[str, object] = ("stream", True)
    envelope: bool = False


# Spec tags whose operations are deprecated upstream (the spec does not always say so):
# tag -> the note their docstrings carry.
DEPRECATED_TAGS: dict[str, str] = {
    "Assistants": (
        "Deprecated upstream: the Assistants API (assistants, threads, messages, runs, run "
        "steps) is superseded by the Responses API. It is still served, and works here."
    ),
}

_RUN_STREAM = StreamDef("AssistantStreamEvent", "done", envelope=True)

# Operations with a streaming twin (every operation whose `streams` column in
# operations.tsv is not `no`): operationId -> how it streams.
STREAMS: dict[str, StreamDef] = {
    "createChatCompletion": StreamDef("CreateChatCompletionStreamResponse", "done"),
    "createCompletion": StreamDef("CreateCompletionResponse", "done"),
    "createResponse": StreamDef("ResponseStreamEvent", "response"),
    "getResponse": StreamDef("ResponseStreamEvent", "response"),
    "beta_createResponse": StreamDef("BetaResponseStreamEvent", "response"),
    "beta_getResponse": StreamDef("BetaResponseStreamEvent", "response"),
    "createThreadAndRun": _RUN_STREAM,
    "createRun": _RUN_STREAM,
    "submitToolOuputsToRun": _RUN_STREAM,
    "createImage": StreamDef(
        "ImageGenStreamEvent", "event", terminal=("image_generation.completed",)
    ),
    "createImageEdit": StreamDef(
        "ImageEditStreamEvent", "event", terminal=("image_edit.completed",)
    ),
    "createTranscription": StreamDef(
        "CreateTranscriptionResponseStreamEvent", "event", terminal=("transcript.text.done",)
    ),
    "createSpeech": StreamDef(
        "CreateSpeechResponseStreamEvent",
        "event",
        terminal=("speech.audio.done",),
        switch=("stream_format", "sse"),
    ),
}

# Operations whose answer is plain text for some values of a parameter although the spec
# only declares JSON: operationId -> (parameter, values). The method's result is then a str.
TEXT_RESULTS: dict[str, tuple[str, tuple[str, ...]]] = {
    "createTranscription": ("response_format", ("text", "srt", "vtt")),
    "createTranslation": ("response_format", ("text", "srt", "vtt")),
}

# Operations whose answer is raw bytes although the spec declares JSON or nothing (an
# answer declared with a binary media type is recognised without this table).
BINARY_OPERATIONS: frozenset[str] = frozenset(
    {"downloadFile", "createSpeech", "RetrieveContainerFileContent"}
)


@dataclass(frozen=True)
class StandardArg:
    """An argument every generated method takes after the operation's own.

    The method passes it on by name: ``RequestSpec(..., <name>=<name>)``, so *name* is
    also the `RequestSpec` field it fills.

    Attributes:
        name: The argument, keyword-only, and the `RequestSpec` field.
        annotation: Its annotation in the signature.
        default: Its default value.
        imports: The names the annotation and the default use, from ``trio_openai._api``.
        doc: Its ``Args:`` line in the docstring, after ``name: ``.
    """

    name: str
    annotation: str
    default: str
    imports: tuple[str, ...]
    doc: str


# The standard arguments, in signature order: the one place the signature, the docstring,
# the request spec, the imports and the API reference take them from.
STANDARD_ARGS: tuple[StandardArg, ...] = (
    StandardArg(
        "extra_headers",
        "Headers | None",
        "None",
        ("Headers",),
        'Extra HTTP headers for this call (``""`` removes a default header).',
    ),
    StandardArg(
        "extra_query", "Query | None", "None", ("Query",), "Extra query parameters for this call."
    ),
    StandardArg(
        "extra_body",
        "Body | None",
        "None",
        ("Body",),
        "Extra JSON body fields for this call, merged over the generated ones.",
    ),
    StandardArg(
        "timeout",
        "float | None | NotGiven",
        "NOT_GIVEN",
        ("NOT_GIVEN", "NotGiven"),
        "A timeout in seconds for this call's network phases, instead of the client's.",
    ),
)


# Which `types/` module an operation's schemas belong to: resource path prefix -> module
# (longest prefix wins; otherwise the first resource segment, `types/chat.py`).
TYPE_AREAS: dict[tuple[str, ...], str] = {
    ("admin",): "admin",
    ("beta", "assistants"): "assistants",
    ("beta", "threads"): "assistants",  # one API (tag "Assistants"): threads, runs, steps
    ("beta", "chatkit"): "chatkit",
    ("beta", "realtime"): "realtime",
    ("beta", "responses"): "beta_responses",
}

# Areas other areas build on: a schema reached from several areas, all of them the hub or
# its clients, lives in the hub's module (`types/responses.py`), not in `types/shared.py`.
# Clients import their hub; a hub imports only `shared`; `shared` imports nothing.
TYPE_HUBS: dict[str, frozenset[str]] = {
    "responses": frozenset(
        {"conversations", "evals", "realtime", "containers", "vector_stores", "images"}
    ),
    "files": frozenset({"uploads"}),  # an upload completes into a file (`OpenAIFile`)
}

# Component schemas generated under another class name: schema -> class. The official
# SDK's `ResponseOutputText` is the Responses API's output text (`OutputTextContent`,
# see FRIENDLY_ALIASES); the spec's ChatKit schema of that name is its
# `ChatKitResponseOutputText`.
SCHEMA_RENAMES: dict[str, str] = {"ResponseOutputText": "ChatKitResponseOutputText"}

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


@dataclass(frozen=True)
class ResultOverloads:
    """A method whose result type follows the value of one argument: typed by overloads.

    Attributes:
        param: The argument's JSON name (``encoding_format``).
        default: The result when the argument is not given.
        results: The argument's values -> the result each gives (a generated type name,
            or ``str``); values not listed give the method's declared result.
        by_value: The request decodes into the value's result (its class differs at run
            time, as for base64 embeddings), instead of the declared result.
    """

    param: str
    default: str
    results: dict[str, str]
    by_value: bool = False


# Methods whose result follows an argument (`embeddings.create(encoding_format="base64")`
# gives base64 strings). Typed by overloads (`methods.MethodWriter`): float by default.
RESULT_OVERLOADS: dict[str, ResultOverloads] = {
    "createEmbedding": ResultOverloads(
        "encoding_format",
        "CreateEmbeddingResponse",
        {"float": "CreateEmbeddingResponse", "base64": "CreateEmbeddingResponseBase64"},
        by_value=True,
    ),
    "createTranscription": ResultOverloads(
        "response_format",
        "CreateTranscriptionResponseJson",
        {
            "json": "CreateTranscriptionResponseJson",
            "verbose_json": "CreateTranscriptionResponseVerboseJson",
            "diarized_json": "CreateTranscriptionResponseDiarizedJson",
            "text": "str",
            "srt": "str",
            "vtt": "str",
        },
    ),
    "createTranslation": ResultOverloads(
        "response_format",
        "CreateTranslationResponseJson",
        {
            "json": "CreateTranslationResponseJson",
            "verbose_json": "CreateTranslationResponseVerboseJson",
            "text": "str",
            "srt": "str",
            "vtt": "str",
        },
    ),
}

# Models generated as variants of another, with some fields retyped: variant ->
# (model, field -> type: ``str``, a generated name, or ``list[Name]``). The result of
# `RESULT_OVERLOADS` values whose answers differ in shape.
VARIANT_MODELS: dict[str, tuple[str, dict[str, str], str]] = {
    "EmbeddingBase64": (
        "Embedding",
        {"embedding": "str"},
        'An embedding as base64 (`encoding_format="base64"`): little-endian float32s.',
    ),
    "CreateEmbeddingResponseBase64": (
        "CreateEmbeddingResponse",
        {"data": "list[EmbeddingBase64]"},
        'The answer of `embeddings.create(encoding_format="base64")`.',
    ),
}

# Answer fields the spec marks required (or non-null) that real servers send as null or
# leave out: (model, JSON field) -> what was seen. Each is typed `X | None` with a default,
# so that what it can hold type-checks. The recorded traffic (../shared/realworld, replayed
# by tests/replay) shows most; compatible servers (LiteLLM, vLLM) the transcription ones.
_OMITTED = "left out in recorded traffic"
_NULL = "null in recorded traffic"
NULLABLE_FIELDS: dict[tuple[str, str], str] = {
    ("CreateTranscriptionResponseVerboseJson", "language"): "LiteLLM and vLLM send null",
    ("CreateTranscriptionResponseVerboseJson", "duration"): "LiteLLM and vLLM send null",
    ("CreateCompletionResponseChoice", "finish_reason"): "null on every chunk but the last",
    ("ListMessagesResponse", "first_id"): _NULL,
    ("ListMessagesResponse", "last_id"): _NULL,
    ("ListRunStepsResponse", "first_id"): _NULL,
    ("ListRunStepsResponse", "last_id"): _NULL,
    ("RunObject", "instructions"): _NULL,
    ("VectorStoreObject", "name"): _NULL,
    ("ChatCompletionResponseMessage", "refusal"): _OMITTED,
    ("CompletionUsage", "completion_tokens"): _OMITTED,
    ("CreateChatCompletionResponseChoice", "logprobs"): _OMITTED,
    ("CreateModerationResponseResult", "category_applied_input_types"): _OMITTED,
    ("CreateModerationResponseResultCategories", "illicit"): _OMITTED,
    ("CreateModerationResponseResultCategories", "illicit/violent"): _OMITTED,
    ("CreateModerationResponseResultCategoryScores", "illicit"): _OMITTED,
    ("CreateModerationResponseResultCategoryScores", "illicit/violent"): _OMITTED,
    ("FineTuningJob", "seed"): _OMITTED,
    ("FineTuningJobError", "code"): _OMITTED,
    ("FineTuningJobError", "message"): _OMITTED,
    ("FineTuningJobError", "param"): _OMITTED,
    ("ListFilesResponse", "first_id"): _OMITTED,
    ("ListFilesResponse", "has_more"): _OMITTED,
    ("ListFilesResponse", "last_id"): _OMITTED,
    ("MessageObject", "attachments"): _OMITTED,
    ("MessageObject", "completed_at"): _OMITTED,
    ("MessageObject", "incomplete_at"): _OMITTED,
    ("MessageObject", "incomplete_details"): _OMITTED,
    ("MessageObject", "status"): _OMITTED,
    ("OutputTextContent", "logprobs"): _OMITTED,
    ("ResponseFunctionCallArgumentsDoneEvent", "name"): _OMITTED,
    ("ResponseTextDeltaEvent", "logprobs"): _OMITTED,
    ("ResponseTextDoneEvent", "logprobs"): _OMITTED,
    ("ResponseUsageInputTokensDetails", "cache_write_tokens"): _OMITTED,
    ("RunObject", "incomplete_details"): _OMITTED,
    ("RunObject", "max_completion_tokens"): _OMITTED,
    ("RunObject", "max_prompt_tokens"): _OMITTED,
    ("RunObject", "parallel_tool_calls"): _OMITTED,
    ("RunObject", "required_action"): _OMITTED,
    ("RunObject", "response_format"): _OMITTED,
    ("RunObject", "tool_choice"): _OMITTED,
    ("RunObject", "truncation_strategy"): _OMITTED,
    ("RunObject", "usage"): _OMITTED,
    ("RunStepObject", "expired_at"): _OMITTED,
    ("RunStepObject", "metadata"): _OMITTED,
    ("ThreadObject", "tool_resources"): _OMITTED,
    ("VectorStoreFileObject", "usage_bytes"): _OMITTED,
    ("WebSearchActionSearchSource", "url"): _OMITTED,
    ("WebSearchToolCall", "action"): _OMITTED,
    # Older recordings of Responses streams have no `sequence_number`.
    **{
        (event, "sequence_number"): _OMITTED
        for event in (
            "ResponseCompletedEvent",
            "ResponseContentPartAddedEvent",
            "ResponseContentPartDoneEvent",
            "ResponseCreatedEvent",
            "ResponseFunctionCallArgumentsDeltaEvent",
            "ResponseFunctionCallArgumentsDoneEvent",
            "ResponseInProgressEvent",
            "ResponseOutputItemAddedEvent",
            "ResponseOutputItemDoneEvent",
            "ResponseTextDeltaEvent",
            "ResponseTextDoneEvent",
        )
    },
}

# Values real answers hold that a field's Literal lacks: (model, JSON field) -> values.
EXTRA_ENUM_VALUES: dict[tuple[str, str], tuple[str, ...]] = {
    ("WebSearchActionSearchSource", "type"): ("api",),
    ("VectorStoreFileBatchObject", "object"): ("vector_store.file_batch",),
}

# Answer fields the API sends that the spec does not declare (recorded traffic): model ->
# JSON field -> type (`str`, `int`, `float`, `bool`, `Any`). Declared optional, so that
# they read as attributes instead of `model_extra` entries. Legacy (v1 `file_ids`) and
# third-party proxy fields (OpenRouter's `provider`, `cost`) stay in `model_extra`.
EXTRA_FIELDS: dict[str, dict[str, str]] = {
    "Response": {
        "store": "bool",
        "billing": "Any",
        "frequency_penalty": "float",
        "presence_penalty": "float",
        "tool_usage": "Any",
    },
    **{
        event: {"obfuscation": "str"}
        for event in (
            "ResponseTextDeltaEvent",
            "ResponseFunctionCallArgumentsDeltaEvent",
            "ResponseReasoningSummaryTextDeltaEvent",
            "ResponseCodeInterpreterCallCodeDeltaEvent",
            "ResponseMCPCallArgumentsDeltaEvent",
        )
    },
    "RunObject": {"tool_resources": "Any", "reasoning_effort": "str"},
    "AssistantObject": {"reasoning_effort": "str"},
    "RunCompletionUsage": {"prompt_token_details": "Any", "completion_tokens_details": "Any"},
    "RunStepCompletionUsage": {
        "prompt_token_details": "Any",
        "completion_tokens_details": "Any",
    },
    "RunStepObject": {"expires_at": "int"},
    "ImageGenToolCall": {
        "background": "str",
        "output_format": "str",
        "quality": "str",
        "revised_prompt": "str",
        "size": "str",
    },
    "ImageGenTool": {"n": "int"},
    "WebSearchTool": {"return_token_budget": "Any", "search_content_types": "Any"},
    "WebSearchActionSearchSource": {"name": "str"},
    "FileSearchToolCallResult": {"vector_store_id": "str"},
    "ResponseLogProb": {"bytes": "Any"},
    "VectorStoreObject": {"description": "str"},
    "CustomToolCall": {"status": "str"},
    "CostsResult": {"organization_id": "str"},
    "FineTuningJob": {"user_provided_suffix": "str"},
}

# Hand-written mixins (trio_openai/_lib/_mixins.py) added to generated classes.
MIXINS: dict[str, tuple[str, ...]] = {
    "Response": ("ResponseMixin",),
    "BetaResponse": ("ResponseMixin",),
}


@dataclass(frozen=True)
class ResourceMixin:
    """A hand-written class a generated resource class inherits (before `Resource`).

    The mixin has ``__slots__ = ()`` and reaches the client through ``self._client``;
    its module must not import the generated resource modules (which import it).

    Attributes:
        module: Its module, relative to ``trio_openai`` (``_uploads``, ``realtime._connect``).
        name: The class name.
        methods: The methods it adds, for the API reference.
        docs: The page that documents them (relative to ``docs/``), if there is one
            (else their docstrings do).
        decorators: Generated methods of the resource that the mixin's module decorates
            instead of ``trio_openai._api``: (method, decorator) pairs. The builder stays
            generated; the decorator gives it more (``chat.completions.stream`` with a
            ``response_format`` type gives a parsed final).
    """

    module: str
    name: str
    methods: tuple[str, ...]
    docs: str | None = None
    decorators: tuple[tuple[str, str], ...] = ()


# Hand-written methods of generated resources: resource path -> mixins (first base first).
RESOURCE_MIXINS: dict[tuple[str, ...], tuple[ResourceMixin, ...]] = {
    ("realtime",): (
        ResourceMixin("realtime._connect", "RealtimeConnectMixin", ("connect",), "realtime.md"),
    ),
    ("beta", "realtime"): (
        ResourceMixin("realtime._connect", "BetaRealtimeConnectMixin", ("connect",), "realtime.md"),
    ),
    ("uploads",): (ResourceMixin("_lib._uploads", "UploadsHelpers", ("upload_file",)),),
    ("chat", "completions"): (
        ResourceMixin(
            "_lib._structured",
            "ChatCompletionsParse",
            ("parse",),
            decorators=(("stream", "chat_stream_method"),),
        ),
    ),
    ("responses",): (
        ResourceMixin(
            "_lib._structured",
            "ResponsesParse",
            ("parse",),
            decorators=(("stream", "responses_stream_method"),),
        ),
    ),
    ("files",): (ResourceMixin("_lib._polling", "FilesPolling", ("wait_for_processing",)),),
    ("vector_stores", "files"): (
        ResourceMixin(
            "_lib._polling",
            "VectorStoreFilesPolling",
            ("create_and_poll", "poll", "upload_and_poll"),
        ),
    ),
    ("vector_stores", "file_batches"): (
        ResourceMixin(
            "_lib._polling",
            "VectorStoreFileBatchesPolling",
            ("create_and_poll", "poll", "upload_and_poll"),
        ),
    ),
    ("beta", "threads", "runs"): (
        ResourceMixin("_lib._polling", "RunsPolling", ("create_and_poll", "poll")),
    ),
    ("videos",): (ResourceMixin("_lib._polling", "VideosPolling", ("create_and_poll", "poll")),),
    ("batches",): (ResourceMixin("_lib._polling", "BatchesPolling", ("poll",)),),
    ("fine_tuning", "jobs"): (ResourceMixin("_lib._polling", "FineTuningJobsPolling", ("poll",)),),
}


@dataclass(frozen=True)
class RootProperty:
    """A hand-written resource on `RootResources` (``client.webhooks``).

    Attributes:
        module: Its module, relative to ``trio_openai``.
        name: Its class: a `Resource` subclass, built with the client on first use.
        doc: The property's docstring.
    """

    module: str
    name: str
    doc: str


# Top-level resources no operation makes: attribute of the client -> its class.
ROOT_PROPERTIES: dict[str, RootProperty] = {
    "webhooks": RootProperty(
        "_lib._webhooks",
        "Webhooks",
        "Verify and decode webhook deliveries (hand-written, docs/webhooks.md).",
    ),
}

# Component schemas no operation reaches that are generated anyway: schema -> types module.
# The Realtime API's WebSocket events (`client.realtime.connect`, trio_openai/realtime/):
# the spec's unions of the GA events reach every event class.
EXTRA_SCHEMAS: dict[str, str] = {
    "RealtimeClientEvent": "realtime",
    "RealtimeServerEvent": "realtime",
}


# Models users send other than in an operation's request, that get request TypedDicts too:
# the Realtime API's client events (`connection.send({...})`), and the text part
# `{"type": "input_text", "text": ...}` whose dict the official SDK names
# `shared_params.DecisionQuestionInputText` and `live.DecisionInputTextParam` (same keys,
# both required; our spec has that shape only as ChatKit's `UserMessageInputText`).
PARAM_ROOTS: tuple[str, ...] = (
    "RealtimeClientEvent",
    "RealtimeBetaClientEvent",
    "UserMessageInputText",
)


@dataclass(frozen=True)
class EventUnion:
    """A union of event schemas the spec lists but never joins in a union.

    Attributes:
        area: The types module it lives in.
        prefix: Its members: every component schema named ``prefix + ...`` with a
            single-valued ``type`` (sorted by name).
        doc: The alias's docstring.
    """

    area: str
    prefix: str
    doc: str


# Unions the generator makes: alias name -> members. The beta Realtime API's events
# (`OpenAI-Beta: realtime=v1`, `client.beta.realtime.connect`) have schemas but no union.
EVENT_UNIONS: dict[str, EventUnion] = {
    "RealtimeBetaClientEvent": EventUnion(
        "realtime",
        "RealtimeBetaClientEvent",
        "A client event of the beta Realtime API, told apart by its `type`.",
    ),
    "RealtimeBetaServerEvent": EventUnion(
        "realtime",
        "RealtimeBetaServerEvent",
        "A server event of the beta Realtime API, told apart by its `type` "
        "(`client.beta.realtime.connect` decodes into it).",
    ),
}

# The events the spec's webhooks deliver go to `types/webhooks.py`, with their union under
# the official SDK's name (`trio_openai/_lib/_webhooks.py` decodes deliveries into it).
WEBHOOKS_AREA = "webhooks"
WEBHOOK_EVENTS_UNION = "UnwrapWebhookEvent"

# Types modules are named after the area of the operations that reach a schema
# (`types/chat.py`); schemas reached from several areas go to this module.
SHARED_MODULE = "shared"


def type_area(resource: tuple[str, ...]) -> str:
    """The `types/` module of an operation on *resource* (see `TYPE_AREAS`)."""
    for n in range(len(resource), 0, -1):
        if resource[:n] in TYPE_AREAS:
            return TYPE_AREAS[resource[:n]]
    return resource[0]


def stream_method_name(name: str) -> str:
    """The name of the streaming twin of method *name* (see the module docstring)."""
    return "stream" if name == "create" else f"{name}_stream"


def method_name_for(
    operation_id: str, method: str, path: str, *, returns_page: bool, singleton: bool = False
) -> tuple[tuple[str, ...], str]:
    """The resource path and method name of an operation (see the module docstring).

    Args:
        operation_id: The spec's operationId.
        method: The HTTP method.
        path: The spec's path key (``?beta=true`` included).
        returns_page: The operation is a GET answering a page (an object with a ``data`` list).
        singleton: The path ends with a literal and its GET answers one object, not a page.
    """
    if operation_id.startswith(BETA_PREFIX) and "?beta=true" in path:
        resource, name = method_name_for(
            operation_id.removeprefix(BETA_PREFIX),
            method,
            path.split("?", 1)[0],
            returns_page=returns_page,
            singleton=singleton,
        )
        return ("beta", *resource), name
    if operation_id in OVERRIDES:
        return OVERRIDES[operation_id]
    segments = [s for s in path.split("?", 1)[0].strip("/").split("/") if s]
    is_param = [s.startswith("{") for s in segments]
    literals = [s for s in segments if not s.startswith("{")]
    method = method.upper()
    action: str | None = None
    if not is_param[-1] and len(segments) >= 2 and segments[-1] in ACTION_VERBS:
        action = literals.pop()
    resource = tuple(literals)
    if resource and resource[0] in RESOURCE_PREFIXES:
        resource = RESOURCE_PREFIXES[resource[0]] + resource[1:]
    if action is not None:
        return resource, action
    if not is_param[-1] and resource[:-1] in METHOD_GROUPS:
        return resource[:-1], resource[-1]
    if is_param[-1] or singleton:
        name = {"GET": "retrieve", "POST": "update", "PUT": "update", "DELETE": "delete"}[method]
    elif method == "GET":
        name = "list" if returns_page else "retrieve"
    else:
        name = {"POST": "create", "DELETE": "delete", "PUT": "update"}[method]
    return resource, name
