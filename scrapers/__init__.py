"""The Scrapy project: spiders (one file per source), parsers, middlewares and the store pipeline."""
