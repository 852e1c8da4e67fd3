"""Name parity with the official SDK's ``openai.types`` (issue 13), against the record.

``tools/name_parity.py`` defines the public names and classifies each one that does not
resolve at the same dotted path in ``trio_openai.types``: ``alias`` (a schema of ours
denotes it: it must resolve, an alias being fine) or ``sdk_only`` (no schema in our
spec, with the reason). ``tools/official_names.json`` records that classification for
the SDK version named in it; ``tools/name_parity.py --write`` rewrites it.

Needs the official SDK (the ``bench`` extra); skipped without it, or when the installed
version is not the recorded one (its names differ: rerun the script).
"""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "tools" / "name_parity.py"
RECORD = ROOT / "tools" / "official_names.json"


def _load_script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("name_parity", SCRIPT)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("name_parity", module)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def parity() -> ModuleType:
    """The script as a module, once the official SDK of the recorded version is importable."""
    openai = pytest.importorskip("openai")
    recorded = json.loads(RECORD.read_text(encoding="utf-8"))["openai_version"]
    if openai.__version__ != recorded:
        pytest.skip(f"openai {openai.__version__} installed, {recorded} recorded: rerun "
                    "tools/name_parity.py --write")  # fmt: skip
    return _load_script()


@pytest.fixture(scope="module")
def record() -> dict[str, Any]:
    """The recorded classification (tools/official_names.json)."""
    data: dict[str, Any] = json.loads(RECORD.read_text(encoding="utf-8"))
    return data


@pytest.fixture(scope="module")
def verdicts(parity: ModuleType) -> dict[str, Any]:
    """Today's classification of every official public name."""
    found: dict[str, Any] = parity.classify_all()
    return found


def test_public_names_follow_the_documented_definition(parity: ModuleType) -> None:
    """Re-exports of every package count, sub-modules and the __future__ feature do not."""
    names = parity.official_names()
    assert "openai.types.chat.ChatCompletionMessageParam" in names
    assert "openai.types.beta.threads.Run" in names
    assert "openai.types.Metadata" in names
    assert "openai.types.shared.Metadata" in names  # once per package re-exporting it
    assert "openai.types.chat.completion_create_params" not in names  # a sub-module
    assert "openai.types.annotations" not in names  # from __future__ import annotations
    assert not [name for name in names if name.rsplit(".", 1)[1].startswith("_")]
    assert len(names) > 1000


def test_resolution_walks_modules_then_attributes(parity: ModuleType) -> None:
    """Our dotted paths mirror the official ones, and resolution follows modules, then names."""
    assert (
        parity.ours_dotted("openai.types.beta.threads.Run") == "trio_openai.types.beta.threads.Run"
    )
    assert parity.resolves("trio_openai.types.ChatCompletion")
    assert parity.resolves("trio_openai.types.chat.ChatCompletion")
    assert not parity.resolves("trio_openai.types.chat.NoSuchName")
    assert not parity.resolves("trio_openai.types.no_such_module.ChatCompletion")


def test_the_record_covers_every_official_name(parity: ModuleType, record: dict[str, Any]) -> None:
    """Each public name of the installed SDK has a recorded category, and nothing else does."""
    names = set(parity.official_names())
    recorded = set(record["names"])
    assert not names - recorded, f"unrecorded: {sorted(names - recorded)[:10]}"
    assert not recorded - names, f"not in the SDK: {sorted(recorded - names)[:10]}"
    categories = {entry["category"] for entry in record["names"].values()}
    assert categories == {parity.ALIAS, parity.SDK_ONLY}


def test_sdk_only_names_are_the_recorded_list(
    parity: ModuleType, record: dict[str, Any], verdicts: dict[str, Any]
) -> None:
    """The missing names with no schema of ours, and why, are exactly the recorded ones.

    A recorded SDK-only name that resolves now, or that a class of ours now matches (the
    generator gained it), is no loss: ``--write`` moves it to the alias list.
    """
    missing = {name for name, v in verdicts.items() if v.category == parity.SDK_ONLY}
    recorded = {
        name: entry["reason"]
        for name, entry in record["names"].items()
        if entry["category"] == parity.SDK_ONLY and name in missing
    }
    found = {
        name: verdict.reason
        for name, verdict in verdicts.items()
        if verdict.category == parity.SDK_ONLY
    }
    changed = {name: (recorded.get(name), found.get(name)) for name in recorded.keys() | found}
    changed = {name: pair for name, pair in changed.items() if pair[0] != pair[1]}
    assert not changed, (
        f"{len(changed)} SDK-only names differ from the record (recorded, now); review and run "
        f"tools/name_parity.py --write: {dict(sorted(changed.items())[:20])}"
    )


def test_a_name_that_denotes_another_thing_does_not_count(parity: ModuleType) -> None:
    """Our name at the official path must be of the SDK's kind and share its fields."""
    import openai.types as official

    path = "openai.types.chat.ChatCompletion"  # ours: an attrs model
    assert parity.shadowed_by(path, official.chat.ChatCompletion) is None
    as_typed_dict = parity.shadowed_by(path, official.chat.ChatCompletionUserMessageParam)
    assert "not a TypedDict" in as_typed_dict
    assert "another schema" in parity.shadowed_by(path, official.Embedding)
    assert parity.shadowed_by("openai.types.chat.NoSuchName", official.Embedding) is None


# Names with a schema of ours that do not resolve, and why (issue 13: 10 of 1,213, after
# the generator's aliases): the spec requires a key the SDK leaves optional, the name at
# the official path is another spec schema of that name, or the SDK's name belongs to an
# API our spec lacks whose shape no schema of ours has. Each entry maps to its reason.
# The test fails when the list grows, and when an entry starts to resolve.
_KNOWN = json.loads((Path(__file__).with_name("name_parity_known.json")).read_text("utf-8"))
KNOWN_UNRESOLVED: dict[str, str] = _KNOWN["unresolved"]
# Members of official unions that our union of the same name lacks ("union: member"), with
# why: beta Realtime events of the SDK's that our beta schemas name otherwise or lack.
KNOWN_GAPS: dict[str, str] = _KNOWN["gaps"]


@pytest.mark.parametrize("known", [KNOWN_UNRESOLVED, KNOWN_GAPS], ids=["unresolved", "gaps"])
def test_every_known_entry_says_why(known: dict[str, str]) -> None:
    """Each name or gap accepted as missing is recorded with a reason (a non-empty string)."""
    assert isinstance(known, dict)
    unexplained = [
        entry
        for entry, reason in known.items()
        if not isinstance(reason, str) or not reason.strip()
    ]
    assert not unexplained, f"give these a reason in name_parity_known.json: {unexplained}"


def test_every_name_with_a_schema_of_ours_resolves(
    parity: ModuleType, record: dict[str, Any]
) -> None:
    """Each recorded ``alias`` name resolves at the official dotted path, to the same kind."""
    names = parity.official_names()
    wanted = [name for name, e in record["names"].items() if e["category"] == parity.ALIAS]
    unresolved = [
        name
        for name in wanted
        if not parity.resolves(parity.ours_dotted(name))
        or parity.shadowed_by(name, names[name]) is not None
    ]
    new = sorted(set(unresolved) - KNOWN_UNRESOLVED.keys())
    assert not new, f"{len(new)} names with a schema of ours no longer resolve: {new[:10]}"
    fixed = sorted(KNOWN_UNRESOLVED.keys() - set(unresolved))
    assert not fixed, f"resolve now, remove from KNOWN_UNRESOLVED: {fixed}"


def test_quoted_aliases_evaluate_in_our_namespace(parity: ModuleType) -> None:
    """An alias of ours that is a string at run time is read as the union it names."""
    from trio_openai.types import ChatCompletion, ChatCompletionChunk, UnknownObject

    union = parity.evaluate("ChatCompletion | ChatCompletionChunk | UnknownObject")
    assert parity._flat_members(union) == [ChatCompletion, ChatCompletionChunk, UnknownObject]
    assert parity.evaluate("NoSuchName | int") == "NoSuchName | int"
    assert parity.evaluate(ChatCompletion) is ChatCompletion


def test_official_union_members_are_members_of_our_unions(parity: ModuleType) -> None:
    """Where the SDK's union holds a class, ours holds the class that name resolves to here."""
    gaps = set(parity.membership_gaps())
    new = sorted(gaps - KNOWN_GAPS.keys())
    assert not new, f"new gaps (union: member): {new[:10]}"
    closed = sorted(KNOWN_GAPS.keys() - gaps)
    assert not closed, f"closed, remove from KNOWN_GAPS: {closed}"
