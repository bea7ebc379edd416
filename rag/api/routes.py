"""The API's own routes under /v1: answers (whole, or streamed as server-sent events), search, and documents.

Owns the mapping of each route onto one call of the library (`Assistant.answer`, `stream`, `search`, `sources`,
`document_text`, `remove`; uploads through the same background worker and checks as the page, `rag.indexing`) and
the streamed answer's events. Every route is a plain `def`, run in FastAPI's thread pool: answering is CPU-bound and
the assistant is safe across threads. Leaves out errors (`rag.api.problems`), access (`rag.api.access`) and the
OpenAI-compatible routes (`rag.api.completions`).
"""

from __future__ import annotations

import itertools
import json
import logging
import tempfile
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, BinaryIO

from fastapi import APIRouter, File, HTTPException, Query, UploadFile
from fastapi.responses import StreamingResponse
from pydantic import BaseModel

from rag.api.problems import ProblemRoute, status_of
from rag.api.schemas import AnswerOut, AnswerRequest, DocumentOut, DocumentText, PassageOut, SearchRequest
from rag.chain import Assistant
from rag.errors import RagError
from rag.indexing import BackgroundIndexer, IndexJob
from rag.ingest.indexer import FAILED
from rag.store import DocumentInfo
from rag.types import Answer
from rag.uploads import Row, UploadRefused, check_upload, drop_cached, forget_upload, original_name

log = logging.getLogger(__name__)

MAX_JOBS = 100  # upload jobs remembered for GET /v1/uploads/{id}; the oldest finished ones are forgotten first


class Passages(BaseModel):
    passages: list[PassageOut]


class Documents(BaseModel):
    documents: list[DocumentOut]


class Removed(BaseModel):
    name: str
    chunks: int


class UploadRow(BaseModel):
    """One file of an upload: `status` is waiting, "indexing: …", added, updated, unchanged or failed."""

    name: str
    status: str
    detail: str


class UploadStatus(BaseModel):
    """An upload's files, indexed one after another in the background; `done` once every one is finished."""

    id: str
    done: bool
    files: list[UploadRow]


def router(assistant: Assistant, indexer: BackgroundIndexer) -> APIRouter:
    """The /v1 routes over `assistant`, uploads indexed by `indexer` (the page's own, when both are served)."""
    api = APIRouter(prefix="/v1", route_class=ProblemRoute)
    jobs = _Jobs()

    @api.post("/answer", response_model=AnswerOut, tags=["answers"])
    def answer(request: AnswerRequest) -> AnswerOut:
        """Answer a question from the indexed documents with citations, or abstain."""
        return AnswerOut.of(
            assistant.answer(request.question, request.turns(), request.sources, request.k, request.mode)
        )

    @api.post("/answer/stream", tags=["answers"], response_class=StreamingResponse)
    def answer_stream(request: AnswerRequest) -> StreamingResponse:
        """The answer as server-sent events: `piece` events (`{"text": ...}`) as the text is produced, then one
        `answer` event holding the whole answer (as POST /v1/answer returns it; its text is the one to keep), or
        an `error` event (problem details) should answering fail midway."""
        pieces = assistant.stream(request.question, request.turns(), request.sources, request.k, request.mode)
        first = next(pieces)  # the question and the index are checked here: a mistake is a plain problem response
        return StreamingResponse(_events(first, pieces), media_type="text/event-stream")

    @api.post("/search", response_model=Passages, tags=["answers"])
    def search(request: SearchRequest) -> Passages:
        """The passages the answerer would read, best first, with their scores; nothing is answered."""
        passages = assistant.search(request.question, request.sources, request.k)
        return Passages(passages=[PassageOut.of(p) for p in passages])

    @api.get("/documents", response_model=Documents, tags=["documents"])
    def documents() -> Documents:
        """The indexed documents, by name."""
        return Documents(documents=[DocumentOut.of(info) for _, info in sorted(assistant.sources().items())])

    @api.get("/documents/{name:path}/text", response_model=DocumentText, tags=["documents"])
    def document_text(
        name: str, start: Annotated[int, Query(ge=0)] = 0, end: Annotated[int | None, Query(ge=0)] = None
    ) -> DocumentText:
        """A document's extracted text, whole or from `start` to `end`: the text every citation's offsets point
        into (`text[start:end] == quote`)."""
        _known(assistant, name)
        text = assistant.document_text(name)
        stop = len(text) if end is None else min(end, len(text))
        if start > stop:
            raise HTTPException(400, f"start ({start}) is after end ({stop}); the text is {len(text)} characters")
        return DocumentText(name=name, start=start, end=stop, length=len(text), text=text[start:stop])

    @api.delete("/documents/{name:path}", response_model=Removed, tags=["documents"])
    def remove(name: str) -> Removed:
        """Take a document out of the index (and an uploaded file's copy)."""
        info = _known(assistant, name)
        chunks = assistant.remove(name)
        forget_upload(info, assistant.settings)
        return Removed(name=name, chunks=chunks)

    @api.post("/documents", response_model=UploadStatus, status_code=202, tags=["documents"])
    def upload(files: Annotated[list[UploadFile], File(description="Documents to index.")]) -> UploadStatus:
        """Upload documents: each is checked (type, size, name) as the page checks it and indexed in the
        background, after the uploads before it; GET /v1/uploads/{id} shows each file's progress."""
        rows, accepted = _accepted(files, assistant)
        job_id = jobs.add(indexer.submit(rows, accepted))
        return jobs.status(job_id)

    @api.get("/uploads/{job_id}", response_model=UploadStatus, tags=["documents"])
    def upload_status(job_id: str) -> UploadStatus:
        """An upload's files: waiting, "indexing: N of M chunks, about T s left", then added, updated or failed."""
        return jobs.status(job_id)

    return api


def _known(assistant: Assistant, name: str) -> DocumentInfo:
    info = assistant.document(name)
    if info is None:
        raise HTTPException(404, f"no indexed document is named {name!r}: GET /v1/documents lists them")
    return info


def _events(first: str | Answer, rest: Iterator[str | Answer]) -> Iterator[str]:
    """The server-sent events of a streamed answer."""
    try:
        for piece in itertools.chain([first], rest):
            if isinstance(piece, Answer):
                yield _event("answer", AnswerOut.of(piece).model_dump(mode="json"))
            else:
                yield _event("piece", {"text": piece})
    except (RagError, ValueError) as exc:
        status = status_of(exc)
        yield _event("error", {"type": "about:blank", "status": status, "detail": str(exc)})


def _event(name: str, data: object) -> str:
    return f"event: {name}\ndata: {json.dumps(data, ensure_ascii=False)}\n\n"


def _accepted(files: list[UploadFile], assistant: Assistant) -> tuple[list[Row], list[tuple[int, Path, str]]]:
    """Each uploaded file saved to a private temporary folder and checked as the page checks it; the rows of the
    job, and the accepted files (row, path, name). Raises 400 when no file is accepted."""
    from gradio.utils import get_upload_folder  # the page's upload cache: `drop_cached` deletes what is handled

    cache = Path(get_upload_folder())
    cache.mkdir(parents=True, exist_ok=True)
    rows: list[Row] = []
    accepted: list[tuple[int, Path, str]] = []
    refused: list[str] = []
    for file in files:
        name = original_name(file.filename or "")
        if not name or name.startswith("."):
            rows.append((name or "(no name)", FAILED, "hidden or empty file names are not accepted"))
            refused.append(f"{name or '(no name)'}: refused: hidden or empty file names are not accepted")
            continue
        path = Path(tempfile.mkdtemp(prefix="api-", dir=cache)) / name
        with path.open("wb") as out:
            _copy(file, out, int(assistant.settings.max_file_mb * 1e6))
        try:
            checked = check_upload(path, assistant.settings)
        except UploadRefused as exc:
            rows.append((name, FAILED, exc.reason))
            refused.append(str(exc))
            drop_cached(path)
            continue
        accepted.append((len(rows), path, checked))
        rows.append((checked, "waiting", ""))
    if not accepted:
        raise HTTPException(400, "; ".join(refused) or "no file was uploaded: send files as multipart field 'files'")
    return rows, accepted


def _copy(file: UploadFile, out: BinaryIO, cap: int) -> None:
    """Copy the upload, stopping a byte past the size cap (the check then refuses it with the reason)."""
    left = cap + 1
    while left > 0:
        block = file.file.read(min(1 << 20, left))
        if not block:
            return
        out.write(block)
        left -= len(block)


class _Jobs:
    """Upload jobs by id, for their status route."""

    def __init__(self) -> None:
        self._jobs: dict[str, IndexJob] = {}
        self._lock = threading.Lock()

    def add(self, job: IndexJob) -> str:
        job_id = uuid.uuid4().hex
        with self._lock:
            self._jobs[job_id] = job
            finished = [k for k, j in self._jobs.items() if j.done.is_set()]
            for old in finished[: max(0, len(self._jobs) - MAX_JOBS)]:
                del self._jobs[old]
        return job_id

    def status(self, job_id: str) -> UploadStatus:
        with self._lock:
            job = self._jobs.get(job_id)
        if job is None:
            raise HTTPException(404, f"no upload {job_id!r} (the server keeps the last {MAX_JOBS})")
        rows = [UploadRow(name=n, status=s, detail=d) for n, s, d in job.rows()]
        return UploadStatus(id=job_id, done=job.done.is_set(), files=rows)
