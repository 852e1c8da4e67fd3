"""Hand-written API surface grafted into generated classes (openai-python's ``lib/`` rule).

- ``_uploads.py``: ``client.uploads.upload_file`` (a mixin of the generated ``Uploads``).
- ``_webhooks.py``: ``client.webhooks`` (verify and unwrap deliveries).
- ``_structured.py``: ``chat.completions.parse`` and ``responses.parse`` (mixins), with
  ``_schema.py`` (strict JSON Schemas), ``_parsing.py`` (parsed results) and ``_tools.py``
  (``function_tool``).
- ``_streams.py``: ``chat.completions.stream(response_format=T)`` and
  ``responses.stream(text_format=T)``: the stream twins with parsed finals.
- ``_arguments.py``: a structured call's arguments in each API's shape (``parse`` and
  ``stream`` share it).
- ``_polling.py``: the polling helpers (``wait_for_processing``, ``poll``,
  ``create_and_poll``, ``upload_and_poll``: mixins), over ``_poll_loop.py`` (the one
  loop, its interval, the uploads).
- ``_mixins.py``: conveniences mixed into generated models (``Response.output_text``).

The generator names these in its ``MIXINS`` tables; generated code is never edited
by hand. May import ``_api`` and everything below it.
"""
