#!/usr/bin/env bash
# The two commands of the README, from a fresh clone:
#   bash tools/dev.sh demo    # set up .venv if needed, then run the demo
#   bash tools/dev.sh test    # set up .venv (and Prism, when npm exists), then run the tests
# and, for CI and maintainers:
#   bash tools/dev.sh docs     # build the documentation site with warnings as errors
#   bash tools/dev.sh package  # build wheel + sdist, install each in a fresh venv, smoke-test
# Extra arguments go to the demo or to pytest. Set-up is skipped when .venv is current.
set -euo pipefail
cd "$(dirname "$0")/.."

setup() {
    local stamp=.venv/.installed
    if [ -x .venv/bin/python ] && [ -f "$stamp" ] && [ "$stamp" -nt pyproject.toml ]; then
        return
    fi
    echo "== setting up .venv (one time) ==" >&2
    if ! command -v uv >/dev/null 2>&1; then
        python3 -m pip install --quiet uv >/dev/null 2>&1 || true
    fi
    if command -v uv >/dev/null 2>&1; then
        [ -x .venv/bin/python ] || uv venv --quiet .venv
        uv pip install --quiet -p .venv/bin/python -e '.[dev,bench,docs]'
    else
        [ -x .venv/bin/python ] || python3 -m venv .venv
        .venv/bin/python -m pip install --quiet -e '.[dev,bench,docs]'
    fi
    touch "$stamp"
}

cmd=${1:-}
shift || true
case "$cmd" in
    demo)
        setup
        exec .venv/bin/python -m trio_openai demo "$@"
        ;;
    test)
        setup
        if [ -z "${TRIO_OPENAI_PRISM:-}" ] && command -v npm >/dev/null 2>&1 \
            && [ -d ../shared/openapi ]; then
            # Conformance tests need the Prism mock server; installed once into a cache folder.
            TRIO_OPENAI_PRISM=$(.venv/bin/python tools/prism.py install | tail -n 1)
            export TRIO_OPENAI_PRISM
        fi
        # Every test server is on 127.0.0.1: never through a proxy the machine may set for
        # package registries (the client honours HTTP(S)_PROXY; notebooks run in kernels).
        export NO_PROXY="127.0.0.1,localhost,::1${NO_PROXY:+,$NO_PROXY}"
        export no_proxy="$NO_PROXY"
        exec .venv/bin/python -m pytest "$@"
        ;;
    docs)
        # The documentation site, warnings as errors (CI runs this).
        setup
        export NO_MKDOCS_2_WARNING=1  # Material's end-of-life banner: not a build warning
        exec .venv/bin/python -m mkdocs build --strict --site-dir "${SITE_DIR:-site}" "$@"
        ;;
    package)
        # Build the wheel and sdist, install each into a fresh venv, run the smoke test.
        setup
        exec bash tools/package_smoke.sh "$@"
        ;;
    *)
        echo "usage: bash tools/dev.sh demo|test|docs|package [args...]" >&2
        exit 2
        ;;
esac
