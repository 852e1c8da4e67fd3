"""Generate ``trio_openai/types/``, ``trio_openai/resources/`` and ``docs/api/`` from the spec.

Usage::

    python tools/generate.py          # regenerate, in place
    python tools/generate.py --check  # exit 1 if the committed files differ
    python tools/generate.py --all-into DIR  # preview: the same output, into DIR

The spec is ``../shared/openapi/openai-openapi.yaml`` beside the repository
(``OPENAI_OPENAPI_SPEC`` overrides it); it is never copied into the repo. Which
operations are generated, how methods are named and the other tables are in
``tools/_gen_names.py``. The output is formatted with ``ruff`` (safe fixes,
then ``ruff format``) through stdin, with the project's configuration and the
file's real path, so it is byte-for-byte reproducible.
"""

from __future__ import annotations

import argparse
import difflib
import os
import shutil
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _gen_docs import DOCS_HEADER, DocsWriter
from _gen_names import (
    EVENT_UNIONS,
    EXTRA_SCHEMAS,
    SKIPPED_OPERATIONS,
    STREAMS,
    WEBHOOK_EVENTS_UNION,
    WEBHOOKS_AREA,
)
from _gen_resources import ResourcesWriter, build_tree
from _gen_schema import SchemaModel, union
from _gen_spec import (
    REPO,
    Operation,
    build_operation,
    event_schemas,
    iter_operations,
    load_spec,
    reached_schemas,
    singleton_paths,
    spec_path,
    webhook_events,
)
from _gen_types import HEADER, TypesWriter, write_init

# Generated directories and the files in them that are generated.
GENERATED_DIRS = {"trio_openai/types": "*.py", "trio_openai/resources": "*.py", "docs/api": "*.md"}


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
    for module, names in types.modules().items():
        files[f"trio_openai/types/{module}.py"] = types.write_module(module, names, header)
    files["trio_openai/types/__init__.py"] = write_init(types, header)

    resources = ResourcesWriter(types)
    roots = build_tree(operations)
    for name, root in roots.items():
        files[f"trio_openai/resources/{name}.py"] = resources.write_module(root, header)
    files["trio_openai/resources/_root.py"] = resources.write_root(roots, header)
    files["trio_openai/resources/_operations.py"] = resources.write_operations(operations, header)
    files["trio_openai/resources/__init__.py"] = (
        header + '"""The API\'s resources (generated): see `_root.RootResources`."""\n'
    )
    docs_header = DOCS_HEADER.format(spec_name=spec_file.name, version=spec["info"]["version"])
    files.update(DocsWriter(resources, docs_header).pages(roots))
    return files


def _ruff(args: list[str], path: str, text: str) -> str:
    ruff = shutil.which("ruff", path=str(Path(sys.executable).parent)) or "ruff"
    result = subprocess.run(
        [ruff, *args, "--stdin-filename", path, "-"],
        input=text,
        capture_output=True,
        text=True,
        cwd=REPO,
        check=False,
    )
    if result.returncode not in (0, 1) or not result.stdout:
        msg = f"ruff {' '.join(args)} failed on {path}:\n{result.stderr}"
        raise SystemExit(msg)
    return result.stdout


def format_file(path: str, text: str) -> str:
    if not path.endswith(".py"):
        return text
    text = _ruff(["check", "--fix-only", "--exit-zero", "--quiet"], path, text)
    return _ruff(["format", "--quiet"], path, text)


def existing_files() -> dict[str, str]:
    out: dict[str, str] = {}
    for d, pattern in GENERATED_DIRS.items():
        for file in sorted((REPO / d).rglob(pattern)):
            out[file.relative_to(REPO).as_posix()] = file.read_text(encoding="utf-8")
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument(
        "--check",
        action="store_true",
        help="regenerate into a temporary directory and fail if the committed files differ",
    )
    parser.add_argument(
        "--all-into",
        metavar="DIR",
        type=Path,
        help="generate into DIR instead of the repository (a preview; the repo is untouched)",
    )
    args = parser.parse_args(argv)
    spec_file = spec_path()
    if not spec_file.is_file():
        print(f"spec not found: {spec_file} (set OPENAI_OPENAPI_SPEC)", file=sys.stderr)
        return 2
    generated = generate(spec_file)
    # ruff runs once per file (stdin, the file's real path, the project's configuration):
    # run those in parallel.
    with ThreadPoolExecutor(max_workers=os.cpu_count() or 2) as pool:
        formatted = pool.map(format_file, generated, generated.values())
        files = dict(zip(generated, formatted, strict=True))

    if args.all_into:
        for path, text in files.items():
            target = args.all_into / path
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text, encoding="utf-8")
        print(f"wrote {len(files)} files into {args.all_into}")
        return 0

    if args.check:
        with tempfile.TemporaryDirectory() as tmp:
            for path, text in files.items():
                target = Path(tmp) / path
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_text(text, encoding="utf-8")
            current = existing_files()
            bad = sorted(set(current) ^ set(files)) + sorted(
                p for p in set(current) & set(files) if current[p] != files[p]
            )
            for path in bad:
                diff = difflib.unified_diff(
                    current.get(path, "").splitlines(keepends=True),
                    files.get(path, "").splitlines(keepends=True),
                    f"committed/{path}",
                    f"generated/{path}",
                )
                sys.stderr.writelines(list(diff)[:40])
            if bad:
                print(
                    f"{len(bad)} generated file(s) out of date; run `python tools/generate.py`",
                    file=sys.stderr,
                )
                return 1
        print(f"{len(files)} generated files are up to date")
        return 0

    stale = set(existing_files()) - set(files)
    for path in sorted(stale):
        (REPO / path).unlink()
    for path, text in files.items():
        target = REPO / path
        target.parent.mkdir(parents=True, exist_ok=True)
        if not target.is_file() or target.read_text(encoding="utf-8") != text:
            target.write_text(text, encoding="utf-8")
    print(f"wrote {len(files)} files ({len(stale)} stale removed)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
