"""``srdi score`` ranks a candidate file; ``srdi explain`` shows one firm's reasons.

``srdi make-sample`` (hidden) rebuilds the bundled sample candidate files from a
synthetic world.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape

from srdi.cli.input_report import StrictOption
from srdi.cli.support import (
    ColumnMapOption,
    errors_path_for,
    fail,
    output_table_format,
    parse_column_map,
)

if TYPE_CHECKING:
    import pandas as pd
    from rich.console import Console

    from features.firm_years import InputReport
    from serving.page.screen_file import ScreenedFile
    from serving.scoring.scorer import Scorer
    from srdi.core.settings import Settings

__all__ = ["register"]


def register(app: typer.Typer) -> None:
    """Add ``score``, ``explain`` and the hidden ``make-sample`` to the CLI."""
    app.command("score")(score)
    app.command("explain")(explain)
    app.command("make-sample", hidden=True)(make_sample)


def score(
    input_path: Annotated[
        Path, typer.Argument(metavar="IN", help="Candidates: .csv (UTF-8/GBK), .xlsx or .parquet.")
    ],
    output: Annotated[
        Path,
        typer.Option("-o", "--output", metavar="OUT", help="Ranked file: .csv, .xlsx or .parquet."),
    ],
    column_map: ColumnMapOption = None,
    top_reasons: Annotated[
        int, typer.Option(min=1, max=10, help="Reason texts in the top_reasons column.")
    ] = 3,
    chunk_rows: Annotated[
        int, typer.Option(min=1, help="Rows read and scored at a time.")
    ] = 50_000,
    strict: StrictOption = False,
    target: Annotated[
        str,
        typer.Option(
            help="The question the ranking asks: srdi_sme (next provincial SRDI), little_giant "
            "(next Little Giant), retention (re-review risk, least likely to keep the status "
            "first). Every firm's row carries every score."
        ),
    ] = "srdi_sme",
) -> None:
    """Rank a file of firms by one question, with every score, reasons and scheme verdicts.

    Writes OUT (format by extension) with the columns of the screening page's export,
    and OUT's sibling <stem>.errors.csv listing the ignored columns and every bad row
    (row = 0-based data row). A long or wide vendor layout is read as firm-years and
    each firm is ranked on its latest year.
    """
    from rich.console import Console

    from features.spreadsheet import write_csv
    from serving.page.export import errors_frame, write_export

    console = Console(stderr=True)
    output_table_format(output)
    mapping = parse_column_map(column_map)
    _require_file(input_path)
    settings = _settings()
    scorer = _load_scorer(settings)
    try:
        scorer.check_rank_by(target)
    except ValueError as error:
        fail(f"--target: {error}", code=2)
    outcome = _screen_with_progress(
        console, scorer, input_path, mapping, top_reasons, chunk_rows, target, strict
    )
    written = write_export(outcome.ranking, output)
    errors_path = errors_path_for(output)
    errors = outcome.errors if len(outcome.errors) else errors_frame([])
    write_csv(_with_ignored_columns(errors, outcome), errors_path)
    _report_input(console, outcome.input)
    _summary(console, outcome, written, errors_path)


def _with_ignored_columns(errors: pd.DataFrame, outcome: ScreenedFile) -> pd.DataFrame:
    """The ignored columns first (no row number, the header as field), then the bad rows."""
    import pandas as pd

    ignored = outcome.input.ignored
    if not ignored:
        return errors
    columns = pd.DataFrame(
        {
            "row": [""] * len(ignored),
            "field": list(ignored),
            "value": [""] * len(ignored),
            "message": list(ignored.values()),
        }
    )
    return pd.concat([columns, errors.astype({"row": object})], ignore_index=True)


def _report_input(console: Console, report: InputReport) -> None:
    """How IN was read (layout, mapping, notes) and a warning per ignored column."""
    for line in report.lines()[: 2 + len(report.notes)]:
        console.print(line, highlight=False, soft_wrap=True, markup=False)
    for sentence in report.ignored.values():
        console.print(f"[yellow]warning:[/] {escape(sentence)}", highlight=False, soft_wrap=True)


def explain(
    input_path: Annotated[
        Path, typer.Argument(metavar="IN", help="Candidates: .csv (UTF-8/GBK), .xlsx or .parquet.")
    ],
    company_id: Annotated[str, typer.Option("--id", help="The firm's company_id.")],
    year: Annotated[
        int | None, typer.Option(help="Fiscal year when the file has several (default: latest).")
    ] = None,
    column_map: ColumnMapOption = None,
    all_schemes: Annotated[
        bool, typer.Option("--all-schemes", help="Print every scheme's full checklist.")
    ] = False,
    strict: StrictOption = False,
) -> None:
    """Print one firm's score, reasons, ratios beside industry medians and criteria gaps."""
    from rich.console import Console

    from srdi.cli.explain_view import explain_renderables

    console = Console()
    mapping = parse_column_map(column_map)
    _require_file(input_path)
    settings = _settings()
    scorer = _load_scorer(settings)
    frame, report = _firm_rows(input_path, company_id, mapping, strict)
    _report_input(Console(stderr=True), report)
    result = _explain_firm(scorer, frame, company_id, year)
    for part in explain_renderables(result, all_schemes=all_schemes):
        console.print(part)


def make_sample(
    data: Annotated[Path, typer.Option(help="World directory with financials.parquet.")] = Path(
        "data/world"
    ),
    out: Annotated[Path, typer.Option(help="Where the sample files go.")] = Path(
        "serving/page/sample_data"
    ),
    rows: Annotated[int, typer.Option(min=1, help="Candidates in the sample.")] = 400,
    seed: Annotated[int, typer.Option(help="Seed of the draw.")] = 7,
) -> None:
    """Rebuild the bundled sample candidate files from a synthetic world."""
    import pandas as pd
    from rich.console import Console

    from srdi.cli.sample import write_samples

    console = Console(stderr=True)
    panel = data / "financials.parquet"
    if not panel.is_file():
        fail(f"{panel} not found; generate a world first: srdi synth --out {data}")
    plain, gbk = write_samples(pd.read_parquet(panel), out, n_rows=rows, seed=seed)
    console.print(f"wrote {plain} and {gbk}")


# -- helpers ---------------------------------------------------------------------------


def _settings() -> Settings:
    from srdi.core.settings import load_settings

    return load_settings()


def _require_file(path: Path) -> None:
    if not path.is_file():
        fail(f"input file {str(path)!r} does not exist", code=2)


def _load_scorer(settings: Settings) -> Scorer:
    """The three targets' champions; a missing one answers "not trained" in the results."""
    from serving.scoring.model_holder import RegistryModelProvider
    from srdi.core.bundle import NoChampionError

    try:
        return RegistryModelProvider(settings).load()
    except NoChampionError as error:
        fail(str(error))


def _screen_with_progress(
    console: Console,
    scorer: Scorer,
    path: Path,
    mapping: dict[str, str] | None,
    top_reasons: int,
    chunk_rows: int,
    target: str,
    strict: bool = False,
) -> ScreenedFile:
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
    )

    from features.firm_years import UnmatchedColumnsError
    from features.io import TableReadError
    from serving.page.screen_file import count_data_rows, screen_file

    total = count_data_rows(path)
    columns = (
        TextColumn("{task.description:<22}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=console, transient=False) as bar:
        scoring = bar.add_task("read, validate, score", total=total)
        explaining = bar.add_task("explain and write", total=None, visible=False)

        def advance(phase: str, n: int) -> None:
            if phase == "scored":
                bar.advance(scoring, n)
            else:
                if not bar.tasks[explaining].visible:
                    done = bar.tasks[scoring].completed
                    bar.update(scoring, total=done, completed=done)
                    bar.update(explaining, visible=True)
                bar.advance(explaining, n)

        try:
            outcome = screen_file(
                scorer,
                path,
                column_map=mapping,
                chunk_rows=chunk_rows,
                top_reasons=top_reasons,
                progress=advance,
                strict=strict,
                rank_by=target,
            )
        except UnmatchedColumnsError as error:
            bar.stop()
            fail(str(error), code=2)
        except (TableReadError, ValueError, UnicodeDecodeError, OSError) as error:
            bar.stop()
            fail(f"cannot screen {str(path)!r}: {error}")
        bar.update(explaining, total=outcome.n_scored, completed=outcome.n_scored, visible=True)
    return outcome


def _summary(console: Console, outcome: ScreenedFile, written: Path, errors_path: Path) -> None:
    import pandas as pd
    from rich.table import Table

    from features.ladder import TARGET_BY_ID

    console.print(
        f"ranked [bold]{outcome.n_scored:,}[/] of {outcome.n_rows:,} rows by "
        f"{TARGET_BY_ID[outcome.rank_by].question} → {written}",
        highlight=False,
        soft_wrap=True,
    )
    models = ", ".join(
        f"{target} {'v' + version if version else 'not trained'}"
        for target, version in outcome.versions.items()
    )
    console.print(f"models: {models}", highlight=False, soft_wrap=True)
    if outcome.n_bad_rows:
        console.print(
            f"[yellow]{outcome.n_bad_rows:,} bad rows[/] not scored, "
            f"{len(outcome.errors):,} problems listed in {errors_path}",
            highlight=False,
            soft_wrap=True,
        )
    else:
        console.print(f"no bad rows ({errors_path} is empty)", highlight=False, soft_wrap=True)
    top = outcome.ranking.head(5)
    if len(top):
        table = Table(title="Top of the ranking", title_justify="left")
        for column in ("rank", "company_id", "name", "rung", outcome.rank_by, "band"):
            table.add_column(column, overflow="fold")
        for record in top.to_dict(orient="records"):
            score = record[f"{outcome.rank_by}_score"]
            table.add_row(
                "—" if pd.isna(record["rank"]) else str(record["rank"]),
                str(record["company_id"]),
                str(record["name"] or ""),
                str(record["rung"] or ""),
                "—" if pd.isna(score) else f"{float(score) * 100:.1f}%",
                str(record[f"{outcome.rank_by}_band"] or ""),
            )
        console.print(table)


def _firm_rows(
    path: Path, company_id: str, mapping: dict[str, str] | None, strict: bool
) -> tuple[pd.DataFrame, InputReport]:
    import pandas as pd

    from features.firm_years import FirmYearReader, UnmatchedColumnsError
    from features.formats import input_format
    from features.io import TableReadError

    try:
        reader = FirmYearReader(
            path, None, format=input_format(path), mapping=mapping, strict=strict
        )
        frame = pd.concat([part for _, part in reader], ignore_index=True)
    except UnmatchedColumnsError as error:
        fail(str(error), code=2)
    except (TableReadError, ValueError, UnicodeDecodeError, OSError) as error:
        fail(f"cannot read {str(path)!r}: {error}")
    if "company_id" not in frame.columns:
        fail(f"{str(path)!r} has no company_id column (or alias such as 统一社会信用代码)")
    wanted = company_id.strip()
    ids = frame["company_id"].astype("string").str.strip()
    rows = frame[(ids == wanted).fillna(False).to_numpy(dtype=bool)]
    if rows.empty:
        fail(f"no row with company_id {wanted!r} among {len(frame):,} rows of {path}")
    return rows, reader.report


def _explain_firm(
    scorer: Scorer, rows: pd.DataFrame, company_id: str, year: int | None
) -> dict[str, object]:
    from serving.page.session import DETAIL_REASONS

    ranked = scorer.score_frame(rows, explain=True, top_reasons=DETAIL_REASONS)
    results = ranked.results()
    if not results:
        problems = "; ".join(f"{e.field}: {e.message}" for e in ranked.errors)
        fail(f"the row(s) of {company_id!r} are invalid: {problems}")
    if year is not None:
        results = [r for r in results if r.get("fiscal_year") == year]
        if not results:
            fail(f"{company_id!r} has no valid row for fiscal year {year}")
    latest = max(results, key=lambda r: int(r.get("fiscal_year") or 0))
    latest.pop("rank", None)  # a rank among this firm's own rows means nothing
    return latest
