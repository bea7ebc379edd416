"""The one way in: `Assistant` and `answer()`, which the CLI, the chat page and the eval runner all call.

Owns building every object from one `Settings` (embeddings, store, BM25 index, retriever, the answerer of each
configured mode, built on first use), keeping the index in step with the corpus folder on first use, and the
LangChain runnable chain
    {question, history, sources, k, mode} -> condense -> retrieve (HybridRetriever) -> answer (answerer of the mode)
whose last step streams: text pieces, then the `Answer`. In LLM modes the follow-up question is rewritten by the
model (falling back to the lexical rewrite when it fails). Leaves out the details of each step (their own modules)
and presentation (CLI, UI).
"""

from __future__ import annotations

import contextlib
import difflib
import logging
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from langchain_core.runnables import Runnable, RunnableGenerator, RunnableLambda

from rag.answer import ANSWERERS, LLM_MODES, Answerer
from rag.config import Settings
from rag.errors import ConfigError, EmptyIndexError, IndexBusyError, IndexDamagedError, RagError, UnknownSourceError
from rag.ingest.indexer import ChunkProgress, FileResult, IngestReport, PageProgress, ingest_paths, remove_source
from rag.lexical import LexicalIndex, open_persisted
from rag.manifest import WriterLock
from rag.retrieve import HybridRetriever, document_to_passage
from rag.store import DocumentInfo, LocalEmbeddings, Store
from rag.types import Answer, Chunk, Passage

if TYPE_CHECKING:
    from langchain_core.language_models import BaseChatModel

    from rag.examples import Example

log = logging.getLogger(__name__)


def condense(question: str, history: Sequence[tuple[str, str]] = ()) -> str:
    """A standalone search query for a question that may lean on the previous turn.

    Without an LLM this is lexical: a short question, or one that points back with a pronoun, is searched together
    with the previous question.

    Example:
        >>> condense("Who signed it?", [("What did the US and Ukraine agree on?", "...")])
        'Who signed it? (What did the US and Ukraine agree on?)'
    """
    if not history:
        return question
    words = question.lower().replace("?", " ").split()
    if len(words) <= 4 or _POINTERS & set(words):
        return f"{question} ({history[-1][0]})"
    return question


_POINTERS = {"it", "its", "they", "them", "their", "he", "she", "him", "her", "his", "this", "that", "these", "those"}


class Assistant:
    """An assistant over one index; builds its models once and serves repeated questions.

    Example:
        >>> from rag import Assistant
        >>> assistant = Assistant(data_dir="/tmp/rag-demo")  # doctest: +SKIP
        >>> assistant.answer("Who signed the minerals agreement?").citations[0].quote  # doctest: +SKIP
        'U.S. Treasury Secretary Scott Bessent and Ukraine’s First Deputy Prime Minister Yulia Svyrydenko ...'
    """

    def __init__(
        self,
        settings: Settings | None = None,
        *,
        embeddings: LocalEmbeddings | None = None,
        chat_model: BaseChatModel | None = None,
        check_model: bool = True,
        **overrides: Any,
    ) -> None:
        """`chat_model` replaces the LLM modes' model built from the settings (for tests and embedding).
        `check_model` False opens an index built with another embedding model, to `rebuild_index` it."""
        self.settings = settings.model_copy(update=overrides) if settings else Settings(**overrides)
        if self.settings.answer_mode not in ANSWERERS:
            msg = f"unknown answer mode {self.settings.answer_mode!r}; choose one of: {', '.join(ANSWERERS)}"
            raise ConfigError(msg)
        self.embeddings = embeddings or LocalEmbeddings.for_settings(self.settings)
        self.store = Store(self.settings, self.embeddings, check_model=check_model)
        self.writer = WriterLock(self.settings.data_dir)
        # Writes (ingest, remove, the corpus check) take turns under `_write_lock`; answering never waits for them.
        self._write_lock = threading.RLock()
        self._answerers_lock = threading.Lock()
        self._refresh_lock = threading.Lock()
        self._synced = False
        self._seen = self.store.manifest.version()
        self.damage = ""  # what the index lost, as one line (`check_integrity`); questions are refused meanwhile
        self.check_integrity()
        self.retriever = HybridRetriever(
            store=self.store,
            lexical=self._open_lexical(),
            k=self.settings.k,
            fetch_k=self.settings.fetch_k,
            rrf_k=self.settings.rrf_k,
        )
        self._chat_model = chat_model
        self._answerers: dict[str, Answerer] = {}
        self.answerer = self.answerer_for(self.settings.answer_mode)
        self.chain = self._build_chain()

    def modes(self) -> list[str]:
        """The answer modes this assistant can serve: extractive, and the LLM modes its settings configure."""
        modes = self.settings.configured_modes()
        if self._chat_model is not None:
            modes += [m for m in LLM_MODES if m not in modes]
        return [m for m in ANSWERERS if m in modes or m == self.settings.answer_mode]

    def answerer_for(self, mode: str | None = None) -> Answerer:
        """The answerer of a mode (the configured one by default), built on first use."""
        mode = mode or self.settings.answer_mode
        with self._answerers_lock:
            if mode not in self._answerers:
                if mode not in ANSWERERS:
                    msg = f"unknown answer mode {mode!r}; choose one of: {', '.join(ANSWERERS)}"
                    raise ConfigError(msg)
                extra: dict[str, Any] = {}
                if mode in LLM_MODES and self._chat_model is not None:
                    extra["llm"] = self._chat_model
                self._answerers[mode] = ANSWERERS[mode](
                    self.settings, idf=self._idf, normalize=self._normalize, embed=self.embeddings.encode, **extra
                )
            return self._answerers[mode]

    def document_chunks(self, source: str) -> list[Chunk]:
        """Every chunk of one indexed document, in document order (the viewer shows its tables and lists)."""
        return self.store.chunks(source)

    def _idf(self, term: str) -> float:
        return self.retriever.lexical.idf(term)

    def _normalize(self, term: str) -> str:
        return self.retriever.lexical.normalize(term)

    def _build_chain(self) -> Runnable:
        def retrieve(inputs: dict) -> dict:
            began = time.perf_counter()
            answerer = self.answerer_for(inputs.get("mode"))
            query = self._condense(answerer, inputs["question"], inputs.get("history", ()))
            condensed = time.perf_counter()
            documents = self.retriever.invoke(query, k=inputs.get("k"), sources=inputs.get("sources", ()))
            timings = {
                "condense_ms": (condensed - began) * 1000,
                "retrieve_ms": (time.perf_counter() - condensed) * 1000,
            }
            passages = [document_to_passage(d) for d in documents]
            return {**inputs, "answerer": answerer, "query": query, "passages": passages, "timings": timings}

        def respond(stream: Iterator[dict]) -> Iterator[str | Answer]:
            for inputs in stream:
                answerer = inputs["answerer"]
                pieces = answerer.stream if hasattr(answerer, "stream") else _pieces(answerer)
                for piece in pieces(inputs["query"], inputs["passages"]):
                    if isinstance(piece, Answer):
                        piece.timings.update(inputs["timings"])
                        piece = replace(piece, question=inputs["question"])
                    yield piece

        return RunnableLambda(retrieve, name="retrieve") | RunnableGenerator(respond, name="answer")

    @staticmethod
    def _condense(answerer: Answerer, question: str, history: Sequence[tuple[str, str]]) -> str:
        """The standalone query: rewritten by the model in LLM modes, else (or when that fails) lexically."""
        if history and hasattr(answerer, "condense"):
            try:
                return answerer.condense(question, history)
            except RagError as exc:
                log.warning("%s; rewriting the follow-up lexically", exc)
        return condense(question, history)

    # -- the index -----------------------------------------------------------------------------------------------

    def ingest(
        self,
        paths: Iterable[Path | str],
        progress: Callable[[int, int, FileResult], None] | None = None,
        prefix: str = "",
        chunk_progress: ChunkProgress | None = None,
        page_progress: PageProgress | None = None,
    ) -> IngestReport:
        """Ingest files and folders (see `rag.ingest.indexer.ingest_paths`) and refresh the BM25 index.

        Raises `IndexBusyError` when another process is writing to the same data directory. `prefix` goes before
        every source name (the chat page indexes uploads as `uploads/NAME`). Questions asked meanwhile (from other
        threads) are answered from the index as it was, without waiting; a new version shows once it is complete.
        """
        with self._writing():
            paths = [Path(p) for p in paths]
            report = ingest_paths(paths, self.store, self.settings, progress, prefix, chunk_progress, page_progress)
            if report.changed or report.repaired or len(self.retriever.lexical) != self.store.count():
                self._reload_lexical()
            if report.repaired or self.damage:
                self.check_integrity()
            return report

    def check_integrity(self) -> str:
        """Whether the index's parts agree (cheaply, see `rag.integrity.find_damage`): "" when they do, else the
        one line that `answer` raises as an `IndexDamagedError` until an ingest repairs them."""
        from rag.integrity import (
            damage_message,
            find_damage,
            lost_index,
            lost_index_message,
            lost_manifest,
            lost_manifest_message,
        )

        if lost_manifest(self.store):
            self.damage = lost_manifest_message(self.settings.data_dir)
        elif texts := lost_index(self.store):
            self.damage = lost_index_message(self.settings.data_dir, texts)
        else:
            lost = [d for d in find_damage(self.store) if d.stored < d.chunks]  # a lost text only costs the viewer
            self.damage = damage_message(lost, self.settings.data_dir) if lost else ""
        if self.damage:
            log.info("%s", self.damage)
        return self.damage

    def rebuild_index(self, progress: Callable[[int, int], None] | None = None) -> int:
        """Embed every indexed chunk again with the configured embedding model (`rag.model_record.rebuild`); returns
        how many chunks were embedded (0 when the index was built with this model already)."""
        from rag.model_record import ModelId, rebuild

        with self._writing():
            choice = self.settings.embedding_choice()
            model = self.store.model or ModelId.of(choice.folder, choice.int8)
            return rebuild(self.store, model, progress)

    def remove(self, source: str) -> int:
        """Remove one document from the index; returns how many chunks went."""
        with self._writing():
            removed = remove_source(source, self.store)
            if removed:
                self._reload_lexical()
            return removed

    @contextlib.contextmanager
    def _writing(self) -> Iterator[None]:
        """Hold this process's lock and the data directory's writer lock, seeing first what others wrote."""
        with self._write_lock, self.writer.hold():
            self.refresh()
            try:
                yield
            finally:
                self._seen = self.store.manifest.version()

    def refresh(self) -> bool:
        """Reload the index if another process changed it since this one last looked; True when it did."""
        with self._refresh_lock:
            if not self.store.manifest.changed_elsewhere(self._seen):
                return False
            self._seen = self.store.manifest.version()
            log.info("the index in %s changed in another process; reloading it", self.settings.data_dir)
            self.store.reopen()
            self._reload_lexical()
            self.check_integrity()
            return True

    def sources(self) -> dict[str, DocumentInfo]:
        return self.store.documents()

    def document(self, source: str) -> DocumentInfo | None:
        """One indexed document's info, or None (without listing the whole index)."""
        return self.store.document(source)

    def document_text(self, source: str) -> str:
        """The extracted text of an indexed document, as it was indexed (the text citation offsets point into)."""
        info = self.document(source)
        text = self.store.text_of(info.gen) if info else None
        if text is not None:
            return text
        if info is None or not info.path or not Path(info.path).is_file():
            msg = f"{source}: not indexed, or its file is gone; ingest it again"
            raise RagError(msg)
        from rag.ingest.loaders import load_file

        return load_file(Path(info.path), source).text

    def examples(self, n: int = 3) -> list[Example]:
        """`n` example questions the indexed documents answer, the newest indexed documents' first; [] when nothing
        is indexed (see `rag.examples`). Each is asked once per version of the index and offered only when its
        answer cites the document it was made from."""
        from rag.examples import suggested

        key = (self.store.manifest.version(), n)
        cached = getattr(self, "_examples", None)
        if cached is None or cached[0] != key:
            cached = (key, suggested(self.store, self.document_chunks, n, check=self._answered_from_its_document))
            self._examples = cached
        return list(cached[1])

    def _answered_from_its_document(self, example: Example) -> bool:
        try:
            answer = self.answer(example.question, mode="extractive")  # fast; LLM modes abstain alike
        except (RagError, ValueError) as exc:
            log.warning("example question %r could not be asked: %s", example.question, exc)
            return False
        return not answer.abstained and any(c.source == example.source for c in answer.citations)

    def sync_corpus(self) -> IngestReport | None:
        """Bring the index in step with the corpus folder once per assistant (cheap when nothing changed)."""
        if self._synced:  # checked first without the lock: answering must not wait for an upload being indexed
            return None
        with self._write_lock:
            if self._synced:
                return None
            self._synced = True
            corpus = self.settings.corpus_dir
            if not corpus.is_dir():
                log.info("corpus folder %s not found; answering from the index as it is", corpus)
                return None
            try:
                return self.ingest([corpus])
            except IndexBusyError as exc:
                log.warning("%s; answering from the index as it is", exc)
                return None

    def _reload_lexical(self) -> None:
        self.retriever.lexical = self._open_lexical()

    def _open_lexical(self) -> LexicalIndex:
        """The BM25 index of the live chunks: the copy saved in the data dir when current, else rebuilt and saved."""
        folder = self.settings.data_dir / "lexical"
        return open_persisted(folder, self.store.lexical_stamp(), self.store.chunks, self.store.chunks_by_id)

    # -- questions -----------------------------------------------------------------------------------------------

    def answer(
        self,
        question: str,
        history: Sequence[tuple[str, str]] = (),
        sources: Sequence[str] = (),
        k: int | None = None,
        mode: str | None = None,
    ) -> Answer:
        """Answer one question from the indexed documents, with citations, or abstain.

        `history` holds earlier (question, answer) turns; `sources` restricts retrieval to those documents; `mode`
        picks an answer mode other than the configured one (see `modes()`).
        """
        answer = None
        for piece in self.stream(question, history=history, sources=sources, k=k, mode=mode):
            if isinstance(piece, Answer):
                answer = piece
        if answer is None:  # pragma: no cover - every answerer ends with an Answer
            msg = "the answerer produced no answer"
            raise RagError(msg)
        return answer

    def stream(
        self,
        question: str,
        history: Sequence[tuple[str, str]] = (),
        sources: Sequence[str] = (),
        k: int | None = None,
        mode: str | None = None,
    ) -> Iterator[str | Answer]:
        """The streaming twin of `answer`: yields pieces of the answer text as they are produced, then the `Answer`.

        The extractive mode composes its answer at once, so its text arrives a few words at a time and equals the
        pieces joined. LLM modes yield the model's tokens as it writes them; the final `Answer` holds the checked
        text, with citations resolved (unsupported sentences removed or flagged, or a fallback with a `notice`).
        """
        question = self._ready_for(question, sources)
        began = time.perf_counter()
        inputs = {"question": question, "history": list(history), "sources": list(sources), "k": k, "mode": mode}
        for piece in self.chain.stream(inputs):
            if isinstance(piece, Answer):
                piece.timings["total_ms"] = (time.perf_counter() - began) * 1000
            yield piece

    def search(self, question: str, sources: Sequence[str] = (), k: int | None = None) -> list[Passage]:
        """The passages the answerer would read for `question` (best first, `k` of them), without answering.

        Example:
            >>> assistant.search("Who signed the agreement?", k=2)[0].chunk.source  # doctest: +SKIP
            'us-ukraine-minerals-agreement.txt'
        """
        question = self._ready_for(question, sources)
        return self.retriever.search(question, k, sources)

    def _ready_for(self, question: str, sources: Sequence[str]) -> str:
        """The checked question, once the index is known fit to answer it (raises the reason it is not)."""
        question = check_question(question, self.settings.max_question_chars)
        self.sync_corpus()
        self.refresh()
        if self.damage:  # never "the documents don't say" about documents the index lists but lost
            raise IndexDamagedError(self.damage)
        if len(self.retriever.lexical) == 0:
            msg = (
                f"nothing is indexed in {self.settings.data_dir} yet: run `rag ingest PATH` (or put documents in "
                f"the corpus folder, {self.settings.corpus_dir})"
            )
            raise EmptyIndexError(msg)
        if sources:  # listing every indexed document costs tens of ms on a large index: only when asked to
            check_sources(sources, self.sources())
        return question


def check_question(question: str, max_chars: int) -> str:
    """The question without surrounding blanks; `ValueError` saying what to do when it is empty or too long.

    Example:
        >>> check_question("  Who signed it? ", 100)
        'Who signed it?'
    """
    question = question.strip()
    if not question:
        msg = "ask a question: the text is empty"
        raise ValueError(msg)
    if len(question) > max_chars:
        msg = f"the question is {len(question):,} characters long, over the {max_chars:,} allowed: ask it shorter"
        raise ValueError(f"{msg} (RAG_MAX_QUESTION_CHARS)")
    return question


def check_sources(sources: Sequence[str], indexed: Iterable[str]) -> None:
    """Raise `UnknownSourceError` when a question is restricted to a document that is not indexed, naming the
    indexed documents closest to it (or, when none is close, the first few).

    Example:
        >>> check_sources(["report.pdf"], ["report.pdf", "notes.md"])
        >>> check_sources(["reprot.pdf"], ["report.pdf", "notes.md"])
        Traceback (most recent call last):
        rag.errors.UnknownSourceError: 'reprot.pdf' is not indexed; the closest indexed: report.pdf (`rag sources`)
    """
    known = list(indexed)
    unknown = [name for name in sources if name not in known]
    if not unknown:
        return
    name = unknown[0]
    close = closest_sources(name, known)
    if close:
        hint = f"the closest indexed: {', '.join(close)} (`rag sources`)"
    elif known:
        more = f", … ({len(known)} in all; `rag sources` lists them)" if len(known) > 5 else ""
        hint = f"the indexed documents are: {', '.join(known[:5])}{more}"
    else:
        hint = "no document is indexed"
    msg = f"{name!r} is not indexed; {hint}"
    raise UnknownSourceError(msg)


def closest_sources(name: str, known: Sequence[str], n: int = 3) -> list[str]:
    """The indexed names closest to `name`: by spelling (difflib), then those that contain its stem.

    Example:
        >>> closest_sources("minerals.txt", ["us-ukraine-minerals-agreement.txt", "notes.md"])
        ['us-ukraine-minerals-agreement.txt']
    """
    close = difflib.get_close_matches(name, known, n=n, cutoff=0.6)
    stem = Path(name).stem.lower()
    if len(stem) >= 3:
        close += [k for k in known if stem in k.lower() and k not in close]
    return close[:n]


def _pieces(answerer: Answerer) -> Callable[[str, Sequence[Passage]], Iterator[str | Answer]]:
    """Streaming for an answerer that composes its answer at once: its text a few words at a time, then itself."""

    def stream(question: str, passages: Sequence[Passage]) -> Iterator[str | Answer]:
        answer = answerer(question, passages)
        words = answer.text.split(" ")
        for i in range(0, len(words), 4):
            yield " ".join(words[i : i + 4]) + (" " if i + 4 < len(words) else "")
        yield answer

    return stream


_DEFAULT: dict[tuple, Assistant] = {}
_DEFAULT_LOCK = threading.Lock()


def answer(question: str, **kwargs: Any) -> Answer:
    """Answer a question from the documents in the corpus folder, with citations (or abstain).

    Settings come from `RAG_*` environment variables; keyword arguments `data_dir`, `corpus_dir`, `k`, `history`
    and `sources` override them. The assistant is built once per settings and reused.

    Example:
        >>> from rag import answer
        >>> a = answer("Who signed the minerals agreement?")  # doctest: +SKIP
        >>> a.abstained, a.citations[0].source  # doctest: +SKIP
        (False, 'us-ukraine-minerals-agreement.txt')
    """
    call = {key: kwargs.pop(key) for key in ("history", "sources", "k") if key in kwargs}
    settings = Settings(**kwargs)
    key = tuple(sorted((name, str(value)) for name, value in settings.model_dump().items()))
    with _DEFAULT_LOCK:
        if key not in _DEFAULT:
            _DEFAULT[key] = Assistant(settings)
        assistant = _DEFAULT[key]
    return assistant.answer(question, **call)
