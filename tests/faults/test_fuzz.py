"""Fuzzing the two parsers that read what others write: the eForms parser and the YAML loader.

Bounded so it runs in every CI run (``FUZZ``: 200 cases per target, a deadline per case); in
CI the cases are derandomised (the same every run, so a red build is reproducible), locally
they are fresh each run. The properties are the promises the callers rely on:

- ``parse_notice`` returns a record (that ``parse --json`` can print) or raises a
  ``NoticeParseError``, never anything else, whatever the bytes;
- ``load_file`` returns a validated model or raises ``ConfigError`` whose every problem names
  the file, never anything else, quickly, whatever the text (aliases and nesting included).
"""

from __future__ import annotations

import json
import os
import random
from datetime import timedelta
from functools import cache
from pathlib import Path
from xml.sax.saxutils import escape

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from monitor.appconfig import ConfigError, load_file
from monitor.appconfig.models import ServiceConfig
from monitor.config import CONFIG_FILES
from monitor.demo.samples.builder import build_notice_xml, random_spec
from scrapers.parsers import NoticeParseError, parse_notice

pytestmark = pytest.mark.faults

REPO_CONFIG = Path(__file__).resolve().parents[2] / "config"
FUZZ = settings(
    max_examples=200,
    deadline=timedelta(seconds=5),  # a hang or a blow-up fails; a loaded CI machine does not
    database=None,  # no .hypothesis/ folder in the checkout
    derandomize=bool(os.environ.get("CI")),
    suppress_health_check=[HealthCheck.too_slow],  # big seeds (a 20 kB config) are the point
)


# ----------------------------------------------------------------------------------- mutations
@st.composite
def mutated(draw: st.DrawFn, original: bytes) -> bytes:
    """``original`` with 1–4 edits: cut, delete, insert, duplicate or overwrite a stretch."""
    data = bytearray(original)
    for _ in range(draw(st.integers(1, 4))):
        at = draw(st.integers(0, len(data)))
        kind = draw(st.sampled_from(["cut", "delete", "insert", "duplicate", "overwrite"]))
        size = draw(st.integers(1, 64))
        if kind == "cut":
            del data[at:]
        elif kind == "delete":
            del data[at : at + size]
        elif kind == "insert":
            data[at:at] = draw(st.binary(min_size=1, max_size=size) | st.sampled_from(TRICKY_BYTES))
        elif kind == "duplicate":
            data[at:at] = data[at : at + size] * draw(st.integers(2, 50))
        else:
            chunk = draw(st.binary(min_size=1, max_size=size))
            data[at : at + len(chunk)] = chunk
    return bytes(data)


TRICKY_BYTES = [
    b"<!DOCTYPE x [<!ENTITY a 'aaaa'>]>",
    b"&a;",
    b"\xff\xfe",
    b"\x00",
    b"<![CDATA[",
    b"]]>",
    b"<?xml version='1.0' encoding='utf-16'?>",
    b"\xef\xbb\xbf",
    b"</cac:ProcurementProject>",
    b"<cbc:EndDate>2026-02-30+02:00</cbc:EndDate>",
    b"*a",
    b"&a ",
    b"!!python/object:os.system ",
    b"\t",
    b"\n  - ",
    b": ",
]


# ----------------------------------------------------------------------------------- eForms
@cache
def _notice(seed: int) -> bytes:
    return build_notice_xml(random_spec(random.Random(seed)))


def _check_notice(data: bytes) -> None:
    try:
        record = parse_notice(data, source_name="fuzz.xml")
    except NoticeParseError:
        return
    json.dumps(record.to_dict(), ensure_ascii=False)  # what `tenderwatch parse --json` prints


@FUZZ
@given(st.binary(max_size=4096))
def test_fuzz_eforms_parser_with_any_bytes(data: bytes) -> None:
    _check_notice(data)


@FUZZ
@given(st.integers(0, 40).flatmap(lambda seed: mutated(_notice(seed))))
def test_fuzz_eforms_parser_with_damaged_notices(data: bytes) -> None:
    _check_notice(data)


@FUZZ
@given(st.integers(0, 40), st.data())
def test_fuzz_eforms_parser_with_odd_field_values(seed: int, data: st.DataObject) -> None:
    """Well-formed notices whose texts (dates, amounts, codes, names) are replaced by anything."""
    text = _notice(seed).decode()
    pieces = text.split(">")
    for _ in range(data.draw(st.integers(1, 6))):
        i = data.draw(st.integers(0, len(pieces) - 1))
        _old, sep, rest = pieces[i].partition("<")  # the text before the next tag
        if not sep:
            continue
        value = data.draw(
            st.text(max_size=40)
            | st.sampled_from(["", "-1", "1e308", "NaN", "2026-02-30", "24:61:00Z", "9" * 400, "\u202e"])
        )
        pieces[i] = escape(value) + sep + rest
    _check_notice(">".join(pieces).encode("utf-8", "surrogatepass"))


# ----------------------------------------------------------------------------------- YAML
def _check_yaml(path: Path, model: type, data: str | bytes) -> None:
    try:
        load_file(path, model, data)
    except ConfigError as exc:
        assert exc.problems and all(p.file == path for p in exc.problems), exc.report()


@FUZZ
@given(st.text(max_size=2000) | st.binary(max_size=2000))
def test_fuzz_yaml_loader_with_any_text(data: str | bytes) -> None:
    _check_yaml(Path("service.yaml"), ServiceConfig, data)


@st.composite
def yaml_with_aliases(draw: st.DrawFn) -> str:
    """YAML documents built to exercise anchors: aliases to earlier anchors (chains of them
    are bombs), to anchors not yet defined, to the node being defined (loops), deep nests."""
    anchors: list[str] = []

    def node(depth: int, indent: str) -> str:
        choice = draw(st.integers(0, 9 if depth < 4 else 2))
        if choice == 0 and anchors:
            return "*" + draw(st.sampled_from(anchors))
        if choice == 1:
            return "*" + draw(st.sampled_from(["undefined", "a0", "self"]))
        if choice == 2:
            return draw(st.sampled_from(["x", "1", "2026-02-30", "!!binary zz", "~", ".inf", "'q'", "[]"]))
        if choice == 3:
            return "[" * (depth * 20) + "]" * (depth * 20)
        name = f"a{len(anchors)}"
        anchor = f"&{name} " if draw(st.booleans()) else ""
        items = [node(depth + 1, indent + "  ") for _ in range(draw(st.integers(0, 5)))]
        if anchor:
            anchors.append(name)
        if choice % 2:
            return f"{anchor}[{', '.join(items)}]"
        return anchor + "{" + ", ".join(f"k{i}: {v}" for i, v in enumerate(items)) + "}"

    lines = [f"key{i}: {node(0, '')}" for i in range(draw(st.integers(1, 9)))]
    return "\n".join(lines) + "\n"


@FUZZ
@given(yaml_with_aliases())
def test_fuzz_yaml_loader_with_anchors_and_aliases(text: str) -> None:
    _check_yaml(Path("service.yaml"), ServiceConfig, text)


@cache
def _shipped(name: str) -> bytes:
    return (REPO_CONFIG / name).read_bytes()


@FUZZ
@given(st.sampled_from(sorted(CONFIG_FILES)).flatmap(lambda n: st.tuples(st.just(n), mutated(_shipped(n)))))
def test_fuzz_yaml_loader_with_damaged_config_files(case: tuple[str, bytes]) -> None:
    name, data = case
    _check_yaml(REPO_CONFIG / name, CONFIG_FILES[name], data)
