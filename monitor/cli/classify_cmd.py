"""Innovation classifier commands: classify files, explain a stored notice, check/preview rules, evaluate."""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Any

import click
from sqlalchemy import select

from db.models.notices import Notice
from db.session import session_scope
from db.store_keys import publication_key
from monitor.appconfig import ConfigError
from monitor.classify import classify, load_rules
from monitor.classify.backtest import backtest_events
from monitor.classify.declared_eval import evaluate_declared
from monitor.classify.declared_eval import report as declared_report
from monitor.classify.evaluate import describe, evaluate, load_labels
from monitor.classify.service import (
    PreviewChange,
    preview,
    procedure_label,
    since_date,
    stored_classification,
)
from monitor.classify.verdicts import verdict_labels
from monitor.settings import get_settings
from scrapers.parsers import parse_notice

RULES_OPTION = click.option(
    "--rules",
    "rules_path",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    default=None,
    help="Rules file (default: innovation.yaml in the config directory).",
)


def _load_rules(path: Path | None) -> Any:
    try:
        return load_rules(path or get_settings().config_dir / "innovation.yaml")
    except ConfigError as exc:
        raise click.ClickException(exc.report()) from None


def _files(paths: tuple[Path, ...]) -> list[Path]:
    out: list[Path] = []
    for p in paths:
        out.extend(sorted(p.glob("*.xml")) if p.is_dir() else [p])
    return out


def _print_result(result: Any, header: str, out: Any = None) -> None:
    echo = click.echo
    echo(
        f"{header}\n  label {result.label}  score {result.score:g}  "
        f"(structured {result.structured_score:g} + text {result.text_score:g})  rules {result.rules_version}"
    )
    for r in result.reasons:
        lang = f" [{r.lang}]" if r.lang else ""
        how = f" via {r.how}" if r.how else ""
        echo(f"  + {r.weight:>5g}  {r.signal_id}  {r.field}{lang}: {r.matched!r}{how}")
        if r.kind == "text":
            echo(f"           {r.snippet}")
    for n in result.not_counted:
        echo(f"  - not counted  {n.signal_id}  {n.field}: {n.matched!r} — {n.why}")
    for e in result.excluded:
        echo(f"  - excluded ({e.rule})  {e.field}: {e.text!r}")


@click.command("classify")
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="One JSON object per notice, one per line.")
@RULES_OPTION
def classify_command(paths: tuple[Path, ...], as_json: bool, rules_path: Path | None) -> None:
    """Classify notice files, eForms or legacy TED XML (or directories of .xml files), and show why.

    Nothing is stored: this is for trying the rules on any notice. Each notice gets a label
    (innovative, possible, none), a score and its reasons.
    """
    rules = _load_rules(rules_path)
    failed = 0
    for path in _files(paths):
        try:
            record = parse_notice(path.read_bytes(), source_name=str(path))
        except Exception as exc:  # a bad file is reported and skipped; the others still run
            failed += 1
            click.echo(f"{path}: cannot parse: {exc}", err=True)
            continue
        result = classify(record, rules)
        if as_json:
            data = {
                "file": str(path),
                "publication_number": record.publication_number,
                "notice_id": record.notice_id,
                **result.to_dict(),
            }
            click.echo(json.dumps(data, ensure_ascii=False))
        else:
            title = record.text(record.title) or ""
            _print_result(result, f"{path.name}  {record.publication_number or '-'}  {title[:80]}")
    if failed:
        sys.exit(1)


@click.command("explain")
@click.argument("notice")
@RULES_OPTION
def explain_command(notice: str, rules_path: Path | None) -> None:
    """Explain the stored label of NOTICE (publication number, notice UUID or internal id).

    Shows the stored result and the rules version that produced it; when the rules in force
    differ, also what they would say now.
    """
    rules = _load_rules(rules_path)
    with session_scope(get_settings().db_url) as session:
        ident = notice.strip()
        conds = [Notice.notice_id == ident.lower()]
        key = publication_key(ident)
        if key:
            conds.insert(0, Notice.publication_key == key)
        if ident.isdigit():
            conds.append(Notice.id == int(ident))
        row = None
        for cond in conds:
            row = session.scalars(select(Notice).where(cond).order_by(Notice.id.desc()).limit(1)).first()
            if row:
                break
        if row is None:
            raise click.ClickException(
                f"no stored notice {notice!r} (try a publication number such as 00553370-2023)"
            )
        record = row.to_record()
        header = f"notice {row.id}  {row.publication_number or '-'}  {row.title or ''}"
        stored = stored_classification(session, row.id)
        if stored is None:
            click.echo("not classified yet; with the rules in force it would be:")
            _print_result(classify(record, rules), header)
        else:
            result, when = stored
            click.echo(f"stored result, classified {when:%Y-%m-%d %H:%M} UTC:")
            _print_result(result, header)
            if result.rules_version != rules.version:
                now = classify(record, rules)
                click.echo(f"\nthe rules in force ({rules.version}) would say {now.label} ({now.score:g}):")
                _print_result(now, header)
        label = procedure_label(session, row.procedure_pk)
        click.echo(f"\nprocedure label (highest of its current notices): {label or 'not classified'}")


@click.group("rules")
def rules_group() -> None:
    """Check innovation rules, and back-test a candidate rules file before saving it."""


@rules_group.command("check")
@click.argument("file", required=False, type=click.Path(dir_okay=False, path_type=Path))
def rules_check(file: Path | None) -> None:
    """Validate a rules file (default: the one in force); every problem with file and line."""
    if file is not None and not file.exists():
        raise click.ClickException(f"{file}: no such file")
    rules = _load_rules(file)
    cfg = rules.config
    n_exclusions = sum(len(v) for v in cfg.exclusions.spans.values())
    click.echo(
        f"{rules.path}: OK, version {rules.version}: {len(cfg.structured)} structured rules, "
        f"{len(cfg.keywords)} keyword concepts, {n_exclusions} exclusion patterns; "
        f"innovative >= {cfg.thresholds.innovative:g}, possible >= {cfg.thresholds.possible:g}"
    )
    declared = cfg.declared
    click.echo(
        f"declared innovation (version {declared.version}): {declared.summary()}; "
        f"answers kept: {', '.join(declared.fields) or 'none'}"
    )


@rules_group.command("preview")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--since", default="90d", show_default=True, help="Notices published in this period: 90d, 12w, 6m, all."
)
@click.option("--workers", type=int, default=None, help="Processes (default: one per core).")
@click.option("--limit", type=int, default=50, show_default=True, help="Notices listed per kind of change.")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@click.option(
    "--json-stream",
    is_flag=True,
    help="Events as they are computed, one JSON object a line (the web editor's back-test; "
    "docs/rules-editor.md).",
)
@click.option(
    "--labels",
    "labels_path",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    default=None,
    help="With --json-stream: also precision and recall on this labelled set, old next to new.",
)
@RULES_OPTION
def rules_preview(
    file: Path,
    since: str,
    workers: int | None,
    limit: int,
    as_json: bool,
    json_stream: bool,
    labels_path: Path | None,
    rules_path: Path | None,
) -> None:
    """Back-test candidate rules FILE against stored notices; nothing is written.

    Lists the notices the candidate would newly flag, unflag or move between innovative and
    possible, compared with the rules in force (or --rules).
    """
    candidate = _load_rules(file)
    current = _load_rules(rules_path)
    try:
        cutoff = since_date(since)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--since") from None
    if json_stream:
        try:
            labelled = load_labels(labels_path) if labels_path else []
        except ConfigError as exc:
            raise click.ClickException(exc.report()) from None
        events = backtest_events(
            get_settings().db_url, candidate, current, since=cutoff, workers=workers,
            labelled=labelled, limit=limit,
        )  # fmt: skip
        for event in events:
            click.echo(json.dumps(event, ensure_ascii=False, default=str))
        return
    started = time.perf_counter()
    report = preview(get_settings().db_url, candidate, current, since=cutoff, workers=workers)
    took = time.perf_counter() - started
    groups = report.by_kind()
    if as_json:
        data = {
            "scanned": report.scanned,
            "since": cutoff.isoformat() if cutoff else None,
            "current_version": report.current_version,
            "candidate_version": report.candidate_version,
            "labels_before": report.labels_before,
            "labels_after": report.labels_after,
            "changes": {kind: [_change_json(c) for c in items] for kind, items in groups.items()},
        }
        click.echo(json.dumps(data, ensure_ascii=False, default=str))
        return
    click.echo(
        f"{report.scanned} notices{' since ' + cutoff.isoformat() if cutoff else ''} in {took:.1f} s; "
        f"rules in force {report.current_version} → candidate {report.candidate_version}"
    )
    click.echo(f"  labels now:       {_counts(report.labels_before)}")
    click.echo(f"  with candidate:   {_counts(report.labels_after)}")
    for kind, items in groups.items():
        click.echo(f"\n{kind}: {len(items)}")
        for c in items[:limit]:
            click.echo(
                f"  {c.publication_number or c.notice_pk}  {c.old_label} → {c.new_label}  "
                f"({c.old_score:g} → {c.new_score:g})  {(c.title or '')[:70]}"
            )
            for reason in c.reasons:
                click.echo(f"      {reason}")
        if len(items) > limit:
            click.echo(f"  … and {len(items) - limit} more (--limit)")


def _change_json(change: PreviewChange) -> dict[str, Any]:
    """The fields ``--json`` has always had (not the web's ``reasons_before``/``reasons_after``)."""
    return {k: v for k, v in change.__dict__.items() if k not in ("reasons_before", "reasons_after")}


def _counts(counts: dict[str, int]) -> str:
    return ", ".join(f"{label} {counts.get(label, 0)}" for label in ("innovative", "possible", "none"))


@click.command("eval")
@click.argument("labels", required=False, type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--declared",
    is_flag=True,
    help="Measure the text rules on the stored notices, with their buyers' declarations as the truth.",
)
@click.option("--errors", is_flag=True, help="Also list every misclassified notice with its reasons.")
@click.option("--json", "as_json", is_flag=True, help="With --declared: the figures as JSON.")
@click.option(
    "--with-verdicts",
    is_flag=True,
    help="Add the review queue's current verdicts (as `tenderwatch review export` writes them) to LABELS, "
    "or evaluate on them alone without LABELS.",
)
@RULES_OPTION
def eval_command(
    labels: Path | None,
    declared: bool,
    errors: bool,
    as_json: bool,
    with_verdicts: bool,
    rules_path: Path | None,
) -> None:
    """Evaluate the rules on a labelled set: precision, recall, F1 per label and a confusion table.

    With --declared instead of LABELS: on every stored notice, the truth is whether its buyer
    declared it innovative (innovation.yaml's `declared` rule) and the prediction is the label
    from the text rules alone (structured signals hidden, so the form fields that are the
    declaration cannot predict it); precision and recall of `innovative` and of `innovative or
    possible`, overall and per original language, the confusion table and the limits.
    """
    rules = _load_rules(rules_path)
    if declared == (labels is not None or with_verdicts):
        raise click.UsageError(
            "give either LABELS (a labelled set) and/or --with-verdicts, or --declared (the stored notices)"
        )
    if declared:
        with session_scope(get_settings().db_url) as session:
            measured = evaluate_declared(session, rules, rules.config.declared)
        if as_json:
            click.echo(json.dumps(measured.to_dict(), ensure_ascii=False))
        else:
            click.echo(declared_report(measured, errors=errors))
        return
    try:
        items = load_labels(labels) if labels is not None else []
    except ConfigError as exc:
        raise click.ClickException(exc.report()) from None
    if with_verdicts:
        items = _add_verdicts(items)
    if not items:
        raise click.ClickException("no labelled notices to evaluate (no verdicts yet?)")
    result = evaluate(items, rules)
    click.echo(result.report())
    if result.hard_negatives_flagged:
        click.echo(
            "hard negatives labelled innovative: " + ", ".join(i.id for i, _ in result.hard_negatives_flagged)
        )
    if errors and result.errors:
        click.echo("\nmisclassified:")
        for item, res in result.errors:
            d = describe(item, res)
            click.echo(f"  {d['id']}: expected {d['expected']}, got {d['got']} ({d['score']:g})")
            for reason in d["reasons"]:
                click.echo(f"      {reason}")


def _add_verdicts(items: list[Any]) -> list[Any]:
    """The file's items, then each verdict whose id the file does not have (the file wins: an
    exported set evaluated again with --with-verdicts does not count a notice twice)."""
    with session_scope(get_settings().db_url) as session:
        verdicts = verdict_labels(session)
    ids = {i.id for i in items}
    added = [v for v in verdicts if v.id not in ids]
    known = len(verdicts) - len(added)
    click.echo(f"{len(added)} verdicts added from the review queue ({known} already in the file)")
    return [*items, *added]


commands: list[click.Command] = [classify_command, explain_command, rules_group, eval_command]
