"""Lexical search: a BM25 index (bm25s) over the chunks, and the tokenizer it shares with the answerers.

Owns tokenizing (lower case, English stop words dropped, Snowball stems), the BM25 index, its copy on disk and
inverse document frequencies for weighting question terms. The index holds chunk ids, not texts: the chunks a
search returns come from a `fetch` callable (the store). `open_persisted` keeps the index in a folder of the data
dir, stamped with the manifest version it reflects, and loads it memory-mapped when the stamp is current, so a
process that serves a large index neither reads every chunk at start nor holds them; a stale or missing copy is
rebuilt from the store (cheap next to embedding) and saved. Leaves out dense search and fusion (`rag.retrieve`).
"""

from __future__ import annotations

import bisect
import itertools
import json
import logging
import math
import os
import re
import shutil
import uuid
from collections.abc import Callable, Sequence
from functools import cached_property, lru_cache
from pathlib import Path

import numpy as np

from rag.types import Chunk

log = logging.getLogger(__name__)

_WORD = re.compile(r"\w+", re.UNICODE)
_INITIALISM = re.compile(r"\b(?:[A-Z]\.){2,}")  # U.S. -> US


@lru_cache(maxsize=1)
def _stopwords() -> frozenset[str]:
    from bm25s.stopwords import STOPWORDS_EN

    return frozenset(STOPWORDS_EN)


@lru_cache(maxsize=1)
def _stemmer():
    import Stemmer

    return Stemmer.Stemmer("english")


def tokenize(text: str) -> list[str]:
    """Content-word stems of a text; initialisms are kept whole ("U.S." and "US" are both "us").

    Example:
        >>> tokenize("Who signed the minerals agreements with the US?")
        ['sign', 'miner', 'agreement', 'us']
    """
    text = _INITIALISM.sub(lambda m: m.group().replace(".", ""), text.replace("’", "'"))
    words = [w if w.isupper() and len(w) > 1 else w.lower() for w in _WORD.findall(text)]  # "US" is not "us"
    kept = [w.lower() for w in words if w not in _stopwords() and w not in _QUESTION]
    return _stemmer().stemWords(kept)


_QUESTION = frozenset({"who", "whom", "whose", "what", "when", "where", "which", "why", "how", "did", "does", "s"})


class LexicalIndex:
    """BM25 over a fixed set of chunks; searches return chunks got by id from `fetch`.

    Built from chunks (then, without `fetch`, it keeps them to return), or loaded from a folder by `load`.

    Example:
        >>> index = LexicalIndex([Chunk("a", "Rare earths matter.", "x.txt", 0, 19)])
        >>> [c.id for c, _ in index.search("rare earth metals", 3)]
        ['a']
    """

    def __init__(self, chunks: Sequence[Chunk] = (), fetch: Fetch | None = None) -> None:
        import bm25s

        logging.getLogger("bm25s").setLevel(logging.WARNING)
        self.ids = [c.id for c in chunks]
        names = sorted({c.source for c in chunks})
        self.source_names = names
        self.source_codes = np.array([bisect.bisect_left(names, c.source) for c in chunks], dtype=np.int32)
        if fetch is None:
            by_id = {c.id: c for c in chunks}
            fetch = lambda ids: [by_id[i] for i in ids]  # noqa: E731
        self.fetch = fetch
        self._bm25 = bm25s.BM25()
        if self.ids:
            self._bm25.index([tokenize(f"{c.title}\n{c.embedded_text()}") for c in chunks], show_progress=False)

    def __len__(self) -> int:
        return len(self.ids)

    @cached_property
    def _frequencies(self) -> np.ndarray:
        """Chunks holding each indexed term, by term id (the columns of bm25s' score matrix)."""
        return np.diff(np.asarray(self._bm25.scores["indptr"])) if self.ids else np.zeros(0, dtype=np.int64)

    @cached_property
    def _vocabulary(self) -> list[str]:
        return sorted(self._bm25.vocab_dict) if self.ids else []

    def document_frequency(self, term: str) -> int:
        """How many chunks hold the term."""
        at = self._bm25.vocab_dict.get(term) if self.ids else None
        return int(self._frequencies[at]) if at is not None else 0

    def idf(self, term: str) -> float:
        """Smoothed inverse document frequency; unseen terms get the highest weight."""
        n, df = max(len(self.ids), 1), self.document_frequency(term)
        return math.log(1 + (n - df + 0.5) / (df + 0.5))

    def normalize(self, term: str) -> str:
        """A term the index knows: the term itself, or the most common indexed term it is a prefix of.

        Stems of one word family do not always meet ("agree" -> "agre", "agreement" -> "agreement");
        a question term of four letters or more that the index lacks is matched to its most common extension.
        """
        if self.document_frequency(term) or len(term) < 4:
            return term
        at = bisect.bisect_left(self._vocabulary, term)
        extensions = itertools.takewhile(lambda t: t.startswith(term), self._vocabulary[at : at + 50])
        return max(extensions, key=self.document_frequency, default=term)

    def search(self, query: str, k: int, sources: Sequence[str] = ()) -> list[tuple[Chunk, float]]:
        """The k best chunks by BM25 (only those that share a term with the query)."""
        tokens = [t for t in map(self.normalize, tokenize(query)) if t in self._bm25.vocab_dict] if self.ids else []
        if not tokens:
            return []
        scores = self._bm25.get_scores(tokens)
        if sources:
            codes = [bisect.bisect_left(self.source_names, s) for s in sources if s in self.source_names]
            scores = np.where(np.isin(self.source_codes, codes), scores, 0.0)
        top = [int(i) for i in np.argsort(-scores)[:k] if scores[i] > 0]
        chunks = {c.id: c for c in self.fetch([self.ids[i] for i in top])}
        return [(chunks[self.ids[i]], float(scores[i])) for i in top if self.ids[i] in chunks]

    def save(self, folder: Path, stamp: str) -> None:
        """Write the index into a new folder `folder` (ids, sources, bm25s' arrays) with its stamp."""
        folder.mkdir(parents=True)
        if self.ids:
            self._bm25.save(str(folder / "bm25"))
        np.save(folder / "sources.npy", self.source_codes)
        meta = {"stamp": stamp, "format": _FORMAT, "ids": self.ids, "source_names": self.source_names}
        (folder / "index.json").write_text(json.dumps(meta), encoding="utf-8")

    @classmethod
    def load(cls, folder: Path, fetch: Fetch) -> LexicalIndex:
        """An index saved by `save`, its score matrix memory-mapped."""
        import bm25s

        meta = json.loads((folder / "index.json").read_text(encoding="utf-8"))
        index = cls(fetch=fetch)
        index.ids, index.source_names = meta["ids"], meta["source_names"]
        index.source_codes = np.load(folder / "sources.npy", mmap_mode="r")
        if index.ids:
            index._bm25 = bm25s.BM25.load(str(folder / "bm25"), mmap=True)
        return index


Fetch = Callable[[list[str]], list[Chunk]]
_FORMAT = 1
_CURRENT = "current"  # the file naming the folder of the current copy


def open_persisted(folder: Path, stamp: str, chunks: Callable[[], Sequence[Chunk]], fetch: Fetch) -> LexicalIndex:
    """The index saved in `folder` when its stamp is `stamp`; else one built from `chunks()` and saved there.

    Each copy is written into a folder of its own and then named in `folder/current` by an atomic rename, so a
    process killed while saving leaves the previous copy in use, and processes sharing the data dir never read a
    half-written copy. Copies no longer current are deleted after a successful save.
    """
    current = _read_current(folder)
    if current is not None:
        try:
            meta = json.loads((current / "index.json").read_text(encoding="utf-8"))
            if meta.get("stamp") == stamp and meta.get("format") == _FORMAT:
                return LexicalIndex.load(current, fetch)
        except Exception as exc:  # derived data: any damage (bm25s, numpy, JSON) means rebuild it
            log.warning("repair: the saved lexical index in %s is unreadable (%s); rebuilding it", current, exc)
    index = LexicalIndex(chunks(), fetch=fetch)
    try:
        _save_current(index, folder, stamp)
    except OSError as exc:  # a read-only or full disk: serve from memory, rebuild next time
        log.warning("could not save the lexical index in %s: %s", folder, exc)
    return index


def _read_current(folder: Path) -> Path | None:
    try:
        name = (folder / _CURRENT).read_text(encoding="utf-8").strip()
    except (OSError, ValueError):  # missing, or scribbled over
        return None
    if not name.startswith("copy-") or "/" in name:
        return None
    return folder / name if (folder / name).is_dir() else None


def _save_current(index: LexicalIndex, folder: Path, stamp: str) -> None:
    name = f"copy-{uuid.uuid4().hex[:12]}"
    index.save(folder / name, stamp)
    pointer = folder / f"{_CURRENT}.{name}.tmp"
    pointer.write_text(name, encoding="utf-8")
    os.replace(pointer, folder / _CURRENT)
    for old in folder.glob("copy-*"):
        if old.name != name and old.is_dir():
            shutil.rmtree(old, ignore_errors=True)
