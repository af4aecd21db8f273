"""Synthetic eForms notices for tests, benchmarks and the offline demo (see ``builder``)."""

from monitor.demo.samples.builder import (
    LotSpec,
    NoticeSpec,
    build_notice_xml,
    expected_record,
    generate_corpus,
    generate_specs,
    random_spec,
)

__all__ = [
    "LotSpec",
    "NoticeSpec",
    "build_notice_xml",
    "expected_record",
    "generate_corpus",
    "generate_specs",
    "random_spec",
]
