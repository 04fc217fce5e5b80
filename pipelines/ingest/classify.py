"""What kind of extract an inbox file is: from its name, else from its head (large files) or from its sheets
and headers as read by the readers (Excel files in the reader's child process when one is given)."""

from __future__ import annotations

from pathlib import Path

from pipelines.ingest import fastpath
from pipelines.ingest.extracts.mapping import HeaderMap, KindDetection, detect_kind
from pipelines.ingest.extracts.readers import ExtractReadError, read_extract, read_head
from pipelines.ingest.extracts.readers.isolated import IsolatedReader

_classification_cache: dict[tuple[str, int, int], KindDetection] = {}


def classify(path: Path, header_map: HeaderMap, reader: IsolatedReader | None = None) -> KindDetection:
    """What kind of extract a file is: from its name, else from its sheet names and headers.

    Header-based detection reads the file (with ``reader`` when given, else in this process), so results
    are cached by (path, size, mtime) for the other ingest steps of the same process.
    """
    stat = path.stat()
    cache_key = (str(path), stat.st_size, stat.st_mtime_ns)
    if cache_key in _classification_cache:
        return _classification_cache[cache_key]
    detection = detect_kind(path.name, [], header_map)
    decided = detection.kind is not None
    if not decided and fastpath.wants_fast_path(path):  # large files: the head tells, when it can
        by_head = _classify_by_head(path, header_map)
        if by_head.reason:
            detection, decided = by_head, True
    if not decided:
        read = reader.read_extract if reader is not None else read_extract
        try:
            sheets = read(path, header_map.all_labels)
        except ExtractReadError as exc:
            detection = KindDetection(None, "none", f"unreadable: {exc}", {})
        else:
            detection = KindDetection(None, "none", "no table found in the file", {})
            for sheet in sheets:
                detection = detect_kind(
                    path.name, list(sheet.frame.columns), header_map, sheet_name=sheet.sheet
                )
                if detection.kind is not None:
                    break
    _classification_cache[cache_key] = detection
    return detection


def _classify_by_head(path: Path, header_map: HeaderMap) -> KindDetection:
    """Header-based detection of a large file from its head (or Parquet schema), not the whole file.

    Returns a detection with an empty reason when the head does not tell (read the whole file)."""
    if path.suffix.lower() == ".parquet":
        try:
            import pyarrow.parquet as pq

            headers = [str(n) for n in pq.read_schema(path).names]
        except Exception as exc:  # corrupt or not Parquet
            return KindDetection(
                None, "none", f"unreadable: {path.name}: cannot read the Parquet file ({exc})", {}
            )
    else:
        head = read_head(path, header_map.all_labels)
        if head is None:
            return KindDetection(None, "none", "", {})
        headers = [label for label, named in zip(head.labels, head.named, strict=True) if named]
    return detect_kind(path.name, headers, header_map)
