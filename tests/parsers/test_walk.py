"""The extraction walk's shortcuts do not change what it reads.

The walk looks at a wrapper's first child by index before listing the others, tells a block's
few kinds of children apart in schema order, and lists children with ``el[:]``. These tests feed
it trees where the shortcuts do not apply — comments and processing instructions before every
child (as a caller's own parser may keep them), and children in reverse order — and expect the
record a plain schema-ordered, comment-free notice gives.
"""

from __future__ import annotations

import pytest
from lxml import etree

from monitor.demo.samples.builder import build_notice_xml, generate_specs
from scrapers.parsers import parse_notice, parse_notice_element

# The builder's corpus, in a mix that exercises lots, awards, changes and HILMA extensions.
_SPECS = list(generate_specs(60, seed=7))


def _with_clutter(data: bytes) -> etree._Element:
    """The notice parsed with comments and PIs kept, and one of each put before the first child
    of every element that has children. (Leaves are left alone: a comment inside a leaf would
    make it a parent, which the HILMA extension reader rightly treats differently.)"""
    root = etree.fromstring(data, etree.XMLParser(remove_comments=False, remove_pis=False))
    for el in [el for el in root.iter(tag=etree.Element) if len(el)]:
        el.insert(0, etree.Comment(" clutter "))
        el.insert(0, etree.ProcessingInstruction("clutter"))
    return root


@pytest.mark.parametrize("index", range(len(_SPECS)))
def test_comments_and_pis_before_the_children_are_ignored(index: int) -> None:
    data = build_notice_xml(_SPECS[index])
    assert parse_notice_element(_with_clutter(data)) == parse_notice(data)


def test_cluttered_tree_really_puts_a_comment_first() -> None:
    """Guards the test above: every parent's first child is a PI, never the element the walk
    looks for first."""
    root = _with_clutter(build_notice_xml(_SPECS[0]))
    parents = [el for el in root.iter(tag=etree.Element) if any(isinstance(c.tag, str) for c in el)]
    assert len(parents) > 50
    assert all(not isinstance(el[0].tag, str) for el in parents)


def _reversed_children(data: bytes) -> bytes:
    """Every element's children in reverse order; texts in a multi-paragraph element stay."""
    root = etree.fromstring(data)
    for el in root.iter(tag=etree.Element):
        children = list(el)
        if len(children) > 1:
            for child in children:
                el.remove(child)
            for child in reversed(children):
                child.tail = None
                el.append(child)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


@pytest.mark.parametrize("index", range(0, len(_SPECS), 3))
def test_child_order_does_not_matter_for_single_valued_fields(index: int) -> None:
    """Reversed children: where a field can occur once, the record is the same. (Repeated
    elements — texts per language, codes — keep their own order in a record, so only
    order-free comparisons are made for those.)"""
    data = build_notice_xml(_SPECS[index])
    want = parse_notice(data)
    got = parse_notice(_reversed_children(data))
    assert (got.notice_id, got.procedure_id, got.subtype, got.notice_type, got.form_type) == (
        want.notice_id,
        want.procedure_id,
        want.subtype,
        want.notice_type,
        want.form_type,
    )
    assert (got.publication_number, got.publication_date, got.issue_date) == (
        want.publication_number,
        want.publication_date,
        want.issue_date,
    )
    assert sorted(got.buyers, key=repr) == sorted(want.buyers, key=repr)
    assert got.deadline == want.deadline and got.estimated_value == want.estimated_value
    assert got.signals == want.signals
    assert sorted(lot.lot_id for lot in got.lots) == sorted(lot.lot_id for lot in want.lots)
    by_id = {lot.lot_id: lot for lot in want.lots}
    for lot in got.lots:
        other = by_id[lot.lot_id]
        assert (lot.cpv_main, lot.deadline, lot.estimated_value, lot.documents_url) == (
            other.cpv_main,
            other.deadline,
            other.estimated_value,
            other.documents_url,
        )
        assert lot.signals == other.signals
        assert set(lot.title) == set(other.title)


def test_reversed_tree_really_is_reversed() -> None:
    data = build_notice_xml(_SPECS[0])
    original = [el.tag for el in etree.fromstring(data)]
    assert [el.tag for el in etree.fromstring(_reversed_children(data))] == original[::-1]


def test_sample_is_not_all_one_kind() -> None:
    """The sample above covers several lots, results, changes and HILMA extensions (else the
    tests prove less)."""
    assert any(len(s.lots) > 1 for s in _SPECS)
    assert any(s.awards for s in _SPECS) and any(s.change for s in _SPECS)
    assert any(s.national for s in _SPECS)
