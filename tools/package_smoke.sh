#!/usr/bin/env bash
# Packaging smoke test: `bash tools/package_smoke.sh [-v]` (`bash tools/dev.sh package`, CI).
#
# 1. `python -m build` makes the sdist, then the wheel *from the sdist*: that the wheel
#    builds proves the sdist holds what a build needs.
# 2. Their contents: the wheel has py.typed, the generated packages (trio_openai/types,
#    trio_openai/resources) and every module of the checkout; the sdist has the build's
#    inputs and none of .venv, site/, caches, bytecode or .git.
# 3. For EACH artefact, a fresh venv (uv when it exists, else python -m venv) with the
#    artefact installed (dependencies from the configured package index), used from an
#    empty directory outside the checkout, with OPENAI_API_KEY and OPENAI_BASE_URL unset:
#    `import trio_openai` comes from the venv and its __version__ is pyproject's; the
#    pytest plugin is registered; `trio-openai --help` works; `trio-openai demo` runs to
#    completion on the embedded fake server; a tiny script makes a call through
#    `trio_openai.testing.FakeOpenAI`.
#
# Quiet on success (no output, exit 0); -v prints each step and its time. On failure it
# names the step and the artefact, shows that step's output, and exits 1.
# Environment: PYTHON (the interpreter that builds and bases the venvs; default
# .venv/bin/python, which has `build`), KEEP=1 keeps the work directory.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD

VERBOSE=0
case "${1:-}" in
    -v | --verbose) VERBOSE=1 ;;
    "") ;;
    *)
        echo "usage: bash tools/package_smoke.sh [-v]" >&2
        exit 2
        ;;
esac

PY=${PYTHON:-$ROOT/.venv/bin/python}
export UV_PYTHON_DOWNLOADS=never # never fetch a Python build: use the one given
export PIP_DISABLE_PIP_VERSION_CHECK=1
HAVE_UV=0
command -v uv >/dev/null 2>&1 && HAVE_UV=1

WORK=$(mktemp -d "${TMPDIR:-/tmp}/trio-openai-package.XXXXXX")
cleanup() {
    if [[ ${KEEP:-} == 1 ]]; then
        echo "work directory kept: $WORK" >&2
    else
        rm -rf "$WORK"
    fi
}
trap cleanup EXIT
LOG=$WORK/step.log
T0=$SECONDS

fail() {
    {
        echo "package smoke test FAILED: $1"
        if [[ -s $LOG ]]; then
            echo "---- output of that step (last 60 lines):"
            tail -n 60 "$LOG"
            echo "----"
            echo "(KEEP=1 keeps the work directory for a closer look)"
        fi
    } >&2
    exit 1
}

# step DESCRIPTION CMD...: run CMD with its output in $LOG; stop at the first failure.
step() {
    local what=$1 start=$SECONDS
    shift
    if ! "$@" >"$LOG" 2>&1; then
        fail "$what"
    fi
    if ((VERBOSE)); then
        printf 'ok  %3ds  %s\n' "$((SECONDS - start))" "$what"
    fi
}

[[ -x $PY ]] || fail "no Python at $PY (run bash tools/dev.sh package, or set PYTHON)"
step "python -m build is available" "$PY" -m build --version

# ------------------------------------------------------------------- build
DIST=$WORK/dist
BUILD_ARGS=(--outdir "$DIST")
((HAVE_UV)) && BUILD_ARGS+=(--installer uv)
step "build sdist, then wheel from the sdist" timeout 300 "$PY" -m build "${BUILD_ARGS[@]}" "$ROOT"

shopt -s nullglob
wheels=("$DIST"/*.whl)
sdists=("$DIST"/*.tar.gz)
shopt -u nullglob
((${#wheels[@]} == 1 && ${#sdists[@]} == 1)) \
    || fail "expected one wheel and one sdist in $DIST, found: $(ls "$DIST")"
WHEEL=${wheels[0]}
SDIST=${sdists[0]}

# The checkout's modules (tracked and new, not ignored), which the wheel must all carry.
MODULES=$WORK/modules.txt
if git -C "$ROOT" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
    git -C "$ROOT" ls-files --cached --others --exclude-standard -- 'trio_openai/*.py' \
        'trio_openai/py.typed' >"$MODULES"
else
    (cd "$ROOT" && find trio_openai -name '*.py' -o -name py.typed) >"$MODULES"
fi
# Only files that still exist (a deleted, uncommitted file is not expected).
(cd "$ROOT" && while read -r f; do [[ -f $f ]] && echo "$f"; done <"$MODULES") >"$MODULES.new"
mv "$MODULES.new" "$MODULES"

step "artefact contents (wheel: typed, generated packages; sdist: clean)" \
    "$PY" - "$WHEEL" "$SDIST" "$MODULES" "$ROOT/pyproject.toml" <<'PYTHON'
import re
import sys
import tarfile
import zipfile
from pathlib import Path

wheel, sdist, modules, pyproject = sys.argv[1:5]
problems = []

text = Path(pyproject).read_text(encoding="utf-8")
project = text.split("[project]", 1)[1].split("\n[", 1)[0]
version = re.search(r'^version\s*=\s*"([^"]+)"', project, re.MULTILINE).group(1)

names = set(zipfile.ZipFile(wheel).namelist())
for required in (
    "trio_openai/__init__.py",
    "trio_openai/py.typed",
    "trio_openai/types/__init__.py",
    "trio_openai/resources/__init__.py",
    "trio_openai/testing/pytest_plugin.py",
    f"trio_openai-{version}.dist-info/entry_points.txt",
):
    if required not in names:
        problems.append(f"wheel: {required} is missing")
for prefix in ("trio_openai/types/", "trio_openai/resources/"):
    if sum(n.startswith(prefix) and n.endswith(".py") for n in names) < 5:
        problems.append(f"wheel: {prefix} holds fewer than 5 modules")
missing = [m for m in Path(modules).read_text().split() if m not in names]
if missing:
    problems.append(f"wheel: {len(missing)} module(s) of the checkout missing: {missing[:10]}")
stray = sorted(n for n in names if not n.startswith(("trio_openai/", "trio_openai-")))
if stray:
    problems.append(f"wheel: files outside the package: {stray[:10]}")
if any("__pycache__" in n or n.endswith(".pyc") for n in names):
    problems.append("wheel: carries bytecode")

with tarfile.open(sdist) as tar:
    members = [m.split("/", 1)[1] for m in tar.getnames() if "/" in m]
top = f"trio_openai-{version}"
for required in (
    "pyproject.toml",
    "README.md",
    "LICENSE",
    "PKG-INFO",
    "trio_openai/__init__.py",
    "trio_openai/py.typed",
    "trio_openai/types/__init__.py",
    "trio_openai/resources/__init__.py",
):
    if required not in members:
        problems.append(f"sdist: {required} is missing")
forbidden = re.compile(
    r"(^|/)(\.venv|venv|site|\.git|__pycache__|\.pytest_cache|\.mypy_cache|\.ruff_cache"
    r"|\.hypothesis|\.ipynb_checkpoints|\.cache|dist|build|[^/]*\.egg-info)(/|$)"
    r"|\.pyc$|(^|/)\.env$"
)
bad = sorted(m for m in members if forbidden.search(m))
if bad:
    problems.append(f"sdist: {len(bad)} file(s) that do not belong: {bad[:10]}")

if problems:
    print("\n".join(problems))
    sys.exit(1)
PYTHON

# ------------------------------------------------------------------- install and use each
RUN=$WORK/run # an empty directory outside the checkout: the checkout cannot be imported
mkdir -p "$RUN"
VERSION=$("$PY" -c '
import re, sys
text = open(sys.argv[1], encoding="utf-8").read()
project = text.split("[project]", 1)[1].split("\n[", 1)[0]
print(re.search(r"^version\s*=\s*\"([^\"]+)\"", project, re.MULTILINE).group(1))
' "$ROOT/pyproject.toml")

# Run in $RUN with a clean environment: no key, no base URL, no stray Python settings.
clean() {
    (
        cd "$RUN"
        unset OPENAI_API_KEY OPENAI_BASE_URL OPENAI_ENV_FILE OPENAI_MODEL OPENAI_ORG_ID \
            OPENAI_PROJECT_ID PYTHONPATH PYTHONHOME PYTHONSTARTUP VIRTUAL_ENV
        "$@"
    )
}

make_venv() {
    local venv=$1 artefact=$2
    if ((HAVE_UV)); then
        timeout 60 uv venv --quiet --python "$PY" "$venv"
        timeout 300 uv pip install --quiet --python "$venv/bin/python" "$artefact"
    else
        timeout 60 "$PY" -m venv "$venv"
        timeout 300 "$venv/bin/python" -m pip install --quiet "$artefact"
    fi
}

check_import() {
    "$1/bin/python" - "$VERSION" "$1" <<'PYTHON'
import sys
from importlib.metadata import entry_points
from pathlib import Path

import trio_openai

expected, venv = sys.argv[1], Path(sys.argv[2]).resolve()
package = Path(trio_openai.__file__).resolve().parent
assert venv in package.parents, f"trio_openai imported from {package}, not from {venv}"
assert trio_openai.__version__ == expected, (trio_openai.__version__, expected)
for needed in ("py.typed", "types/__init__.py", "resources/__init__.py"):
    assert (package / needed).is_file(), f"{needed} not installed"
plugins = {e.name: e.value for e in entry_points(group="pytest11")}
assert plugins.get("trio_openai") == "trio_openai.testing.pytest_plugin", plugins
import trio_openai.types.chat  # the generated packages import
import trio_openai.resources
PYTHON
}

check_help() {
    local out
    out=$("$1/bin/trio-openai" --help)
    echo "$out"
    [[ $out == *demo* ]] || { echo "--help does not mention the demo"; return 1; }
}

check_demo() {
    local out
    out=$(timeout 60 "$1/bin/trio-openai" demo)
    echo "$out"
    [[ $out == *"embedded fake server"* ]] || { echo "not run on the fake server"; return 1; }
    [[ $out == *"succeeded after 1 retry"* ]] || { echo "the demo did not finish"; return 1; }
}

check_fake() {
    timeout 60 "$1/bin/python" - <<'PYTHON'
import trio

from trio_openai.testing import FakeOpenAI


async def main() -> None:
    fake = FakeOpenAI()
    fake.add_fault("POST", "/chat/completions", status=500)  # retried
    async with fake.client() as client:
        chat = await client.chat.completions.create(
            model="gpt-4o-mini", messages=[{"role": "user", "content": "smoke"}]
        )
    assert chat.choices[0].message.content == "smoke", chat
    assert [r.path for r in fake.requests] == ["/chat/completions"] * 2, fake.requests


trio.run(main)
PYTHON
}

for artefact in "$WHEEL" "$SDIST"; do
    name=$(basename "$artefact")
    venv=$WORK/venv-${name%%.tar.gz}
    venv=${venv%.whl}
    step "$name: fresh venv, install" make_venv "$venv" "$artefact"
    step "$name: import, __version__ == $VERSION, py.typed, plugin" clean check_import "$venv"
    step "$name: trio-openai --help" clean check_help "$venv"
    step "$name: trio-openai demo (embedded fake server)" clean check_demo "$venv"
    step "$name: a call through trio_openai.testing.FakeOpenAI" clean check_fake "$venv"
done

if ((VERBOSE)); then
    echo "package smoke test passed in $((SECONDS - T0)) s ($(basename "$WHEEL"), $(basename "$SDIST"))"
fi
