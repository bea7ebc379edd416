"""Can the local GGUF model tell a near-miss question from an answerable one? A yes/no check, measured (issue #14).

Reads a `rag eval` run folder (an extractive run, e.g. the `extractive/` part of a `--mode gguf` run) and, for each
question that was answered, asks the gguf mode's model (loaded as `answer()` loads it) whether the answer's first
cited sentence states the answer to the question, reading its probability of "yes" from the first token's
log-probabilities. Prints how well that probability separates answerable from unanswerable questions (AUC), and the
abstention and false-abstention rates over the whole suite when answers below a cut-off of it, or of it plus
`--weight` times the extractive confidence, are withdrawn (`rag.evaluate.sweep`, as `rag eval --calibrate`). Leaves
out wiring such a check into `answer()`: it costs a second model call per answer (about 2 s here), and this script
is how to see whether that would pay.

    python -m bench.llm_verify eval/runs/squad2-100-gguf/extractive
"""

from __future__ import annotations

import argparse
import math
from dataclasses import replace
from pathlib import Path

from rag.config import Settings
from rag.evaluate import read_run, sweep
from rag.llm import gguf_chat_model

SYSTEM = (
    "You check whether a sentence states the answer to a question. The question may change one detail of the "
    "sentence (a year, a number, a name, a place, or a word turned into its opposite); then the sentence does not "
    "answer it. Reply yes or no."
)


def p_yes(server: object, question: str, sentence: str) -> float:
    """The model's probability of "yes" against "no" as its first reply token."""
    ask = "Does the sentence state the answer to the question? Reply yes or no."
    user = f"Sentence: {sentence}\nQuestion: {question}\n{ask}"
    request = {
        "messages": [{"role": "system", "content": SYSTEM}, {"role": "user", "content": user}],
        "max_tokens": 1,
        "temperature": 0,
        "cache_prompt": True,
        "logprobs": True,
        "top_logprobs": 10,
    }
    reply = server.handle_chat_completions(request)  # type: ignore[attr-defined]
    content = (reply["choices"][0].get("logprobs") or {}).get("content") or [{}]
    top: dict[str, float] = {}
    for token in content[0].get("top_logprobs", []):  # "Yes" and "yes" may both appear: the likelier one counts
        key = token["token"].strip().lower()
        top[key] = max(top.get(key, -30.0), token["logprob"])
    yes, no = math.exp(top.get("yes", -30.0)), math.exp(top.get("no", -30.0))
    return yes / (yes + no)


def auc(positive: list[float], negative: list[float]) -> float:
    """The chance that an answerable question scores above an unanswerable one (ties count half)."""
    pairs = [(p > n) + 0.5 * (p == n) for p in positive for n in negative]
    return sum(pairs) / max(len(pairs), 1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("run", type=Path, help="a run folder that rag eval wrote (e.g. RUN/extractive)")
    parser.add_argument("--weight", type=float, default=0.0, help="add this times the extractive confidence")
    args = parser.parse_args()
    verdicts, _ = read_run(args.run)
    server = gguf_chat_model(Settings()).server()
    scored = []  # every verdict with the check's score as its confidence; one already abstained stays abstained
    for v in verdicts:
        if v.abstained or not v.citations:
            scored.append(replace(v, confidence=-math.inf))
        else:
            score = p_yes(server, v.question, v.citations[0]["quote"]) + args.weight * v.confidence
            scored.append(replace(v, confidence=score))
    answered = [v for v in scored if v.confidence > -math.inf]
    positive = [v.confidence for v in answered if v.answerable]
    negative = [v.confidence for v in answered if not v.answerable]
    print(f"AUC of the check over the {len(answered)} answered questions: {auc(positive, negative):.3f}")
    print("cut-off | abstention (unanswerable) | false abstention")
    for row in sweep(scored, [step * (1 + args.weight) / 20 for step in range(21)]):
        print(f"{row['threshold']:7.2f} | {row['abstention_rate']:25.3f} | {row['false_abstention_rate']:16.3f}")


if __name__ == "__main__":
    main()
