"""The one table of sources: every entry has its spider, and everything lists sources from it."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from scrapy.spiderloader import SpiderLoader
from scrapy.utils.project import get_project_settings

from monitor.appconfig import ConfigError, load_file
from monitor.config import load_config
from monitor.crawling import scrapy_settings
from monitor.pipeline import enabled_sources
from monitor.service.app import desired_jobs
from monitor.settings import Settings
from monitor.sources import KEYS, SOURCES, SourcesConfig, UnknownSourceError, get_source, section

REPO = Path(__file__).resolve().parent.parent


def test_each_entry_names_a_spider_that_stores_under_its_store_source() -> None:
    loader = SpiderLoader.from_settings(get_project_settings())
    for source in SOURCES:
        spider = loader.load(source.spider)
        assert spider.source_name == source.store_source, source.key


def test_the_config_schema_has_one_section_per_entry() -> None:
    assert tuple(SourcesConfig.model_fields) == KEYS


def test_a_section_refuses_keys_its_source_does_not_have(tmp_path: Path) -> None:
    path = tmp_path / "sources.yaml"
    path.write_text("hilma:\n  schedule: {every_minutes: 15}\n  countries: [FIN]\n")
    with pytest.raises(ConfigError, match="unknown key 'countries'"):
        load_file(path, SourcesConfig)


def test_crawl_arguments_come_from_each_section(tmp_path: Path) -> None:
    config = load_config(REPO / "config")
    settings = Settings(data_dir=tmp_path, config_dir=REPO / "config", ted_api_url="http://api.invalid")
    ted = get_source("ted").crawl_args(settings, section(config.sources, "ted"))
    assert ted["countries"] == ["FIN"] and ted["api_url"] == "http://api.invalid"
    hilma = get_source("hilma").crawl_args(settings, section(config.sources, "hilma"))
    assert "countries" not in hilma and hilma["api_url"] == settings.hilma_api_url


def test_the_schedule_and_the_cycle_list_the_enabled_sources_in_table_order() -> None:
    config = load_config(REPO / "config")
    assert enabled_sources(config) == list(KEYS)
    crawls = [spec.id for spec in desired_jobs(config) if spec.id.startswith("crawl:")]
    assert crawls == [f"crawl:{key}" for key in KEYS]


def test_an_unknown_source_is_named_with_the_known_ones() -> None:
    with pytest.raises(UnknownSourceError, match="ted, ted_packages, hilma"):
        get_source("ocds")


def test_scrapy_settings_carry_the_retry_bound_and_a_configured_delay(tmp_path: Path) -> None:
    config_dir = tmp_path / "config"
    shutil.copytree(REPO / "config", config_dir)
    (config_dir / "sources.yaml").write_text(
        "hilma:\n  schedule: {every_minutes: 15}\n  download_delay: 20\n  retry_failed_documents: 3\n"
        "ted:\n  schedule: {every_minutes: 60}\n"
    )
    config = load_config(config_dir)
    settings = Settings(data_dir=tmp_path, config_dir=config_dir)
    hilma = scrapy_settings(settings, config, "hilma")
    assert hilma["TENDERWATCH_RETRY_FAILED_DOCUMENTS"] == 3
    # The configured delay replaces the spider's own for AutoThrottle's first request too.
    assert hilma["DOWNLOAD_DELAY"] == hilma["AUTOTHROTTLE_START_DELAY"] == 20
    ted = scrapy_settings(settings, config, "ted")
    assert ted["TENDERWATCH_RETRY_FAILED_DOCUMENTS"] == 5 and "DOWNLOAD_DELAY" not in ted
