"""The sync wing: the blocking client, over a Trio loop in a background thread.

- ``_portal.py``: the `Portal`, the loop thread that runs calls for other threads.
- ``_client.py``: `SyncClient`.
- ``_methods.py``: the blocking twins of the API method descriptors.
- ``_results.py``: blocking streams, paginators and held values.

May import ``_api`` and everything below it. ``_api`` never imports this wing: a
resource in the sync tree holds a `Portal`, and the portal provides the twins.
"""
