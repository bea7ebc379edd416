"""Lexical search: a BM25 index (bm25s) over the chunks, and the tokenizer it shares with the answerers.

Owns tokenizing (lower case, English stop words dropped, Snowball stems), the BM25 index built in memory from the
chunks in the store, and inverse document frequencies for weighting question terms. Rebuilt after every change
to the index (building it is fast next to embedding). Leaves out dense search and fusion (`rag.retrieve`).
"""

from __future__ import annotations

import bisect
import itertools
import logging
import math
import re
from collections import Counter
from collections.abc import Sequence
from functools import lru_cache

import numpy as np

from rag.types import Chunk

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
    """BM25 over a fixed list of chunks.

    Example:
        >>> index = LexicalIndex([Chunk("a", "Rare earths matter.", "x.txt", 0, 19)])
        >>> [c.id for c, _ in index.search("rare earth metals", 3)]
        ['a']
    """

    def __init__(self, chunks: Sequence[Chunk]) -> None:
        import bm25s

        logging.getLogger("bm25s").setLevel(logging.WARNING)
        self.chunks = list(chunks)
        corpus = [tokenize(f"{c.title}\n{c.text}") for c in self.chunks]
        self.document_frequency: Counter[str] = Counter(t for tokens in corpus for t in set(tokens))
        self._vocabulary = sorted(self.document_frequency)
        self.sources = np.array([c.source for c in self.chunks], dtype=object)
        self._bm25 = bm25s.BM25()
        if self.chunks:
            self._bm25.index(corpus, show_progress=False)

    def __len__(self) -> int:
        return len(self.chunks)

    def idf(self, term: str) -> float:
        """Smoothed inverse document frequency; unseen terms get the highest weight."""
        n, df = max(len(self.chunks), 1), self.document_frequency.get(term, 0)
        return math.log(1 + (n - df + 0.5) / (df + 0.5))

    def normalize(self, term: str) -> str:
        """A term the index knows: the term itself, or the most common indexed term it is a prefix of.

        Stems of one word family do not always meet ("agree" -> "agre", "agreement" -> "agreement");
        a question term of four letters or more that the index lacks is matched to its most common extension.
        """
        if term in self.document_frequency or len(term) < 4:
            return term
        at = bisect.bisect_left(self._vocabulary, term)
        extensions = itertools.takewhile(lambda t: t.startswith(term), self._vocabulary[at : at + 50])
        return max(extensions, key=self.document_frequency.__getitem__, default=term)

    def search(self, query: str, k: int, sources: Sequence[str] = ()) -> list[tuple[Chunk, float]]:
        """The k best chunks by BM25 (only those that share a term with the query)."""
        tokens = [t for t in map(self.normalize, tokenize(query)) if t in self._bm25.vocab_dict] if self.chunks else []
        if not tokens:
            return []
        scores = self._bm25.get_scores(tokens)
        if sources:
            scores = np.where(np.isin(self.sources, list(sources)), scores, 0.0)
        top = np.argsort(-scores)[:k]
        return [(self.chunks[i], float(scores[i])) for i in top if scores[i] > 0]
