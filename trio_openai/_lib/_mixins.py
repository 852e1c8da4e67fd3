"""Hand-written conveniences mixed into generated models.

The generator (``tools/generate.py``, table ``MIXINS``) adds a mixin from here
to the bases of the named generated class. A mixin has ``__slots__ = ()`` so
the model stays slotted, and reads the model's fields by duck typing so that it
never imports the generated modules (which import it).
"""

from __future__ import annotations

from typing import Any

__all__ = ["ResponseMixin"]


class ResponseMixin:
    """Conveniences of the Responses API's `Response` object."""

    __slots__ = ()

    @property
    def output_text(self) -> str:
        """The response's text: its ``message`` items' ``output_text`` parts, joined.

        Empty when the response has no text output (only tool calls, or an
        unknown kind of item). This matches ``Response.output_text`` of the
        official SDK.
        """
        output: Any = getattr(self, "output", None) or ()
        texts: list[str] = []
        for item in output:
            if getattr(item, "type", None) != "message":
                continue
            for part in getattr(item, "content", None) or ():
                if getattr(part, "type", None) == "output_text":
                    text = getattr(part, "text", None)
                    if isinstance(text, str):
                        texts.append(text)
        return "".join(texts)
