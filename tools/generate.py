"""Generate ``trio_openai/types/``, ``trio_openai/resources/`` and ``docs/api/`` from the spec.

Usage::

    python tools/generate.py          # regenerate, in place
    python tools/generate.py --check  # exit 1 if the committed files differ
    python tools/generate.py --all-into DIR  # preview: the same output, into DIR

The spec is ``../shared/openapi/openai-openapi.yaml`` beside the repository
(``OPENAI_OPENAPI_SPEC`` overrides it); it is never copied into the repo. Which
operations are generated, how methods are named and the other tables are in
``tools/codegen/names.py``; the generator itself is the ``tools/codegen/`` package
(its ``__init__`` lists the modules). This script is the command line: it formats
the generated text with ``ruff`` (safe fixes, then ``ruff format``) through stdin,
with the project's configuration and the file's real path, so the output is
byte-for-byte reproducible, then writes the files or compares them.
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

from codegen.build import generate
from codegen.spec import REPO, spec_path

# Generated directories and the files in them that are generated.
GENERATED_DIRS = {"trio_openai/types": "*.py", "trio_openai/resources": "*.py", "docs/api": "*.md"}


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
