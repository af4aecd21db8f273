"""``tenderwatch demo``: the whole pipeline offline against a loopback TED."""

from __future__ import annotations

import click

from monitor.cli.common import config_or_exit
from monitor.demo.run import run_demo
from monitor.settings import get_settings


@click.command("demo")
def demo_cmd() -> None:
    """Crawl a loopback TED serving sample notices, then store, classify, match and mail.

    Nothing leaves this machine: the sample notices (Finnish, Swedish, English; some
    innovation-oriented, some not) are served on 127.0.0.1 and crawled with the real spider.
    Alerts for the example subscribers in config/subscribers.yaml go to var/outbox/ as
    .eml files, or to TENDERWATCH_SMTP_HOST when set. A second run writes no new emails.
    """
    settings = get_settings()
    config = config_or_exit(settings.config_dir)
    summary = run_demo(settings, config)
    click.echo("TenderWatch demo")
    for line in summary.lines():
        click.echo(f"  {line}")
    if summary.crawl.get("status") != "finished":
        raise SystemExit(1)


commands: list[click.Command] = [demo_cmd]
