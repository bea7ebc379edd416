"""Domain exceptions: each message says what went wrong and what to do about it.

The CLI prints them as one line and exits non-zero; the chat page shows them as `gr.Error`.
"""


class RagError(Exception):
    """Base of every error the assistant raises on purpose."""


class ConfigError(RagError):
    """A setting is missing or wrong (a path, a URL, a model)."""


class IngestError(RagError):
    """A file cannot be read into text; the message is the one-line reason shown in the summary."""


class StoreError(RagError):
    """The vector store cannot be reached or used."""


class EmptyIndexError(RagError):
    """A question was asked before any document was ingested."""


class LLMError(RagError):
    """A language model or its server failed: down, too slow, or a reply that cannot be read."""


class IndexBusyError(RagError):
    """Another process holds the data directory's writer lock."""


class UnknownSourceError(RagError):
    """A question was restricted to a document that is not indexed; the message names the closest indexed ones."""


class IndexDamagedError(RagError):
    """A part of the index is unreadable, or lost what the manifest lists; the message names it and the command
    that repairs it (`rag ingest`, `rag check --repair`)."""


class DiskFullError(RagError):
    """The data directory's disk has too little free space; nothing indexed was lost, the command can run again."""
