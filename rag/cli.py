"""The `rag` command: ingest, ask, sources, remove, serve, eval.

Owns argument parsing, printing, exit codes and turning domain errors into one-line messages. Every command
builds an `Assistant` from `Settings` (options override `RAG_*` variables) and calls it; no retrieval or citation
logic lives here.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence
from pathlib import Path

from rag.errors import RagError

log = logging.getLogger("rag")


def _settings(args: argparse.Namespace, **extra):
    from rag.config import Settings

    overrides = {
        "data_dir": args.data_dir,
        "corpus_dir": getattr(args, "corpus", None),
        "chroma_url": args.chroma_url,
        **extra,
    }
    return Settings(**{k: v for k, v in overrides.items() if v is not None})


def _assistant(args: argparse.Namespace, **extra):
    from rag.chain import Assistant

    return Assistant(_settings(args, **extra))


def cmd_ingest(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    assistant = _assistant(args)
    bar = None

    def progress(done: int, total: int, result) -> None:
        nonlocal bar
        if bar is None:
            bar = tqdm(total=total, unit="file", disable=total < 2 or not sys.stderr.isatty(), file=sys.stderr)
        bar.update(1)
        bar.set_postfix_str(f"{result.status}: {result.source}"[:60])

    report = assistant.ingest(args.paths, progress=progress)
    if bar is not None:
        bar.close()
    for failure in report.failed:
        print(f"failed: {failure.source}: {failure.reason}", file=sys.stderr)
    print(report.summary())
    return 1 if report.failed else 0


def cmd_ask(args: argparse.Namespace) -> int:
    extra = {"k": args.k} if args.k else {}
    answer = _assistant(args, **extra).answer(args.question, sources=args.source or ())
    if args.json:
        print(answer.to_json())
        return 0
    print(answer.text)
    if answer.abstained:
        print("\nNearest text found:")
        for passage in answer.passages[:3]:
            print(f"  - {passage.chunk.source} [{passage.chunk.start}:{passage.chunk.end}]")
        return 0
    print("\nSources:")
    for c in answer.citations:
        where = f"page {c.page}, " if c.page else ""
        print(f"  [{c.n}] {c.source} ({where}chars {c.start}-{c.end}): “{' '.join(c.quote.split())}”")
    return 0


def cmd_sources(args: argparse.Namespace) -> int:
    documents = _assistant(args).sources()
    if not documents:
        print("No documents are indexed. Add some with `rag ingest PATH`.")
    for info in documents.values():
        print(f"{info.source}\t{info.chunks} chunks\t{info.title}")
    return 0


def cmd_remove(args: argparse.Namespace) -> int:
    assistant = _assistant(args)
    removed = assistant.remove(args.source)
    if not removed:
        known = ", ".join(assistant.sources()) or "none"
        print(f"error: {args.source!r} is not indexed (indexed: {known})", file=sys.stderr)
        return 1
    print(f"removed {args.source} ({removed} chunks)")
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    from ui.app import serve

    assistant = _assistant(args)
    assistant.sync_corpus()
    serve(assistant, host=args.host, port=args.port)
    return 0


def build_parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--data-dir", type=Path, help="index folder (default: RAG_DATA_DIR or ./.rag-data)")
    common.add_argument("--chroma-url", help="use the Chroma server at this URL instead of the embedded store")
    common.add_argument("-v", "--verbose", action="store_true", help="log what happens")

    parser = argparse.ArgumentParser(prog="rag", description="Cited answers from your documents, offline.")
    commands = parser.add_subparsers(dest="command", required=True)

    ingest = commands.add_parser("ingest", parents=[common], help="index files and folders")
    ingest.add_argument("paths", nargs="+", type=Path, help="files or folders (.txt .md .html .pdf .docx)")
    ingest.set_defaults(run=cmd_ingest)

    ask = commands.add_parser("ask", parents=[common], help="answer a question with citations")
    ask.add_argument("question")
    ask.add_argument("--json", action="store_true", help="print the answer object as JSON")
    ask.add_argument("--k", type=int, help="passages to retrieve")
    ask.add_argument("--source", action="append", help="only search this document (repeatable)")
    ask.add_argument("--corpus", type=Path, help="folder ingested on first use (default: RAG_CORPUS_DIR or corpus/)")
    ask.set_defaults(run=cmd_ask)

    sources = commands.add_parser("sources", parents=[common], help="list indexed documents")
    sources.set_defaults(run=cmd_sources)

    remove = commands.add_parser("remove", parents=[common], help="remove a document from the index")
    remove.add_argument("source", help="the document's name as `rag sources` shows it")
    remove.set_defaults(run=cmd_remove)
    serve = commands.add_parser("serve", parents=[common], help="open the chat page")
    serve.add_argument("--host", default="127.0.0.1", help="address to listen on (default: 127.0.0.1)")
    serve.add_argument("--port", type=int, default=7860, help="port (default: 7860)")
    serve.add_argument("--corpus", type=Path, help="folder indexed at start (default: RAG_CORPUS_DIR or corpus/)")
    serve.set_defaults(run=cmd_serve)
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


if __name__ == "__main__":
    sys.exit(main())
