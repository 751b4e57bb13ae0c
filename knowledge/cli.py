"""`feedback-bot kb ...`: search, import, export, validate and evaluate the knowledge base."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from knowledge.eval import HALVES
from knowledge.loader import KnowledgeBaseError, load_knowledge_base
from knowledge.matcher import Matcher, MatchResult


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="feedback-bot kb", description="Knowledge-base tools.")
    sub = parser.add_subparsers(dest="command", required=True)
    search = sub.add_parser("search", help="find procedures for a question (or one per stdin line)")
    search.add_argument("query", nargs="?")
    search.add_argument("--json", action="store_true", help="print JSON (always so for stdin input)")
    search.add_argument("-k", type=int, default=3, help="number of results (default 3)")
    search.add_argument("--kb", type=Path, help="knowledge-base directory (default: the shipped one)")
    imp = sub.add_parser("import", help="import CSV/XLSX or national JSON lines into a directory")
    imp.add_argument("path", type=Path)
    imp.add_argument("--out", type=Path, required=True)
    imp.add_argument("--no-embeddings", action="store_true", help="skip the semantic index")
    exp = sub.add_parser("export", help="write the knowledge base as a spreadsheet (.xlsx or .csv)")
    exp.add_argument("--kb", type=Path)
    exp.add_argument("--out", type=Path, required=True)
    emb = sub.add_parser("embed", help="recompute the stored passage vectors (after editing the data)")
    emb.add_argument("--kb", type=Path)
    val = sub.add_parser("validate", help="check a knowledge-base directory or spreadsheet")
    val.add_argument("path", type=Path, nargs="?")
    ev = sub.add_parser("eval", help="measure the matcher (and with --conversation the chat) on a question file")
    ev.add_argument("file", type=Path, nargs="?", help="JSON-lines questions for `kb search` figures alone")
    ev.add_argument("--conversation", type=Path, metavar="FILE",
                    help="ask each question of FILE as a new citizen through the dispatcher (plus `kb search` figures)")
    ev.add_argument("--kb", type=Path)
    ev.add_argument("--half", choices=HALVES, help="only the tuning or the frozen half of the distinct questions")
    ev.add_argument("--misses", action="store_true", help="also list the questions that went wrong")
    return parser


def result_json(result: MatchResult) -> dict[str, Any]:
    """The contract's JSON object for one search."""
    return {
        "query": result.query,
        "intent": result.intent,
        "confident": result.confident,
        "results": [
            {
                "id": hit.procedure.code,
                "name": hit.procedure.name,
                "agency": hit.procedure.agency,
                "score": round(float(hit.score), 4),
            }
            for hit in result.hits
        ],
    }


def _matcher(kb_dir: Path | None) -> Matcher:
    return Matcher(load_knowledge_base(kb_dir))


def _search(args: argparse.Namespace) -> int:
    matcher = _matcher(args.kb)
    k = max(args.k, 0)
    if args.query is not None:
        result = matcher.search(args.query, k=k)
        if args.json:
            print(json.dumps(result_json(result), ensure_ascii=False))
        else:
            print(f"intent: {result.intent}  confident: {'yes' if result.confident else 'no'}")
            for rank, hit in enumerate(result.hits, 1):
                print(f"{rank}. [{hit.procedure.code}] {hit.procedure.name} ({hit.score:.3f})")
        return 0
    for line in sys.stdin:
        query = line.rstrip("\r\n")
        print(json.dumps(result_json(matcher.search(query, k=k)), ensure_ascii=False), flush=True)
    return 0


def _import(args: argparse.Namespace) -> int:
    from knowledge.importers import import_path

    kb = import_path(args.path, args.out)
    if not args.no_embeddings:
        from knowledge.semantic import build_embeddings

        build_embeddings(kb, args.out, show_progress=True)
    Matcher(kb, semantic=False).save_cache()
    return 0


def _embed(args: argparse.Namespace) -> int:
    from knowledge.semantic import build_embeddings

    kb = load_knowledge_base(args.kb)
    target = build_embeddings(kb, None, show_progress=True)
    if target is None:
        return 1
    print(f"wrote {len(kb.procedures)} passage vectors to {target}")
    return 0


def _export(args: argparse.Namespace) -> int:
    from knowledge.importers import export_spreadsheet

    kb = load_knowledge_base(args.kb)
    export_spreadsheet(kb, args.out)
    print(f"wrote {len(kb.procedures)} procedures and {len(kb.agencies)} agencies to {args.out}")
    return 0


def _validate(args: argparse.Namespace) -> int:
    path = args.path
    if path is not None and path.is_file():
        import tempfile

        from knowledge.importers import import_path

        with tempfile.TemporaryDirectory() as tmp:
            kb = import_path(path, Path(tmp), show_progress=False)
    else:
        kb = load_knowledge_base(path)
    print(f"OK: {len(kb.procedures)} procedures, {len(kb.agencies)} agencies")
    from knowledge.agencies import placeholders

    todo = placeholders(kb)
    if todo:
        print(f"{len(todo)} facts to fill in or check:")
        print("\n".join(f"  {line}" for line in todo))
    return 0


def _eval(args: argparse.Namespace) -> int:
    from knowledge.eval import evaluate_rows, read_questions, select

    path = args.conversation or args.file
    if path is None:
        print("error: give a question file (or --conversation FILE)", file=sys.stderr)
        return 2
    kb = load_knowledge_base(args.kb)
    matcher = Matcher(kb)
    rows = select(read_questions(path), args.half)
    reports = []
    if args.conversation is not None:
        from knowledge.chat_eval import evaluate_conversation

        reports.append(evaluate_conversation(kb, matcher, rows))
    reports.append(evaluate_rows(matcher, rows))
    for report in reports:
        print("\n".join(report.lines()))
    if args.misses:
        for miss in (m for report in reports for m in report.misses):
            print(json.dumps(miss, ensure_ascii=False))
    return 0


def main(argv: list[str] | None = None) -> int:
    """Run a `kb` subcommand; returns the process exit code."""
    args = _parser().parse_args(argv)
    handler = {
        "search": _search,
        "import": _import,
        "export": _export,
        "validate": _validate,
        "embed": _embed,
        "eval": _eval,
    }[args.command]
    try:
        return handler(args)
    except (KnowledgeBaseError, ValueError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
