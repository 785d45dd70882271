"""Multipart uploads: the parts a route takes, checked, and documented as they are checked.

The upload routes read their form themselves (:func:`read_form`) instead of through
FastAPI's ``File()`` parameters, so that what the OpenAPI document says
(:func:`multipart_openapi`) is exactly what is enforced:

- the body must be ``multipart/form-data`` (415 otherwise, before anything is read);
- only the declared parts may be sent (``additionalProperties: false``; an unknown
  part is a 422 naming it, never silently ignored);
- a file part declares its media types (``encoding.contentType``): a table is CSV,
  XLSX or Parquet, told by the file name's extension or, without one, by the part's
  ``Content-Type``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from starlette.datastructures import FormData, UploadFile
from starlette.requests import Request

from features.formats import READABLE, TableFormat, format_from_suffix
from serving.api.errors import BadInputError

__all__ = [
    "TABLE_MEDIA_TYPES",
    "form_file",
    "form_text",
    "multipart_openapi",
    "read_form",
    "table_format",
]

# The media types of the tables this service reads; the first is what a file with an
# unknown extension is read as when its part says nothing.
TABLE_MEDIA_TYPES: Mapping[str, TableFormat] = {
    "text/csv": "csv",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": "xlsx",
    "application/vnd.apache.parquet": "parquet",
}
_MULTIPART = "multipart/form-data"


async def read_form(request: Request, parts: Mapping[str, bool]) -> FormData:
    """Read a ``multipart/form-data`` body that may hold only ``parts``.

    Parameters
    ----------
    request
        The request.
    parts
        Part name → whether it is required.

    Raises
    ------
    serving.api.errors.BadInputError
        415 when the body is not multipart; 422 for an unknown or missing part.
    """
    sent = request.headers.get("content-type", "")
    if sent.partition(";")[0].strip().lower() != _MULTIPART:
        raise BadInputError(
            f"send the upload as {_MULTIPART} (got {sent[:60] or 'no Content-Type'})",
            field="content-type",
            status_code=415,
        )
    form = await request.form()
    unknown = sorted(set(form.keys()) - set(parts))
    if unknown:
        raise BadInputError(
            f"unknown form part {unknown[0][:40]!r}: this route takes "
            + ", ".join(repr(name) for name in parts),
            field=unknown[0][:40],
        )
    for name, required in parts.items():
        if required and name not in form:
            raise BadInputError(f"the form part {name!r} is required", field=name)
        if len(form.getlist(name)) > 1:
            raise BadInputError(f"the form part {name!r} is sent more than once", field=name)
    return form


def form_file(form: FormData, name: str) -> UploadFile:
    """The file part ``name`` (422 when it was sent as a plain field, without a file name)."""
    value = form[name]
    if not isinstance(value, UploadFile):
        raise BadInputError(
            f"the form part {name!r} must be a file (a part with a filename)", field=name
        )
    return value


async def form_text(form: FormData, name: str) -> bytes | None:
    """The bytes of part ``name``, sent as a file or as a plain field; ``None`` when absent."""
    value = form.get(name)
    if value is None:
        return None
    if isinstance(value, UploadFile):
        return await value.read()
    return value.encode("utf-8")


def table_format(upload: UploadFile) -> TableFormat:
    """The table format of an upload: its extension, else its part's media type.

    Raises
    ------
    serving.api.errors.BadInputError
        415 when neither names CSV, XLSX or Parquet.
    """
    name = upload.filename or ""
    fmt = format_from_suffix(name)
    if fmt is not None:
        return fmt
    media = (upload.content_type or "").partition(";")[0].strip().lower()
    fmt = TABLE_MEDIA_TYPES.get(media)
    if fmt is not None:
        return fmt
    raise BadInputError(
        f"cannot screen {name or 'the upload'!r}: send a {READABLE} file, or name its type "
        "in the part's Content-Type (" + ", ".join(TABLE_MEDIA_TYPES) + ")",
        field="file",
        status_code=415,
    )


def multipart_openapi(
    properties: Mapping[str, dict[str, Any]],
    *,
    required: tuple[str, ...],
    encoding: Mapping[str, str],
) -> dict[str, Any]:
    """The ``openapi_extra`` documenting a ``multipart/form-data`` body.

    Parameters
    ----------
    properties
        Part name → its schema.
    required
        The parts that must be sent.
    encoding
        Part name → its media types (comma-separated, as OpenAPI writes them).
    """
    schema = {
        "type": "object",
        "properties": dict(properties),
        "required": list(required),
        "additionalProperties": False,
    }
    return {
        "requestBody": {
            "required": True,
            "content": {
                _MULTIPART: {
                    "schema": schema,
                    "encoding": {name: {"contentType": media} for name, media in encoding.items()},
                }
            },
        }
    }
