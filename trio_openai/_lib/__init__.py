"""Hand-written API surface grafted into generated classes (openai-python's ``lib/`` rule).

- ``_uploads.py``: ``client.uploads.upload_file`` (a mixin of the generated ``Uploads``).
- ``_webhooks.py``: ``client.webhooks`` (verify and unwrap deliveries).
- ``_structured.py``: ``chat.completions.parse`` and ``responses.parse`` (mixins), with
  ``_schema.py`` (strict JSON Schemas), ``_parsing.py`` (parsed results) and ``_tools.py``
  (``function_tool``).
- ``_mixins.py``: conveniences mixed into generated models (``Response.output_text``).

The generator names these in its ``MIXINS`` tables; generated code is never edited
by hand. May import ``_api`` and everything below it.
"""
