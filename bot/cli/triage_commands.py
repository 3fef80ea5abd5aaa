"""`payops ticket new`, `payops tickets` and `payops triage ...`."""

from __future__ import annotations

import sys
from functools import cache
from pathlib import Path
from typing import Any

import click
from sqlalchemy import select

from bot.cli.context import AppContext, echo_json, pass_app
from models import Ticket
from models.tickets import TICKET_STATES
from triage.labels import VALUES


def register(cli: click.Group) -> None:
    cli.add_command(ticket)
    cli.add_command(tickets)
    cli.add_command(triage)


@cache
def _embedder():  # type: ignore[no-untyped-def]
    from triage.embeddings import Embedder

    return Embedder()


def _progress(message: str) -> None:
    click.echo(message, err=True)


def _load_model():  # type: ignore[no-untyped-def]
    from triage import model_store

    try:
        return model_store.load(model_store.model_dir())
    except model_store.ModelError as exc:
        raise click.ClickException(str(exc)) from exc


def _show_report(report: dict[str, Any], as_json: bool) -> None:
    if as_json:
        echo_json(report)
        return
    for head, r in report.items():
        click.echo(f"{head:<11} accuracy {r['accuracy']:.4f}  macro-F1 {r['macro_f1']:.4f}  coverage "
                   f"{r['coverage']:.2%}  precision when answered {r['precision_when_answered']}")


@click.group()
def ticket() -> None:
    """Tickets in the embedded local queue."""


@ticket.command("new")
@click.option("--title", default="", help="The ticket's title.")
@click.option("--body", default=None, help="The ticket's text (else --file, else standard input).")
@click.option("--file", "file_", type=click.Path(exists=True, dir_okay=False, path_type=Path), help="Read the body from a file.")
@click.option("--reporter", default="", help="Who raised it.")
@click.option("--no-triage", is_flag=True, help="Only queue it, for `payops run` to handle.")
@click.option("--json", "as_json", is_flag=True, help="One JSON object.")
@pass_app
def ticket_new(app: AppContext, title: str, body: str | None, file_: Path | None, reporter: str,
               no_triage: bool, as_json: bool) -> None:
    """Create a ticket in the local queue and run the bot's pipeline on it now: labels,
    entities, similar tickets, and the answer (inquiries) or the on-call summary."""
    from triage.service import Triager, create_ticket

    if body is None:
        body = file_.read_text(encoding="utf-8") if file_ else ("" if sys.stdin.isatty() else sys.stdin.read())
    if not (title.strip() or body.strip()):
        raise click.UsageError("give --title and/or a body (--body, --file or standard input)")
    pipeline = None
    if not no_triage:
        from bot.cli.bot_commands import settings_for
        from bot.pipeline import Pipeline

        pipeline = Pipeline(Triager(_load_model(), _embedder()), settings_for(app), clock=app.clock)
    out: dict[str, Any]
    with app.db.session() as session:
        new = create_ticket(session, title=title, body=body, reporter=reporter, now=app.clock())
        if pipeline is None:
            out = {"ticket": new.id, "key": new.external_key, "state": new.state}
        else:
            pipeline.triager.index_stored(session)
            outcome = pipeline.process(session, new)
            out = {**outcome.triage.as_dict(), "state": new.state, "route": outcome.route,
                   "answer": outcome.answer, "summary": outcome.summary}
    if as_json:
        echo_json(out)
        return
    click.echo(f"{out['key']}: {out['state']}")
    for head, p in out.get("labels", {}).items():
        flag = " (abstained: needs a person)" if p["abstained"] else ""
        click.echo(f"  {head}: {p['label']} {p['confidence']:.2f}{flag}")
    for match in out.get("similar", [])[:3]:
        click.echo(f"  similar {match['similarity']:.2f}: {match['title']} -> {match['resolution']}")
    if out.get("answer"):
        click.echo(f"\n{out['answer']}")


@click.command()
@click.option("--state", type=click.Choice(TICKET_STATES), help="Only tickets in this state.")
@click.option("--category", type=click.Choice(VALUES["category"]), help="Confirmed, else predicted category.")
@click.option("--root-cause", type=click.Choice(VALUES["root_cause"]), help="Confirmed, else predicted root cause.")
@click.option("--limit", default=200, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="A JSON list.")
@pass_app
def tickets(app: AppContext, state: str | None, category: str | None, root_cause: str | None, limit: int,
            as_json: bool) -> None:
    """List tickets, newest first."""
    query = select(Ticket).order_by(Ticket.id.desc())
    if state:
        query = query.where(Ticket.state == state)
    with app.db.session() as session:
        rows: list[dict[str, Any]] = []
        for t in session.scalars(query):
            labels = {head: getattr(t, f"confirmed_{head}") or (t.predicted or {}).get(head, {}).get("label")
                      for head in VALUES}
            if (category and labels["category"] != category) or (root_cause and labels["root_cause"] != root_cause):
                continue
            rows.append({"ticket": t.id, "key": t.external_key, "source": t.source, "state": t.state,
                         "title": t.title, "labels": labels, "created_at": t.created_at})
            if len(rows) >= limit:
                break
    if as_json:
        echo_json(rows)
        return
    for r in rows:
        click.echo(f"{r['key']}\t{r['state']}\t{r['labels']['category']}\t{r['labels']['root_cause']}\t{r['title']}")


@click.group()
def triage() -> None:
    """Train, evaluate and correct the ticket classifier."""


@triage.command("train")
@click.option("--data", "data", multiple=True, type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="Extra labeled JSONL files (title, body, cut, category, root_cause).")
@click.option("--precision", default=0.95, show_default=True, help="Precision the abstain thresholds must reach.")
@click.option("--json", "as_json", is_flag=True, help="The model's metadata as JSON.")
@pass_app
def triage_train(app: AppContext, data: tuple[Path, ...], precision: float, as_json: bool) -> None:
    """Train on the bundled corpus, any --data files, and labels confirmed in the database."""
    from triage import model_store
    from triage.corpus import bundled_corpus_files, confirmed_tickets, load_files
    from triage.training import train

    labeled = load_files([*bundled_corpus_files(), *data])
    with app.db.session() as session:
        confirmed = confirmed_tickets(session)
    _progress(f"{len(labeled)} corpus tickets and {len(confirmed)} with confirmed labels")
    model = train(labeled + confirmed, _embedder(), now=app.clock(), target_precision=precision, progress=_progress)
    model.meta["confirmed_tickets"] = len(confirmed)
    where = model_store.save(model, model_store.model_dir())
    if as_json:
        echo_json(model.meta)
    else:
        click.echo(f"saved {model.version} to {where}")


@triage.command("eval")
@click.option("--data", required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="Labeled JSONL in the corpus format.")
@click.option("--json", "as_json", is_flag=True, help="One object per label.")
def triage_eval(data: Path, as_json: bool) -> None:
    """Evaluate the trained model on a labeled file."""
    from triage.corpus import load_jsonl
    from triage.training import evaluate

    report = evaluate(_load_model(), _embedder(), load_jsonl(data))
    _show_report(report, as_json)


@triage.command("holdout")
@click.option("--test-size", default=0.2, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="One object per label.")
@pass_app
def triage_holdout(app: AppContext, test_size: float, as_json: bool) -> None:
    """Train on 80 % of the bundled corpus and evaluate on the held-out rest."""
    from triage.corpus import bundled_corpus_files, load_files
    from triage.training import holdout

    report = holdout(load_files(bundled_corpus_files()), _embedder(), now=app.clock(), test_size=test_size,
                     progress=_progress)
    _show_report(report, as_json)


@triage.command("train-csv")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--text-col", required=True)
@click.option("--label-col", required=True)
@click.option("--folds", default=5, show_default=True)
@click.option("--limit", type=int, help="Use a random sample of this many rows.")
@click.option("--embeddings/--no-embeddings", default=True, show_default=True)
@click.option("--json", "as_json", is_flag=True)
def triage_train_csv(file: Path, text_col: str, label_col: str, folds: int, limit: int | None,
                     embeddings: bool, as_json: bool) -> None:
    """Cross-validate (stratified k-fold) the pipeline on any labeled CSV, plain or gzipped."""
    from triage.train_csv import CsvDataError, cross_validate, read_labeled_csv

    try:
        data = read_labeled_csv(file, text_col, label_col, limit)
    except CsvDataError as exc:
        raise click.ClickException(str(exc)) from exc
    report = cross_validate(data, _embedder() if embeddings else None, folds=folds, progress=_progress)
    if as_json:
        echo_json(report)
    else:
        click.echo(f"{report['rows']} rows, {report['classes']} classes, {folds}-fold: accuracy "
                   f"{report['accuracy']:.4f}, macro-F1 {report['macro_f1']:.4f}")


@triage.command("correct")
@click.argument("ticket_ref")
@click.option("--cut", type=click.Choice(VALUES["cut"]))
@click.option("--category", type=click.Choice(VALUES["category"]))
@click.option("--root-cause", type=click.Choice(VALUES["root_cause"]))
@click.option("--by", default=lambda: __import__("getpass").getuser(), help="Who confirms (default: you).")
@pass_app
def triage_correct(app: AppContext, ticket_ref: str, cut: str | None, category: str | None,
                   root_cause: str | None, by: str) -> None:
    """Confirm a ticket's labels; the next `payops triage train` learns from them."""
    from triage.service import TicketNotFound, correct_ticket, find_ticket

    with app.db.session() as session:
        try:
            found = find_ticket(session, ticket_ref)
        except TicketNotFound as exc:
            raise click.ClickException(str(exc)) from exc
        try:
            done = correct_ticket(session, found, by=by, now=app.clock(), cut=cut, category=category,
                                  root_cause=root_cause)
        except ValueError as exc:
            raise click.UsageError(str(exc)) from exc
        key = found.external_key
    for c in done:
        click.echo(f"{key}: {c.label} {c.predicted or '-'} -> {c.confirmed} (by {c.by})")
