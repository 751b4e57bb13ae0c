"""Benchmark of the procedure search: start-up time, memory growth and per-query latency.

    .venv/bin/python benchmarks/kb_search.py                       # shipped KB (+ national records if present)
    .venv/bin/python benchmarks/kb_search.py --national-kb DIR      # reuse a directory written by `kb import`

Start-up and memory are measured in a fresh process (imports included, after a first query). Memory is
the growth of the resident set; "private" is its anonymous part (the rest are mapped files: libraries and
the encoder's model, shared with other processes). Latency is measured per query
over the development questions (shipped KB) or the portal questions (national records), for the
lexical path alone and with the semantic signal. Prints figures only; nothing is asserted.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "external"
DEV_QUESTIONS = ROOT / "tests" / "data" / "dev_questions.jsonl"
PORTAL_QUESTIONS = SHARED / "dvc-questions" / "dev.jsonl"
NATIONAL_RECORDS = SHARED / "tthc" / "procedures.jsonl.gz"


def rss_mb() -> dict[str, float]:
    """Resident memory of this process in MB: all of it, and the private (anonymous) part."""
    found = {"VmRSS": 0.0, "RssAnon": 0.0}
    with open("/proc/self/status", encoding="ascii") as fh:
        for line in fh:
            key = line.split(":")[0]
            if key in found:
                found[key] = int(line.split()[1]) / 1024
    return found


def probe(kb_dir: str | None, semantic: bool) -> None:
    """Child process: time the import of the package and the building of a matcher, print JSON."""
    before = rss_mb()
    start = time.perf_counter()
    sys.path.insert(0, str(ROOT))
    from knowledge import Matcher, load_knowledge_base

    kb = load_knowledge_base(Path(kb_dir) if kb_dir else None)
    matcher = Matcher(kb, semantic=None if semantic else False)
    ready = time.perf_counter() - start
    matcher.search("đăng ký khai sinh")  # first query (warms the encoder)
    after = rss_mb()
    print(
        json.dumps(
            {
                "startup_s": ready,
                "memory_mb": after["VmRSS"] - before["VmRSS"],
                "private_mb": after["RssAnon"] - before["RssAnon"],
                "semantic": matcher.semantic is not None,
            }
        )
    )


def startup(kb_dir: Path | None, semantic: bool) -> dict:
    """Start-up figures measured in a fresh interpreter."""
    args = [sys.executable, __file__, "--probe", str(kb_dir or ""), "--probe-semantic", str(int(semantic))]
    out = subprocess.run(args, capture_output=True, text=True, check=True, cwd=ROOT).stdout
    return json.loads(out.strip().splitlines()[-1])


def latencies(
    kb_dir: Path | None, questions: list[str], semantic: bool, rounds: int
) -> tuple[list[float], list[float]]:
    """Per-query wall-clock and CPU time in milliseconds (each question `rounds` times).

    The CPU time of the searching thread leaves out the time the process waited for a core, which
    dominates the wall-clock tail when other work loads the machine.
    """
    from knowledge import Matcher, load_knowledge_base

    matcher = Matcher(load_knowledge_base(kb_dir), semantic=None if semantic else False)
    matcher.search(questions[0])
    wall, cpu = [], []
    for _ in range(rounds):
        for question in questions:
            start, start_cpu = time.perf_counter(), time.thread_time()
            matcher.search(question)
            wall.append((time.perf_counter() - start) * 1000)
            cpu.append((time.thread_time() - start_cpu) * 1000)
    return wall, cpu


def answer_latencies(kb_dir: Path | None, questions: list[str], semantic: bool) -> list[float]:
    """Wall-clock milliseconds of the whole answer through the dispatcher (SQLite), a new citizen per question."""
    from knowledge import Matcher, load_knowledge_base
    from knowledge.chat_eval import _dispatcher
    from messaging.types import Incoming

    kb = load_knowledge_base(kb_dir)
    matcher = Matcher(kb, semantic=None if semantic else False)
    times = []
    with _dispatcher(kb, matcher) as dispatcher:
        dispatcher.handle(Incoming(platform="console", user_id="warm", chat_id="warm", text=questions[0]))
        for number, question in enumerate(questions):
            user = f"bench-{number}"
            msg = Incoming(platform="console", user_id=user, chat_id=user, update_id=user, text=question)
            start = time.perf_counter()
            dispatcher.handle(msg)
            times.append((time.perf_counter() - start) * 1000)
    return times


def p99(times: list[float]) -> float:
    """The 99th percentile (the maximum below 100 samples)."""
    return statistics.quantiles(times, n=100)[98] if len(times) >= 100 else max(times)


def report(label: str, kb_dir: Path | None, questions: list[str], rounds: int) -> None:
    """Print the figures for one knowledge base."""
    print(f"\n== {label} ({len(questions)} questions) ==")
    for semantic in (False, True):
        path = "semantic" if semantic else "lexical"
        up = startup(kb_dir, semantic)
        if semantic and not up["semantic"]:
            print(f"  {path:<9} not available (no stored embeddings or no encoder)")
            continue
        times, cpu = latencies(kb_dir, questions, semantic, rounds if not semantic else 1)
        print(
            f"  {path:<9} start-up {up['startup_s']:.2f} s   memory +{up['memory_mb']:.0f} MB "
            f"(private +{up['private_mb']:.0f})   latency median {statistics.median(times):.2f} ms   "
            f"p99 {p99(times):.2f} ms   max {max(times):.1f} ms   (CPU time: median {statistics.median(cpu):.2f} ms, "
            f"p99 {p99(cpu):.2f} ms)"
        )
        answers = answer_latencies(kb_dir, questions, semantic)
        print(f"  {'':<9} whole answer through the dispatcher (SQLite, a new citizen each): "
              f"median {statistics.median(answers):.2f} ms   p99 {p99(answers):.2f} ms")


def read_questions(path: Path, key: str) -> list[str]:
    """Question texts from a JSON-lines file."""
    return [json.loads(line)[key] for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def main() -> int:
    """Run the benchmark."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--national-kb", type=Path, help="directory written by `kb import` of the national records")
    parser.add_argument("--skip-national", action="store_true")
    parser.add_argument("--rounds", type=int, default=5, help="repetitions of the question set (lexical path)")
    parser.add_argument("--probe", help=argparse.SUPPRESS)
    parser.add_argument("--probe-semantic", default="1", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.probe is not None:
        probe(args.probe or None, args.probe_semantic == "1")
        return 0
    sys.path.insert(0, str(ROOT))
    print(
        f"machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f}; "
        f"encoder threads {os.environ.get('KB_ENCODER_THREADS', '1')}"
    )
    report("shipped knowledge base", None, read_questions(DEV_QUESTIONS, "query"), args.rounds)
    if args.skip_national:
        return 0
    kb_dir = args.national_kb
    if kb_dir is None:
        if not NATIONAL_RECORDS.is_file():
            print("\nnational records not found (../shared/external/tthc); skipped")
            return 0
        kb_dir = Path(tempfile.mkdtemp(prefix="kb-national-"))
        print(f"\nimporting the national records into {kb_dir} (embeddings take a few minutes)...")
        from knowledge.cli import main as kb_main

        kb_main(["import", str(NATIONAL_RECORDS), "--out", str(kb_dir)])
    questions = read_questions(PORTAL_QUESTIONS, "question") if PORTAL_QUESTIONS.is_file() else ["đăng ký khai sinh"]
    report("national records", kb_dir, questions, max(1, args.rounds // 2))
    print(f"\nload average at the end {os.getloadavg()[0]:.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
