"""How fast the local GGUF model reads a prompt and writes a reply on this machine, and the latency that implies.

Loads the gguf mode's model exactly as `answer()` does (`rag.llm.gguf_chat_model`: same threads, context, engine),
sends it prompts cut from the shipped corpus with the prompt cache off, and prints llama.cpp's own prompt-reading
and writing rates (tokens per second). From the median rates it prints the least time an answer of the gguf mode can
take for a given number of uncached prompt tokens and reply tokens (reading plus writing, nothing else), which is the
floor under its latency: fewer evidence sentences shorten only the first, and the JSON reply's structure ("answerable",
"answer", "evidence", "short") is written token by token like its text. Leaves out answer quality (`rag eval`).

    python -m bench.llm_speed                      # the fetched Qwen model (or RAG_GGUF_PATH), all cores
    RAG_GGUF_THREADS=2 python -m bench.llm_speed --prompts 5
"""

from __future__ import annotations

import argparse
import statistics

from rag.config import PROJECT_ROOT, Settings
from rag.llm import gguf_chat_model

CORPUS = PROJECT_ROOT / "corpus"


def texts(count: int, chars: int) -> list[str]:
    """`count` stretches of `chars` characters of the shipped corpus, each opening with its own number (so that no
    two prompts share a first token and nothing comes from a cache)."""
    corpus = " ".join(p.read_text(encoding="utf-8") for p in sorted(CORPUS.iterdir()) if p.is_file())
    corpus = " ".join(corpus.split())
    step = max((len(corpus) - chars) // max(count, 1), 1)
    return [f"{n}. {corpus[n * step : n * step + chars]}" for n in range(count)]


def rates(count: int, chars: int, reply_tokens: int) -> list[tuple[int, float, int, float]]:
    """(prompt tokens, read per s, reply tokens, written per s) of `count` uncached prompts."""
    server = gguf_chat_model(Settings()).server()
    found = []
    for text in texts(count, chars):
        request = {
            "messages": [{"role": "user", "content": f"Summarise: {text}"}],
            "max_tokens": reply_tokens,
            "temperature": 0,
            "cache_prompt": False,
            "ignore_eos": True,
        }
        timings = server.handle_chat_completions(request)["timings"]
        found.append(
            (
                int(timings["prompt_n"]),
                float(timings["prompt_per_second"]),
                int(timings["predicted_n"]),
                float(timings["predicted_per_second"]),
            )
        )
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--prompts", type=int, default=5, help="uncached prompts to time")
    parser.add_argument("--chars", type=int, default=900, help="characters of corpus text in each prompt")
    parser.add_argument("--reply-tokens", type=int, default=40, help="tokens written for each prompt")
    args = parser.parse_args()
    found = rates(args.prompts, args.chars, args.reply_tokens)
    for prompt_n, read, reply_n, written in found:
        print(f"prompt {prompt_n:4d} tokens at {read:5.1f}/s, reply {reply_n:3d} tokens at {written:5.1f}/s")
    read = statistics.median(row[1] for row in found)
    written = statistics.median(row[3] for row in found)
    print(f"median: reads {read:.1f} prompt tokens/s, writes {written:.1f} tokens/s")
    print("least latency (s) = uncached prompt tokens / read + reply tokens / written:")
    replies = (20, 30, 45)
    print("uncached prompt tokens | " + " | ".join(f"reply {r}" for r in replies))
    for prompt_n in (100, 150, 200, 250):
        cells = " | ".join(f"{prompt_n / read + r / written:6.1f}" for r in replies)
        print(f"{prompt_n:22d} | {cells}")


if __name__ == "__main__":
    main()
