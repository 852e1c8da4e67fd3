"""The pipeline: from the spec to the text of every generated file, before formatting.

`generate` reads the spec (`spec`), picks the operations (`names`), builds the type
model of every schema they reach (`schema`), and asks the writers for the text of
``trio_openai/types/`` (`types`), ``trio_openai/resources/`` (`resources`) and
``docs/api/`` (`docs`). It writes nothing and runs nothing: ``tools/generate.py``
formats the text with ruff and writes or checks the files.
"""

from __future__ import annotations

from pathlib import Path

from .docs import DOCS_HEADER, DocsWriter
from .names import (
    EVENT_UNIONS,
    EXTRA_SCHEMAS,
    SKIPPED_OPERATIONS,
    STREAMS,
    VARIANT_MODELS,
    WEBHOOK_EVENTS_UNION,
    WEBHOOKS_AREA,
)
from .official import load as load_official
from .official import write_package
from .params import ParamsWriter, params_module
from .resources import ResourcesWriter, build_tree
from .schema import SchemaModel, union
from .spec import (
    Operation,
    beta_headers,
    build_operation,
    event_schemas,
    iter_operations,
    load_spec,
    reached_schemas,
    singleton_paths,
    webhook_events,
)
from .types import HEADER, TypesWriter, write_init


def generate(spec_file: Path, operation_ids: tuple[str, ...] | None = None) -> dict[str, str]:
    """Every generated file: repository-relative path -> unformatted text.

    Args:
        spec_file: The OpenAPI spec.
        operation_ids: The operations to generate; all but `SKIPPED_OPERATIONS` when None.
    """
    spec = load_spec(spec_file)
    all_ops = iter_operations(spec)
    if operation_ids is None:
        operation_ids = tuple(o for o in all_ops if o not in SKIPPED_OPERATIONS)
    unknown = [o for o in operation_ids if o not in all_ops]
    if unknown:
        msg = f"operations not in the spec: {unknown}"
        raise SystemExit(msg)

    model = SchemaModel(spec)
    singletons = singleton_paths(spec)
    operations: list[Operation] = []
    for operation_id in operation_ids:
        method, path, op = all_ops[operation_id]
        operations.append(
            build_operation(model, operation_id, method, path, op, singletons=singletons)
        )

    beta_headers(operations)

    schema_areas: dict[str, set[str]] = {}
    owner_areas: dict[str, str] = {}
    for operation in operations:
        owner_areas[operation.operation_id] = operation.area
        stream = STREAMS.get(operation.operation_id)
        extra = (stream.event,) if stream is not None else ()
        for name in reached_schemas(spec, operation.raw, extra):
            schema_areas.setdefault(name, set()).add(operation.area)
    events = webhook_events(spec)
    for webhook in spec.get("webhooks", {}).values():
        for name in reached_schemas(spec, webhook["post"], ()):
            schema_areas.setdefault(name, set()).add(WEBHOOKS_AREA)
    for root, area in EXTRA_SCHEMAS.items():
        for name in reached_schemas(spec, {}, (root,)):
            schema_areas.setdefault(name, set()).add(area)
    unions = {name: event_schemas(spec, u.prefix) for name, u in EVENT_UNIONS.items()}
    for name, members in unions.items():
        for member in members:
            for reached in reached_schemas(spec, {}, (member,)):
                schema_areas.setdefault(reached, set()).add(EVENT_UNIONS[name].area)
    for name in sorted(schema_areas):
        model.ensure(name)
    for name, (base, retyped, doc) in VARIANT_MODELS.items():
        model.add_variant(name, base, retyped, doc)
    model.check_tables()
    for name, members in unions.items():
        model.add_alias(name, EVENT_UNIONS[name].doc, union(*(model.ref_type(m) for m in members)))
        owner_areas[name] = EVENT_UNIONS[name].area
    model.add_alias(
        WEBHOOK_EVENTS_UNION,
        "A webhook event, told apart by its `type` (`client.webhooks.unwrap` decodes into it).",
        union(*(model.ref_type(e) for e in events)),
    )
    owner_areas[WEBHOOK_EVENTS_UNION] = WEBHOOKS_AREA

    header = HEADER.format(spec_name=spec_file.name, version=spec["info"]["version"])
    files: dict[str, str] = {}
    types = TypesWriter(model, schema_areas, owner_areas)
    params = ParamsWriter(types, operations)
    param_modules = params.modules()
    model_modules = types.modules()
    official = load_official(
        {**types.module_of, **params.module_of},
        {*model_modules, *param_modules},
        params.name_of,
    )
    as_packages = official.package_modules(set(model_modules))
    for module, names in model_modules.items():
        lazy = {n: (params_module(module), n) for n in param_modules.get(params_module(module), [])}
        lazy.update(official.in_module.get(module, {}))
        path = f"{module}/__init__" if module in as_packages else module
        files[f"trio_openai/types/{path}.py"] = types.write_module(
            module,
            names,
            header,
            lazy,
            package=module in as_packages,
            unions=official.unions.get(module),
            lists=official.lists,
            field_aliases=official.field_aliases.get(module),
        )
    for module, names in param_modules.items():
        files[f"trio_openai/types/{module}.py"] = params.write_module(
            module,
            names,
            header,
            official.in_module.get(module),
            official.unions.get(module),
            official.lists,
        )
    packages = dict(official.packages)
    for package in official.unions:
        if package not in model_modules and package not in param_modules:
            packages.setdefault(package, {})
    for package in list(packages):  # every level of an alias package exists
        parts = package.split(".")
        for n in range(1, len(parts)):
            if ".".join(parts[:n]) not in model_modules:
                packages.setdefault(".".join(parts[:n]), {})
    for package, names in sorted(packages.items()):
        path = package.replace(".", "/")
        files[f"trio_openai/types/{path}/__init__.py"] = write_package(
            package, names, header, official.unions.get(package), official.lists
        )
    files["trio_openai/types/__init__.py"] = write_init(
        types, header, params.module_of, official.top
    )

    resources = ResourcesWriter(types, params)
    roots = build_tree(operations)
    for top, node in roots.items():
        files[f"trio_openai/resources/{top}.py"] = resources.write_module(node, header)
    files["trio_openai/resources/_root.py"] = resources.write_root(roots, header)
    files["trio_openai/resources/_operations.py"] = resources.write_operations(operations, header)
    files["trio_openai/resources/__init__.py"] = (
        header + '"""The API\'s resources (generated): see `_root.RootResources`."""\n'
    )
    docs_header = DOCS_HEADER.format(spec_name=spec_file.name, version=spec["info"]["version"])
    files.update(DocsWriter(resources.signatures, docs_header).pages(roots))
    return files
