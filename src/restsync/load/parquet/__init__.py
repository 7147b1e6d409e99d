"""Parquet destination: ``parquet:///PATH`` (append and replace; no merge)."""

from __future__ import annotations

from typing import Any

from restsync.load.lake.destination import LakeDestination, read_lake_history
from restsync.load.lake.url import lake_datasets, parse_lake_url
from restsync.load.parquet.format import ParquetFormat
from restsync.load.protocol import Destination

MERGE_HINT = ("merge needs a table format that can update rows: use delta:///PATH or "
              "iceberg:///PATH, or write_disposition append/replace")


def open_parquet(url: str, dataset: str) -> Destination:
    """Open ``parquet:///PATH``: one folder per table under ``PATH/<dataset>/``."""
    path, _ = parse_lake_url(url, "parquet")
    root = path / dataset
    return LakeDestination(ParquetFormat(root), root / "_restsync", dataset,
                           where=f"destination parquet {root}", merge_hint=MERGE_HINT)


def history_datasets(url: str) -> list[str]:
    """The datasets under ``parquet:///PATH`` (nothing is created)."""
    return lake_datasets(url, "parquet", lambda path, dataset: path / dataset / "_restsync")


def read_history(url: str, dataset: str) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The run and load records of ``dataset``, read without its lock."""
    path, _ = parse_lake_url(url, "parquet")
    return read_lake_history(ParquetFormat(path / dataset))
