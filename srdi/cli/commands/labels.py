"""``srdi labels LIST... --panel DIR -o OUT``: published name lists → certifications."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from srdi.cli.support import ColumnMapOption, fail, parse_column_map

if TYPE_CHECKING:
    from training.published.lists import PublishedList
    from training.published.output import Labels

__all__ = ["register"]

_SHOWN_PROBLEMS = 10


def register(app: typer.Typer) -> None:
    """Add ``labels`` to the CLI."""
    app.command("labels")(labels)


def labels(
    lists: Annotated[
        list[Path],
        typer.Argument(
            metavar="LIST...",
            help="Published lists (.csv, .xlsx, .parquet): 序号, 企业名称, 所在地区, and "
            "统一社会信用代码 when given.",
        ),
    ],
    panel: Annotated[
        Path,
        typer.Option(
            "--panel", metavar="DIR", help="Panel folder (its financials table) or the table."
        ),
    ],
    output: Annotated[
        Path,
        typer.Option(
            "-o",
            "--output",
            metavar="OUT",
            help="certifications.parquet (or .csv) to write; a folder gets certifications.parquet.",
        ),
    ],
    tier: Annotated[
        str | None,
        typer.Option(
            help="Tier of every list: innovative_sme, srdi_sme or little_giant (default: a "
            "column of the list, else its file name)."
        ),
    ] = None,
    year: Annotated[
        int | None,
        typer.Option(
            min=1949, max=2100, help="Year granted (default: a column, else the file name)."
        ),
    ] = None,
    accept_fuzzy: Annotated[
        bool,
        typer.Option(
            "--accept-fuzzy",
            help="Link a near name when it is the single best at --min-similarity or above.",
        ),
    ] = False,
    min_similarity: Annotated[
        float,
        typer.Option(min=0, max=100, help="Similarity (0–100) a near name needs to be linked."),
    ] = 85.0,
    review_similarity: Annotated[
        float,
        typer.Option(min=0, max=100, help="Similarity (0–100) to be listed for review."),
    ] = 60.0,
    column_map: ColumnMapOption = None,
) -> None:
    """Link the firms of published certification lists to a panel and write certifications.

    Each listed firm is linked by credit code (checked; a wrong check digit is an
    error), else by name as written, else by normalized name; near names are listed
    for review and linked only with --accept-fuzzy. Writes OUT and, beside it,
    <OUT stem>.linkage.csv with one row per listed firm.

    Exit status: 0 when OUT was written, 1 when no firm could be linked, 2 for bad
    arguments or an unreadable list or panel.
    """
    from features.io import TableReadError
    from features.spreadsheet import write_csv
    from training.published.linkage import LinkOptions, link_firms
    from training.published.lists import ListError, read_published_list
    from training.published.output import make_labels_output
    from training.published.panel import PanelFirmsError, read_panel_firms

    out = _output_path(output)
    mapping = parse_column_map(column_map)
    try:
        options = LinkOptions(
            accept_fuzzy=accept_fuzzy,
            review_similarity=min(review_similarity, min_similarity),
            accept_similarity=min_similarity,
        )
        read = [read_published_list(path, tier=tier, year=year) for path in lists]
        firms, panel_path = read_panel_firms(panel, mapping)
    except (ListError, PanelFirmsError, TableReadError, ValueError) as error:
        fail(str(error), code=2)
    typer.echo(f"panel: {len(firms):,} firms in {panel_path}")
    for published in read:
        _describe_list(published)
    links = link_firms(firms, [f for p in read for f in p.firms], options)
    result = make_labels_output(links)
    report_path = out.with_name(f"{out.stem}.linkage.csv")
    report_path.parent.mkdir(parents=True, exist_ok=True)
    # BOM so that Excel on a Chinese Windows shows the names; a listed name that a
    # spreadsheet would evaluate (=, +, -, @) is written so that it stays text.
    write_csv(result.report, report_path)
    _summary(result, report_path, accept_fuzzy, min_similarity)
    if result.certifications.empty:
        fail(f"no listed firm could be linked to the panel; see {report_path}", code=1)
    if out.suffix.lower() == ".csv":
        result.certifications.to_csv(out, index=False)
    else:
        result.certifications.to_parquet(out, index=False)
    typer.echo(
        f"wrote {len(result.certifications):,} certifications to {out} "
        f"(company_id, tier, granted_year, expires_year)"
    )


def _output_path(output: Path) -> Path:
    if output.is_dir() or not output.suffix:
        return output / "certifications.parquet"
    if output.suffix.lower() not in (".parquet", ".csv"):
        fail(f"cannot write {str(output)!r}: OUT must end in .parquet or .csv", code=2)
    return output


def _describe_list(published: PublishedList) -> None:
    used = ", ".join(f"{role} ← {header!r}" for role, header in published.columns.items())
    typer.echo(
        f"list {published.source}: {len(published.firms):,} firms; tier from "
        f"{published.tier_from}, year from {published.year_from}; columns: {used}"
    )
    if published.ignored:
        ignored = ", ".join(repr(h) for h in published.ignored)
        typer.echo(f"warning: {published.source}: columns ignored: {ignored}", err=True)


def _summary(result: Labels, report_path: Path, accept_fuzzy: bool, min_similarity: float) -> None:
    counts = result.counts
    typer.echo(
        "linked: "
        + ", ".join(f"{counts[s]:,} {s}" for s in ("exact", "normalized", "accepted_fuzzy"))
        + "; not linked: "
        + ", ".join(
            f"{counts[s]:,} {s}"
            for s in ("needs_review", "ambiguous", "unmatched", "invalid_code", "invalid_row")
        )
    )
    if result.duplicates:
        typer.echo(f"{result.duplicates:,} firm(s) listed twice for the same tier and year")
    problems = result.report[result.report["status"].isin(["invalid_code", "invalid_row"])]
    for record in problems.head(_SHOWN_PROBLEMS).to_dict(orient="records"):
        typer.echo(f"error: {record['list']} row {record['row']}: {record['note']}", err=True)
    if len(problems) > _SHOWN_PROBLEMS:
        typer.echo(f"error: … {len(problems) - _SHOWN_PROBLEMS} more in {report_path}", err=True)
    if counts["needs_review"] and not accept_fuzzy:
        typer.echo(
            f"{counts['needs_review']:,} near match(es) need review (candidates and similarity "
            f"in the report); --accept-fuzzy links those at {min_similarity:.0f} or above"
        )
    typer.echo(f"linkage report: {report_path}")
