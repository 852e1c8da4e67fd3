"""The code generator: the OpenAPI spec in, the text of the generated files out.

``tools/generate.py`` is the command line (format with ruff, write or ``--check``);
this package writes nothing to disk. One module per step, in the order they run:

- ``names.py``: **the tables**: which operations, how methods and types are named,
  streams, binary answers, type areas, hand-written mixins; and the naming rule.
- ``spec.py``: reading the spec: operations, their parameters, pagination, the
  schemas they reach.
- ``schema.py``: JSON schemas -> the type model (classes, aliases, type expressions).
- ``types.py``: writing ``trio_openai/types/``.
- ``signature.py``: what a method takes and gives (names, parameter order,
  annotations, result types), shared by the code and the reference.
- ``docstrings.py``: a method's docstring.
- ``methods.py``: writing one method (signature, docstring, the body that builds
  its request spec).
- ``resources.py``: writing ``trio_openai/resources/`` (the tree, modules, classes,
  ``_root.py``, ``_operations.py``).
- ``docs.py``: writing ``docs/api/``, the API reference.
- ``build.py``: the pipeline that runs them: spec file -> every generated file's text.

Modules import only from earlier ones (``names`` imports none of them). The generated
code imports its runtime names only from ``trio_openai._api``.
"""
