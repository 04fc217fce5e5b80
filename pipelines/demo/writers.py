"""Write extract tables as an ERP would export them: file names, headers, encodings, title rows.

English files carry the canonical column names of ``pipelines.ingest.extracts.schema`` and the run's end
date in the name (``sales_orders_20251231.csv``); CSVs are UTF-8. Chinese files imitate U8-style
report exports: fixed Chinese file names and headers (``layouts``), a title row and a filter row above the header,
a ``合计`` row with the sums of the quantity columns at the bottom, GB18030-encoded CSVs with CRLF
line ends, and real date cells in the workbooks.

Every file is written under a temporary dot-name in the output folder and moved into place with
``os.replace``, so a folder watcher never sees half a file. Workbooks are rewritten with fixed zip
timestamps and document properties so that the same inputs give byte-identical files.
"""

from __future__ import annotations

import csv
import io
import os
import re
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
from openpyxl import Workbook

from pipelines.demo.layouts import Layout, file_name

XLSX_MAX_ROWS = 1_000_000
TOTAL_LABEL = "合计"
CSV_BATCH_ROWS = 500_000


@dataclass
class _Totals:
    """Running sums of the 合计 columns over the batches of a file."""

    columns: tuple[str, ...]
    values: dict[str, float]

    @classmethod
    def of(cls, columns: tuple[str, ...]) -> _Totals:
        return cls(columns, dict.fromkeys(columns, 0.0))

    def add(self, table: pa.Table) -> None:
        for c in self.columns:
            self.values[c] += pc.sum(table[c]).as_py() or 0

    def row(self, canonical: list[str]) -> list[str]:
        out = [TOTAL_LABEL] + [""] * (len(canonical) - 1)
        for i, c in enumerate(canonical):
            if c in self.values and i > 0:
                v = round(self.values[c], 2)
                out[i] = str(int(v)) if float(v).is_integer() else str(v)
        return out


def write_extract(
    out_dir: Path,
    layout: Layout,
    lang: str,
    batches: Iterable[pa.Table],
    start: date,
    end: date,
    fmt: str | None = None,
) -> tuple[Path, int]:
    """Write one extract file atomically; returns its path and the number of data rows. ``fmt``
    "parquet" writes a text extract as Parquet instead (typed columns, no title or total rows)."""
    fmt = fmt or layout.fmt
    path = out_dir / file_name(layout, lang, end, fmt)
    tmp = out_dir / f".{path.name}.tmp"
    banner = _banner(layout, start, end) if lang == "zh" else None
    try:
        if fmt == "xlsx":
            rows = _write_xlsx(tmp, layout, lang, pa.concat_tables(list(batches)), banner, end)
        elif fmt == "parquet":
            rows = _write_parquet(tmp, layout, lang, batches)
        else:
            rows = _write_csv(tmp, layout, lang, batches, banner)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    return path, rows


def _banner(layout: Layout, start: date, end: date) -> tuple[str, str]:
    if layout.period is None:
        return layout.zh_title, f"查询日期: {end:%Y-%m-%d}  {layout.scope}"
    if layout.opening:  # the balances at the start of the period's first day
        return layout.zh_title, f"{layout.period}: {start:%Y-%m-%d}  {layout.scope}"
    return layout.zh_title, f"{layout.period}: {start:%Y-%m-%d} 至 {end:%Y-%m-%d}  {layout.scope}"


def _headers(layout: Layout, lang: str, columns: list[str]) -> list[str]:
    return [layout.zh_headers[c] for c in columns] if lang == "zh" else columns


def _ordered(layout: Layout, table: pa.Table) -> pa.Table:
    return table.select([c for c in layout.zh_headers if c in table.column_names])


# --------------------------------------------------------------------------------------------- Parquet


def _write_parquet(tmp: Path, layout: Layout, lang: str, batches: Iterable[pa.Table]) -> int:
    """The rows with their types (numbers, dates, text) and the file's headers, as a data platform
    or an ERP's reporting database would export them."""
    import pyarrow.parquet as pq

    rows = 0
    writer = None
    try:
        for batch in batches:
            batch = _ordered(layout, batch)
            batch = batch.rename_columns(_headers(layout, lang, batch.column_names))
            if writer is None:
                writer = pq.ParquetWriter(tmp, batch.schema, compression="zstd")
            writer.write_table(batch)
            rows += batch.num_rows
    finally:
        if writer is not None:
            writer.close()
    return rows


# ------------------------------------------------------------------------------------------------- CSV


def _needs_quoting(table: pa.Table) -> bool:
    for col in table.columns:
        if pa.types.is_string(col.type) and pc.any(pc.match_substring_regex(col, r'[,"\r\n]')).as_py():
            return True
    return False


def _write_csv(
    tmp: Path, layout: Layout, lang: str, batches: Iterable[pa.Table], banner: tuple[str, str] | None
) -> int:
    encoding, eol = ("gb18030", "\r\n") if lang == "zh" else ("utf-8", "\n")
    totals = _Totals.of(layout.sums)
    rows = 0
    columns: list[str] = []
    with open(tmp, "wb") as f:
        for batch in batches:
            batch = _ordered(layout, batch)
            if not columns:
                columns = batch.column_names
                if banner:
                    f.write(
                        _plain_rows([[line] + [""] * (len(columns) - 1) for line in banner], eol, encoding)
                    )
                f.write(_plain_rows([_headers(layout, lang, columns)], eol, encoding))
            for start in range(0, batch.num_rows, CSV_BATCH_ROWS):
                f.write(_csv_bytes(batch.slice(start, CSV_BATCH_ROWS), eol, encoding))
            totals.add(batch)
            rows += batch.num_rows
        if banner and columns:
            f.write(_plain_rows([totals.row(columns)], eol, encoding))
    return rows


def _csv_bytes(table: pa.Table, eol: str, encoding: str) -> bytes:
    """CSV text of the rows (no header): pyarrow when no cell needs quotes, else the csv module."""
    if _needs_quoting(table):
        return _plain_rows(
            [[_cell(v) for v in row] for row in zip(*(c.to_pylist() for c in table.columns), strict=True)],
            eol,
            encoding,
        )
    sink = pa.BufferOutputStream()
    options = pacsv.WriteOptions(include_header=False, quoting_style="none", eol=eol, batch_size=65536)
    pacsv.write_csv(table, sink, options)
    data = sink.getvalue().to_pybytes()
    return data if encoding == "utf-8" else data.decode("utf-8").encode(encoding)


def _cell(v: object) -> str:
    if v is None:
        return ""
    if isinstance(v, float):
        return str(int(v)) if v.is_integer() else repr(v)
    return str(v)


def _plain_rows(rows: list[list[str]], eol: str, encoding: str) -> bytes:
    buf = io.StringIO()
    csv.writer(buf, lineterminator=eol).writerows(rows)
    return buf.getvalue().encode(encoding)


# ------------------------------------------------------------------------------------------------ XLSX


def _write_xlsx(
    tmp: Path, layout: Layout, lang: str, table: pa.Table, banner: tuple[str, str] | None, end: date
) -> int:
    table = _ordered(layout, table)
    if table.num_rows > XLSX_MAX_ROWS:
        raise ValueError(f"{layout.kind}: {table.num_rows} rows is too many for a workbook")
    wb = Workbook(write_only=True)
    ws = wb.create_sheet(title=layout.zh_title if lang == "zh" else layout.kind)
    columns = table.column_names
    if banner:
        for line in banner:
            ws.append([line])
    ws.append(_headers(layout, lang, columns))
    for row in zip(*(c.to_pylist() for c in table.columns), strict=True):
        ws.append(row)
    if banner:
        totals = _Totals.of(layout.sums)
        totals.add(table)
        ws.append([None if v == "" else v if i == 0 else float(v) for i, v in enumerate(totals.row(columns))])
    fixed = datetime(end.year, end.month, end.day)
    wb.properties.creator = "Stockflow demo"
    wb.properties.created = fixed
    wb.save(tmp)
    _freeze_zip(tmp, fixed)
    return table.num_rows


def _freeze_zip(path: Path, when: datetime) -> None:
    """Rewrite a workbook with fixed entry timestamps and document dates (openpyxl stamps 'now')."""
    stamp = when.strftime("%Y-%m-%dT%H:%M:%SZ")
    with zipfile.ZipFile(path) as z:
        entries = [(info.filename, z.read(info.filename)) for info in z.infolist()]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in entries:
            if name == "docProps/core.xml":
                data = re.sub(
                    rb"(<dcterms:(?:created|modified)[^>]*>)[^<]*", rb"\g<1>" + stamp.encode(), data
                )
            info = zipfile.ZipInfo(name, date_time=when.timetuple()[:6])
            info.compress_type = zipfile.ZIP_DEFLATED
            z.writestr(info, data)
