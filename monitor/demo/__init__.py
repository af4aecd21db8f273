"""Demo and test scaffolding, kept out of the product's Scrapy project.

- :mod:`monitor.demo.run`: ``tenderwatch demo``, the whole pipeline offline over bundled samples;
- :mod:`monitor.demo.loopback`: an HTTP server on 127.0.0.1 that plays the TED and HILMA APIs;
- :mod:`monitor.demo.samples`: the synthetic eForms notice builder (tests, demo, benchmarks).

Only the demo command, the tests and the benchmarks import this package
(``tests/test_import_graph.py`` checks that nothing else does). It ships in the wheel so
``tenderwatch demo`` works wherever TenderWatch is installed.
"""
