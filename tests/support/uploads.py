"""Hostile uploads, generated small and fast: XLSX decompression bombs, sheets with row gaps.

An XLSX file is a zip archive of XML parts. :func:`xlsx_file` writes the few parts a
reader needs around a worksheet XML given as text, so a test can state exactly the
sheet an attacker would send (a declared dimension far larger than its cells, one cell
30,000 rows down, a part that unpacks a thousand times).
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Mapping, Sequence
from typing import Any
from xml.sax.saxutils import escape

_SML = "application/vnd.openxmlformats-officedocument.spreadsheetml"
_PKG = "http://schemas.openxmlformats.org/package/2006"
_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_XML = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
_CONTENT_TYPES = (
    _XML + f'<Types xmlns="{_PKG}/content-types">'
    '<Default Extension="rels" ContentType="application/'
    'vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    f'<Override PartName="/xl/workbook.xml" ContentType="{_SML}.sheet.main+xml"/>'
    f'<Override PartName="/xl/worksheets/sheet1.xml" ContentType="{_SML}.worksheet+xml"/>'
    "{shared_override}</Types>"
)
_SHARED_OVERRIDE = (
    f'<Override PartName="/xl/sharedStrings.xml" ContentType="{_SML}.sharedStrings+xml"/>'
)
_RELS = (
    _XML + f'<Relationships xmlns="{_PKG}/relationships">'
    f'<Relationship Id="rId1" Type="{_REL}/officeDocument" Target="xl/workbook.xml"/>'
    "</Relationships>"
)
_WORKBOOK = (
    _XML + f'<workbook xmlns="{_MAIN}" xmlns:r="{_REL}">'
    '<sheets><sheet name="firms" sheetId="1" r:id="rId1"/></sheets></workbook>'
)
_WORKBOOK_RELS = (
    _XML + f'<Relationships xmlns="{_PKG}/relationships">'
    f'<Relationship Id="rId1" Type="{_REL}/worksheet" Target="worksheets/sheet1.xml"/>'
    "{shared_rel}</Relationships>"
)
_SHARED_REL = f'<Relationship Id="rId2" Type="{_REL}/sharedStrings" Target="sharedStrings.xml"/>'
_SHEET = (
    _XML
    + f'<worksheet xmlns="{_MAIN}">'
    + "{dimension}<sheetData>{rows}</sheetData>{tail}</worksheet>"
)


def column_letter(index: int) -> str:
    """``1`` → ``A``, ``27`` → ``AA``."""
    letters = ""
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def row_xml(row: int, values: Sequence[Any], *, first_column: int = 1) -> str:
    """One ``<row>`` of inline-string and number cells."""
    cells = []
    for offset, value in enumerate(values):
        ref = f"{column_letter(first_column + offset)}{row}"
        if value is None:
            continue
        if isinstance(value, bool | str):
            text = escape(str(value).lower() if isinstance(value, bool) else value)
            cells.append(f'<c r="{ref}" t="inlineStr"><is><t>{text}</t></is></c>')
        else:
            cells.append(f'<c r="{ref}"><v>{value}</v></c>')
    return f'<row r="{row}">{"".join(cells)}</row>'


def sheet_xml(
    rows: Mapping[int, Sequence[Any]], *, dimension: str | None = None, tail: str = ""
) -> str:
    """A worksheet with the given rows (sheet row number → values) and declared dimension."""
    body = "".join(row_xml(r, values) for r, values in sorted(rows.items()))
    declared = f'<dimension ref="{dimension}"/>' if dimension else ""
    return _SHEET.format(dimension=declared, rows=body, tail=tail)


def xlsx_file(sheet: str, *, shared_strings: str | None = None) -> bytes:
    """A minimal workbook around ``sheet`` (and a shared-string part, when given)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        shared = shared_strings is not None
        archive.writestr(
            "[Content_Types].xml",
            _CONTENT_TYPES.format(shared_override=_SHARED_OVERRIDE if shared else ""),
        )
        archive.writestr("_rels/.rels", _RELS)
        archive.writestr("xl/workbook.xml", _WORKBOOK)
        archive.writestr(
            "xl/_rels/workbook.xml.rels",
            _WORKBOOK_RELS.format(shared_rel=_SHARED_REL if shared else ""),
        )
        archive.writestr("xl/worksheets/sheet1.xml", sheet)
        if shared_strings is not None:
            archive.writestr("xl/sharedStrings.xml", shared_strings)
    return buffer.getvalue()


def ratio_bomb(records: Sequence[Mapping[str, Any]], *, padding_bytes: int) -> bytes:
    """A valid sheet of ``records`` whose worksheet part is padded with one long comment.

    The padding compresses about a thousand times: the shape of an upload of 1 MB that
    unpacks to 1 GB, at a size a test can make in milliseconds.
    """
    header = list(records[0])
    rows = {1: header, **{i + 2: [r.get(k) for k in header] for i, r in enumerate(records)}}
    return xlsx_file(sheet_xml(rows, tail="<!--" + "A" * padding_bytes + "-->"))


def shared_string_bomb(records: Sequence[Mapping[str, Any]], *, string_bytes: int) -> bytes:
    """A sheet whose one shared string is ``string_bytes`` long (it would be held whole)."""
    header = list(records[0])
    rows = {1: header, **{i + 2: [r.get(k) for k in header] for i, r in enumerate(records)}}
    sheet = sheet_xml(rows).replace(
        "</sheetData>",
        f'<row r="{len(records) + 2}"><c r="A{len(records) + 2}" t="s">'
        "<v>0</v></c></row></sheetData>",
    )
    strings = (
        _XML + f'<sst xmlns="{_MAIN}" count="1" uniqueCount="1">'
        f"<si><t>{'B' * string_bytes}</t></si></sst>"
    )
    return xlsx_file(sheet, shared_strings=strings)
