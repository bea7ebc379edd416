"""The baseline: LangChain's tutorial RAG pipeline, for comparison in evaluation reports.

RecursiveCharacterTextSplitter (1000 characters, 200 overlap), Chroma with the same embedding model, similarity
search with k=4, and for an answer the top passage, cited whole. It never abstains and gives no short answer
(`short_answers = False`: the evaluation reports its short-answer figures as n/a, not 0). It reads files with our
loaders (so both pipelines see the same text) and keeps its own collection, so it never touches the real index.
Leaves out everything our pipeline adds: structure-aware chunks, BM25 fusion, sentence choice, abstention.
"""

from __future__ import annotations

import time
from pathlib import Path

from rag.config import Settings
from rag.errors import RagError
from rag.ingest.indexer import discover
from rag.ingest.loaders import load_file
from rag.store import LocalEmbeddings, make_client
from rag.types import Answer, Chunk, Citation, Passage

CHUNK_SIZE, CHUNK_OVERLAP, K = 1000, 200, 4


class BaselineAssistant:
    """The tutorial pipeline behind the same `answer()` / `document_text()` interface as `Assistant`."""

    name = "baseline"
    short_answers = False  # it never picks the asked-for phrase out of its passage

    def __init__(self, settings: Settings, embeddings: LocalEmbeddings | None = None) -> None:
        from langchain_chroma import Chroma

        self.settings = settings
        tutorial_model = settings.model_copy(update={"embedding_model": None}).embedding_model_path()  # MiniLM
        self.embeddings = embeddings or LocalEmbeddings(tutorial_model)
        self.vectors = Chroma(
            collection_name=f"{settings.collection}-baseline",
            embedding_function=self.embeddings,
            client=make_client(settings),
        )
        self._texts: dict[str, str] = {}

    def ingest(self, folder: Path) -> int:
        """Split and embed every readable file of the folder (once; a filled collection is reused)."""
        from langchain_core.documents import Document
        from langchain_text_splitters import RecursiveCharacterTextSplitter

        documents = []
        for found in discover([folder])[0]:
            path, source = found.file, found.source
            try:
                text = load_file(path, source).text
            except RagError:
                continue
            self._texts[source] = text
            documents.append(Document(page_content=text, metadata={"source": source}))
        if self.vectors._collection.count():
            return self.vectors._collection.count()
        splitter = RecursiveCharacterTextSplitter(
            chunk_size=CHUNK_SIZE, chunk_overlap=CHUNK_OVERLAP, add_start_index=True
        )
        splits = splitter.split_documents(documents)
        batch = self.vectors._client.get_max_batch_size()
        for i in range(0, len(splits), batch):
            self.vectors.add_documents(splits[i : i + batch])
        return len(splits)

    def document_text(self, source: str) -> str:
        return self._texts[source]

    def answer(self, question: str) -> Answer:
        began = time.perf_counter()
        found = self.vectors.similarity_search_with_score(question, k=K)
        passages = []
        for document, distance in found:
            score = 1.0 - distance / 2  # squared L2 between unit vectors -> cosine similarity
            start = int(document.metadata["start_index"])
            text = document.page_content
            chunk = Chunk(
                f"{document.metadata['source']}:{start}", text, document.metadata["source"], start, start + len(text)
            )
            passages.append(Passage(chunk, float(score), float(score)))
        took = (time.perf_counter() - began) * 1000
        if not passages:
            return Answer(question, "", True, timings={"total_ms": took}, mode=self.name)
        top = passages[0].chunk
        citation = Citation(1, top.source, top.start, top.end, top.text, None, top.id)
        return Answer(
            question,
            f"{top.text} [1]",
            False,
            (citation,),
            tuple(passages),
            passages[0].score,
            self.name,
            {"total_ms": took},
        )
