"""Ingestion: files to text (`loaders`), text to chunks with offsets (`splitter`), chunks into the store (`indexer`)."""

from rag.ingest.indexer import FileResult, IngestReport, ingest_paths
from rag.ingest.loaders import SUPPORTED_SUFFIXES, LoadedDocument, load_file
from rag.ingest.splitter import split_document

__all__ = [
    "SUPPORTED_SUFFIXES",
    "FileResult",
    "IngestReport",
    "LoadedDocument",
    "ingest_paths",
    "load_file",
    "split_document",
]
