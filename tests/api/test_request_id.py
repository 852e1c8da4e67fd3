"""``result._request_id``: the x-request-id of the answer, on every decoded result."""

from __future__ import annotations

import copy
import pickle

import attrs
import httpx2

from tests._support import mock_client
from trio_openai._models import request_id_of, set_request_id
from trio_openai.types import Model
from trio_openai.types.chat import CreateChatCompletionResponse

CHAT = {
    "id": "chatcmpl-1",
    "object": "chat.completion",
    "created": 1,
    "model": "gpt-4o-mini",
    "choices": [
        {
            "index": 0,
            "finish_reason": "stop",
            "logprobs": None,
            "message": {"role": "assistant", "content": "Hi", "refusal": None},
        }
    ],
}


def _answer(request: httpx2.Request) -> httpx2.Response:
    headers = {} if request.url.path.endswith("/anon") else {"x-request-id": "req_abc"}
    return httpx2.Response(200, json=CHAT, headers=headers)


async def test_a_generated_method_result_carries_the_request_id() -> None:
    """create()'s result has _request_id; nested models do not (only the result is an answer)."""
    async with mock_client(_answer) as (client, _):
        chat = await client.chat.completions.create(
            model="gpt-4o-mini", messages=[{"role": "user", "content": "Hi"}]
        )
    assert isinstance(chat, CreateChatCompletionResponse)
    assert chat._request_id == "req_abc"
    assert chat.choices[0].message._request_id is None


async def test_raw_parse_and_escape_hatch_results_carry_it_too() -> None:
    """with_raw_response(...).parse() and client.get(cast_to=...) have it; no header, None."""
    async with mock_client(_answer) as (client, _):
        raw = await client.chat.completions.create.with_raw_response(
            model="gpt-4o-mini", messages=[{"role": "user", "content": "Hi"}]
        )
        hatch = await client.get("/chat", cast_to=CreateChatCompletionResponse)
        anon = await client.get("/anon", cast_to=CreateChatCompletionResponse)
    assert raw.parse()._request_id == raw.request_id == "req_abc"
    assert hatch._request_id == "req_abc"
    assert anon._request_id is None


async def test_the_request_id_takes_no_part_in_eq_hash_repr_to_dict_or_pickle() -> None:
    """Answers differing only by request id are equal, same repr and dict; pickle works."""
    async with mock_client(_answer) as (client, _):
        one = await client.get("/chat", cast_to=CreateChatCompletionResponse)
        other = await client.get("/anon", cast_to=CreateChatCompletionResponse)
    assert one == other
    assert repr(one) == repr(other)
    assert "req_abc" not in repr(one)
    assert one.to_dict() == other.to_dict() == CHAT
    restored = pickle.loads(pickle.dumps(one))
    assert restored == one
    assert restored._request_id is None  # a copy is not the answer to a request
    assert copy.copy(one)._request_id is None
    assert attrs.evolve(one, id="x")._request_id is None


def test_models_built_in_code_have_none_and_plain_values_are_left_alone() -> None:
    """A model made in code reads None; set_request_id ignores what is not a model."""
    model = Model(id="m", created=1, object="model", owned_by="me")
    assert model._request_id is None
    set_request_id(model, "req_1")
    assert request_id_of(model) == model._request_id == "req_1"
    assert hash(model) == hash(Model(id="m", created=1, object="model", owned_by="me"))
    data = {"a": 1}
    set_request_id(data, "req_1")
    assert data == {"a": 1}
    assert request_id_of(data) is None
