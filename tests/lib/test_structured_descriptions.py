"""Descriptions in strict schemas and function tools: docstrings, field metadata, Args: sections."""

from __future__ import annotations

import dataclasses
from typing import Annotated, Any, TypedDict

import attrs
import pytest
from typing_extensions import Doc, NotRequired

import trio_openai
from trio_openai._lib._schema import strict_schema


@attrs.frozen
class Place:
    """A place on the map.

    Longer text stays (the model reads it).
    """

    name: Annotated[str, Doc("Its common name.")]
    country: str = attrs.field(metadata={"description": "ISO 3166 alpha-2."})
    note: Annotated[str | None, "Anything else."] = None


@dataclasses.dataclass
class Trip:
    """A trip."""

    places: list[Place] = dataclasses.field(metadata={"description": "In visiting order."})
    home: Place | None = dataclasses.field(default=None, metadata={"description": "Ignored."})


@dataclasses.dataclass
class Bare:
    n: int


class Budget(TypedDict):
    """A budget."""

    amount: Annotated[float, Doc("In euros.")]
    cap: NotRequired[Annotated[int, "A hard cap."]]


def test_class_docstrings_and_field_descriptions() -> None:
    """Docstrings describe objects; Doc, a plain string, attrs and dataclass metadata fields."""
    schema = strict_schema(Trip)
    assert schema["description"] == "A trip."
    assert schema["properties"]["places"] == {
        "type": "array",
        "items": {"$ref": "#/$defs/Place"},
        "description": "In visiting order.",
    }
    place = schema["$defs"]["Place"]
    assert place["description"] == "A place on the map.\n\nLonger text stays (the model reads it)."
    assert place["properties"] == {
        "name": {"type": "string", "description": "Its common name."},
        "country": {"type": "string", "description": "ISO 3166 alpha-2."},
        "note": {"type": ["string", "null"], "description": "Anything else."},
    }
    assert place["required"] == ["name", "country", "note"]


def test_a_class_field_is_a_bare_ref() -> None:
    """A field whose type is a class stays a bare $ref (no keyword beside it): its class says it."""
    home = strict_schema(Trip)["properties"]["home"]
    assert home == {
        "anyOf": [{"$ref": "#/$defs/Place"}, {"type": "null"}],
        "description": "Ignored.",
    }

    @attrs.frozen
    class Holder:
        """Holds a place."""

        place: Place = attrs.field(metadata={"description": "Not sent."})

    assert strict_schema(Holder)["properties"]["place"] == {"$ref": "#/$defs/Place"}


def test_no_docstring_no_description() -> None:
    """A dataclass's generated doc is not a description; a class without one has none."""
    assert "description" not in strict_schema(Bare)
    assert strict_schema(Bare)["properties"] == {"n": {"type": "integer"}}


def test_typeddict_annotated_descriptions_through_not_required() -> None:
    """TypedDict keys take Annotated descriptions, NotRequired included (and stay required)."""
    schema = strict_schema(Budget)
    assert schema == {
        "type": "object",
        "properties": {
            "amount": {"type": "number", "description": "In euros."},
            "cap": {"type": "integer", "description": "A hard cap."},
        },
        "required": ["amount", "cap"],
        "additionalProperties": False,
        "description": "A budget.",
    }


def test_pydantic_docstring_and_field_description() -> None:
    """A pydantic model: its docstring and Field(description=...) are the descriptions."""
    pydantic = pytest.importorskip("pydantic")

    class Order(pydantic.BaseModel):  # type: ignore[misc,name-defined]
        """An order."""

        id: int = pydantic.Field(description="The order's number.")
        label: str | None = pydantic.Field(default=None, alias="Label")

    assert strict_schema(Order) == {
        "type": "object",
        "properties": {
            "id": {"type": "integer", "description": "The order's number."},
            "Label": {"type": ["string", "null"]},
        },
        "required": ["id", "Label"],
        "additionalProperties": False,
        "description": "An order.",
    }


def search(query: str, limit: int, *, exact: bool | None = None) -> list[str]:
    """Search the catalogue
    for products.

    Results come best first.

    Args:
        query (str): What to look for; words
            are and-ed.
        limit: How many results, at most.

    Returns:
        The product ids.
    """
    del query, limit, exact
    return []


def test_function_tool_takes_summary_and_args_descriptions() -> None:
    """A function's summary paragraph is the description; Args: entries describe parameters."""
    tool = trio_openai.function_tool(search)
    function = dict(tool)["function"]
    assert function["description"] == "Search the catalogue for products."
    assert tool.description == "Search the catalogue for products."
    assert function["parameters"]["properties"] == {
        "query": {"type": "string", "description": "What to look for; words are and-ed."},
        "limit": {"type": "integer", "description": "How many results, at most."},
        "exact": {"type": ["boolean", "null"]},
    }
    assert "description" not in function["parameters"]


def test_function_tool_of_a_class_takes_its_docstring_once() -> None:
    """A class tool's description is its docstring, not repeated in its parameters' object."""
    tool = trio_openai.function_tool(Place)
    function = dict(tool)["function"]
    assert function["description"] == strict_schema(Place)["description"]
    assert "description" not in function["parameters"]
    assert function["parameters"]["properties"]["name"]["description"] == "Its common name."
    other = trio_openai.function_tool(Place, description="Find a place.")
    assert (
        dict(other)["function"]["parameters"]["description"] == strict_schema(Place)["description"]
    )


def test_for_responses_and_back() -> None:
    """for_responses() is the flat shape of the same tool; for_chat() gives the original back."""
    tool = trio_openai.function_tool(search, name="find")
    flat = tool.for_responses()
    assert flat.api == "responses"
    chat_function: dict[str, Any] = dict(tool)["function"]
    assert dict(flat) == {"type": "function", **chat_function}
    assert flat.name == "find"
    assert flat.parse_arguments('{"query": "q", "limit": 2, "exact": null}') == {
        "query": "q",
        "limit": 2,
        "exact": None,
    }
    assert flat.for_responses() is flat
    assert flat.for_chat() == tool
    assert tool.for_chat() is tool
