"""A flood of questions against the chat page's API, and what it does to a lone user (issue #30).

Starts `rag serve` on the shipped corpus, measures a lone question's latency while the server is quiet (from
127.0.0.2, another address of the loopback, as another machine would), then sends `--requests` (1,000) questions at
once from 127.0.0.1 over 100 connections through the page's REST API (`/gradio_api/call/chat`), asks the lone
question as the flood starts (and again, a second apart, while it lasts) and once its requests have had their
replies; last, the server's memory (RSS) before and some seconds after the flood. Prints one JSON line:

    python -m bench.flood                # the page as it serves
    python -m bench.flood --requests 300
    python -m bench.flood --control      # the same flood of a small page request: what the flood alone costs

Targets (#30): the lone question within 3x its quiet latency once the flood has had its replies (and, reported
beside it, while it arrives), memory within 10% of its start after.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
QUESTION = "Who signed the agreement on behalf of Ukraine?"
PACE_S = 2.0  # between the lone user's questions


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


async def ask(client: httpx.AsyncClient, base: str, question: str = QUESTION) -> tuple[float, str]:
    """One question through the REST API: seconds until its answer is complete, and how it ended."""
    began = time.perf_counter()
    joined = await client.post(f"{base}/gradio_api/call/chat", json={"data": [question, 5, "extractive", []]})
    if joined.status_code != 200:
        return time.perf_counter() - began, f"refused {joined.status_code}: {joined.text[:120]}"
    event = joined.json()["event_id"]
    ended = "?"
    async with client.stream("GET", f"{base}/gradio_api/call/chat/{event}") as stream:
        async for line in stream.aiter_lines():
            if line.startswith("event:"):
                ended = line.split(":", 1)[1].strip()
                if ended in ("complete", "error"):
                    break
    return time.perf_counter() - began, ended


async def lone(base: str, n: int, pace: float = PACE_S) -> list[float]:
    transport = httpx.AsyncHTTPTransport(local_address="127.0.0.2")
    async with httpx.AsyncClient(transport=transport, timeout=300) as client:
        times = []
        for _ in range(n):
            seconds, ended = await ask(client, base)
            if ended != "complete":
                raise RuntimeError(f"the lone question ended {ended!r}")
            times.append(seconds)
            await asyncio.sleep(pace)  # a person's pace, within what `rag.admission` lets one address ask
        return times


CONNECTIONS = 100


async def flood(base: str, requests: int, control: bool = False) -> dict[str, int]:
    """`requests` questions joined at once from 127.0.0.1 over `CONNECTIONS` kept-alive connections (without waiting
    for their answers); with `control`, as many requests of the page's small `/gradio_api/info` instead (what the
    flood costs without answering any). The requests are written as bytes made beforehand and the replies read by
    their length, so that the flooding client, which shares this machine's two cores with the server, costs little
    of them (an HTTP client library's work per request would be measured as the server's slowness)."""
    host, port = base.removeprefix("http://").split(":")
    shares = [requests // CONNECTIONS + (i < requests % CONNECTIONS) for i in range(CONNECTIONS)]
    codes: list[int] = []

    async def connection(count: int, first: int) -> None:
        try:
            reader, writer = await asyncio.open_connection(host, int(port))
        except OSError:
            codes.extend([-1] * count)
            return
        for i in range(first, first + count):
            writer.write(_request(host, port, i, control))
            codes.append(await _status(reader))
        writer.close()

    starts = [sum(shares[:i]) for i in range(CONNECTIONS)]
    await asyncio.gather(*(connection(n, at) for n, at in zip(shares, starts) if n))
    return {str(code): codes.count(code) for code in sorted(set(codes))}


def _request(host: str, port: str, i: int, control: bool) -> bytes:
    if control:
        return f"GET /gradio_api/info HTTP/1.1\r\nHost: {host}:{port}\r\n\r\n".encode()
    body = json.dumps({"data": [f"{QUESTION} ({i})", 5, "extractive", []]}).encode()
    head = f"POST /gradio_api/call/chat HTTP/1.1\r\nHost: {host}:{port}\r\nContent-Type: application/json\r\n"
    return f"{head}Content-Length: {len(body)}\r\n\r\n".encode() + body


async def _status(reader: asyncio.StreamReader) -> int:
    """The status of the next reply on the connection, its body read past (by Content-Length, or chunks)."""
    try:
        head = (await reader.readuntil(b"\r\n\r\n")).decode("latin-1")
    except (asyncio.IncompleteReadError, ConnectionError):
        return -1
    status = int(head.split(" ", 2)[1])
    lengths = [line.split(":")[1] for line in head.lower().split("\r\n") if line.startswith("content-length:")]
    if lengths:
        await reader.readexactly(int(lengths[0]))
        return status
    while (size := int((await reader.readline()).strip() or b"0", 16)) > 0:  # chunked
        await reader.readexactly(size + 2)
    await reader.readline()
    return status


async def measure(base: str, pid: int, requests: int, control: bool = False) -> dict:
    await lone(base, 2)  # warm up
    quiet = await lone(base, 5)
    rss_before = rss_mb(pid)
    began = time.perf_counter()
    flooding = asyncio.create_task(flood(base, requests, control))
    await asyncio.sleep(0.05)  # the flood's connections are open and its first requests on their way
    during = []
    while not during or not flooding.done():  # questions asked while the flood is still arriving
        during += await lone(base, 1, pace=1.0)
    codes = await flooding
    flood_seconds = time.perf_counter() - began
    after = await lone(base, 3)  # once the flood's 1,000 requests have had their replies
    settle = time.perf_counter()
    while time.perf_counter() - settle < 120 and max(await lone(base, 1)) > 3 * statistics.median(quiet):
        await asyncio.sleep(1)  # until what was let in is answered
    await asyncio.sleep(5)
    rss_after = rss_mb(pid)
    return {
        "requests": requests,
        "flood_of": "/gradio_api/info (control)" if control else "/gradio_api/call/chat",
        "flood_status_codes": codes,
        "flood_seconds": round(flood_seconds, 2),
        "asked_during_flood": len(during),
        "quiet_p50_s": round(statistics.median(quiet), 3),
        "during_flood_p50_s": round(statistics.median(during), 3),
        "during_over_quiet": round(statistics.median(during) / statistics.median(quiet), 2),
        "after_flood_p50_s": round(statistics.median(after), 3),
        "after_over_quiet": round(statistics.median(after) / statistics.median(quiet), 2),
        "rss_before_mb": round(rss_before),
        "rss_after_mb": round(rss_after),
        "rss_after_over_before": round(rss_after / rss_before, 3),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=1000)
    parser.add_argument("--control", action="store_true", help="flood /gradio_api/info instead: the floor")
    args = parser.parse_args()
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("RAG_")} | {"HF_HUB_OFFLINE": "1"}
    with tempfile.TemporaryDirectory() as data:
        server = subprocess.Popen(
            [sys.executable, "-m", "rag.cli", "serve", "--port", str(port), "--data-dir", data],
            cwd=ROOT,
            env=env,
            stderr=subprocess.PIPE,
            text=True,
        )
        try:
            line = ""
            while "The chat page is at" not in line:
                line = server.stderr.readline()
                if not line and server.poll() is not None:
                    raise RuntimeError("rag serve ended before the page was up")
            result = asyncio.run(measure(f"http://127.0.0.1:{port}", server.pid, args.requests, args.control))
        finally:
            server.kill()
            server.wait()
    print(json.dumps(result))


if __name__ == "__main__":
    main()
