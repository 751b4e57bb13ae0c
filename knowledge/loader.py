"""Loading and validating a knowledge-base directory (agencies + procedures)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml
from pydantic import TypeAdapter, ValidationError

from knowledge.models import Agency, Channels, Procedure
from knowledge.packed import PackedTexts

try:  # the C loader is several times faster; fall back when libyaml is absent
    _YamlLoader: Any = yaml.CSafeLoader
except AttributeError:  # pragma: no cover
    _YamlLoader = yaml.SafeLoader

DATA_DIR = Path(__file__).with_name("data")
AGENCY_FILES = ("agencies.yaml", "agencies.yml", "agencies.json")
PROCEDURE_DIR = "procedures"
DATA_SUFFIXES = (".yaml", ".yml", ".json", ".jsonl")  # .jsonl: one procedure per line
CHUNK = 64  # JSON-lines records validated at a time (keeps the memory peak of big imports low)


class KnowledgeBaseError(ValueError):
    """A data file is wrong: names the file, the entry and the field."""

    def __init__(self, file: Path | str, entry: str | None, field: str | None, problem: str) -> None:
        self.file, self.entry, self.field, self.problem = str(file), entry, field, problem
        where = self.file
        if entry is not None:
            where += f", entry {entry}"
        if field is not None:
            where += f", field '{field}'"
        super().__init__(f"{where}: {problem}")


@dataclass
class KnowledgeBase:
    """Agencies and procedures, with lookups by id."""

    agencies: list[Agency]
    procedures: list[Procedure]
    path: Path | None = None
    _agency_by_id: dict[str, Agency] = field(init=False, repr=False)
    _procedure_by_id: dict[str, Procedure] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self._agency_by_id = {a.id: a for a in self.agencies}
        self._procedure_by_id = {p.id: p for p in self.procedures}
        for p in self.procedures:
            if p.national_code:
                self._procedure_by_id.setdefault(p.national_code, p)

    def agency(self, agency_id: str | None) -> Agency | None:
        """The agency with this id, or None."""
        return self._agency_by_id.get(agency_id or "")

    def procedure(self, procedure_id: str | None) -> Procedure | None:
        """The procedure with this id or national code, or None."""
        return self._procedure_by_id.get(procedure_id or "")


def read_data_file(path: Path) -> Any:
    """Parse one YAML or JSON data file, reporting syntax errors with the file name."""
    try:
        text = path.read_text(encoding="utf-8")
        if path.suffix == ".json":
            return json.loads(text)
        return yaml.load(text, Loader=_YamlLoader)
    except (OSError, UnicodeDecodeError, json.JSONDecodeError, yaml.YAMLError) as exc:
        raise KnowledgeBaseError(path, None, None, f"cannot read: {exc}") from exc


def _entries(path: Path, data: Any, key: str) -> list[Any]:
    """The list under `key` at the top of a data file."""
    if data is None:
        return []
    if not isinstance(data, dict) or set(data) != {key}:
        found = sorted(data) if isinstance(data, dict) else type(data).__name__
        raise KnowledgeBaseError(path, None, key, f"expected a mapping with only '{key}:', found {found}")
    entries = data[key] or []
    if not isinstance(entries, list):
        raise KnowledgeBaseError(path, None, key, "expected a list of entries")
    return entries


def _entry_name(raw: Any, index: int) -> str:
    """How an entry is named in errors: its id when it has one, else its position."""
    if isinstance(raw, dict) and raw.get("id") not in (None, ""):
        return f"{raw['id']!s} (#{index + 1})"
    return f"#{index + 1}"


@lru_cache(maxsize=4)
def _list_adapter(model: type[Any]) -> TypeAdapter[Any]:
    """A validator for a whole list of records (much faster than one call per record)."""
    return TypeAdapter(list[model])  # type: ignore[valid-type]


def _parse(path: Path, entries: list[Any], model: type[Any], start: int = 0) -> list[Any]:
    """Validate entries (the first being entry `start` of the file), naming the first bad one."""
    try:
        return list(_list_adapter(model).validate_python(entries))
    except ValidationError:
        pass  # find and name the first bad entry below
    records = []
    for index, raw in enumerate(entries, start):
        name = _entry_name(raw, index)
        if not isinstance(raw, dict):
            raise KnowledgeBaseError(path, name, None, "expected a mapping of fields")
        try:
            records.append(model.model_validate(raw))
        except ValidationError as exc:
            err = exc.errors()[0]
            loc = ".".join(str(part) for part in err["loc"]) or None
            problem = "unknown field" if err["type"] == "extra_forbidden" else err["msg"]
            raise KnowledgeBaseError(path, name, loc, problem) from None
    return records


def _check_links(kb: KnowledgeBase, origin: dict[str, tuple[Path, str]]) -> None:
    """Cross-entry checks: unique ids, known agencies, known linked procedures, known uncertain fields."""
    proc_fields = set(Procedure.model_fields)
    agency_fields = set(Agency.model_fields)
    for agency in kb.agencies:
        for name in agency.uncertain:
            if name not in agency_fields:
                raise KnowledgeBaseError(kb.path or "agencies", agency.id, "uncertain", f"no field '{name}'")
    for proc in kb.procedures:
        file, entry = origin[proc.id]
        if kb.agencies and proc.agency and kb.agency(proc.agency) is None:
            raise KnowledgeBaseError(file, entry, "agency", f"unknown agency id '{proc.agency}'")
        for linked in proc.linked:
            if kb.procedure(linked) is None:
                raise KnowledgeBaseError(file, entry, "linked", f"unknown procedure id '{linked}'")
        for name in proc.uncertain:
            if name not in proc_fields:
                raise KnowledgeBaseError(file, entry, "uncertain", f"no field '{name}'")


def _json_lines(file: Path) -> Iterator[list[tuple[int, bytes]]]:
    """(line number, line) of the non-blank lines of a JSON-lines file, CHUNK at a time."""
    chunk: list[tuple[int, bytes]] = []
    with file.open("rb") as fh:
        for number, line in enumerate(fh, 1):
            if line.strip():
                chunk.append((number, line))
            if len(chunk) == CHUNK:
                yield chunk
                chunk = []
    if chunk:
        yield chunk


def _decode_lines(file: Path, lines: list[tuple[int, bytes]]) -> list[Any]:
    """The records of some JSON lines, naming the first line that is not JSON."""
    entries = []
    for number, line in lines:
        try:
            entries.append(json.loads(line))
        except json.JSONDecodeError as exc:
            raise KnowledgeBaseError(file, f"line {number}", None, f"not JSON ({exc.msg})") from None
    return entries


def _procedure_chunks(file: Path) -> Iterator[tuple[int, list[Procedure], list[Any]]]:
    """(index of the first entry, procedures, their raw entries or ids) of a file, a chunk at a time.

    JSON lines are validated straight from the bytes (no intermediate Python objects: faster, less
    memory); a chunk that fails is read again entry by entry to name the bad one.
    """
    if file.suffix != ".jsonl":
        entries = _entries(file, read_data_file(file), "procedures")
        yield 0, _parse(file, entries, Procedure), entries
        return
    start = 0
    adapter = _list_adapter(Procedure)
    for lines in _json_lines(file):
        try:
            procedures = list(adapter.validate_json(b"[" + b",".join(line for _, line in lines) + b"]"))
            names: list[Any] = [{"id": proc.id} for proc in procedures]
        except ValidationError:
            names = _decode_lines(file, lines)
            procedures = _parse(file, names, Procedure, start)
        yield start, procedures, names
        start += len(lines)


class SharedValues:
    """Makes equal values of different records one object (imported records repeat legal bases, steps, fees).

    Only equal values are swapped, inside frozen records: texts, channel settings, and the set of
    explicitly given fields (pydantic copies that set before changing it; frozen records never do).
    Used a chunk at a time while loading, so the copies are freed before the next chunk is read;
    this saves about a third of the memory of the national records.
    """

    def __init__(self) -> None:
        self._texts: dict[str, str] = {}
        self._channels: dict[Channels, Channels] = {}
        self._packed: dict[PackedTexts, PackedTexts] = {}
        self._field_sets: dict[frozenset[str], set[str]] = {}

    def share(self, records: list[Any]) -> None:
        """Swap the values of these records for equal ones seen before."""
        texts = self._texts
        for record in records:
            values = record.__dict__
            for name, value in values.items():
                if isinstance(value, str):
                    values[name] = texts.setdefault(value, value)
                elif isinstance(value, list) and value and isinstance(value[0], str):
                    value[:] = [texts.setdefault(v, v) for v in value]
                elif isinstance(value, PackedTexts):
                    values[name] = self._packed.setdefault(value, value)
                elif isinstance(value, Channels):
                    values[name] = self._channels.setdefault(value, value)
            given = record.__pydantic_fields_set__
            object.__setattr__(record, "__pydantic_fields_set__", self._field_sets.setdefault(frozenset(given), given))


def procedure_files(path: Path) -> list[Path]:
    """Data files holding procedures in a knowledge-base directory, in a stable order."""
    folder = path / PROCEDURE_DIR
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.iterdir() if p.suffix in DATA_SUFFIXES and not p.name.startswith("."))


def load_knowledge_base(path: Path | str | None = None) -> KnowledgeBase:
    """Load and validate a knowledge-base directory (default: the shipped `knowledge/data/`)."""
    path = Path(path) if path is not None else DATA_DIR
    if not path.is_dir():
        raise KnowledgeBaseError(path, None, None, "not a knowledge-base directory")
    agencies: list[Agency] = []
    agency_origin: dict[str, Path] = {}
    for name in AGENCY_FILES:
        file = path / name
        if file.is_file():
            for agency in _parse(file, _entries(file, read_data_file(file), "agencies"), Agency):
                if agency.id in agency_origin:
                    raise KnowledgeBaseError(file, agency.id, "id", "duplicate agency id")
                agency_origin[agency.id] = file
                agencies.append(agency)
    procedures: list[Procedure] = []
    origin: dict[str, tuple[Path, str]] = {}
    shared = SharedValues()
    for file in procedure_files(path):
        for start, parsed, entries in _procedure_chunks(file):
            shared.share(parsed)
            for offset, proc in enumerate(parsed):
                entry = _entry_name(entries[offset], start + offset)
                if proc.id in origin:
                    first = origin[proc.id][0].name
                    raise KnowledgeBaseError(file, entry, "id", f"duplicate procedure id (also in {first})")
                origin[proc.id] = (file, entry)
                procedures.append(proc)
    if not procedures:
        raise KnowledgeBaseError(path, None, None, f"no procedures found under {PROCEDURE_DIR}/")
    kb = KnowledgeBase(agencies=agencies, procedures=procedures, path=path)
    _check_links(kb, origin)
    return kb


@lru_cache(maxsize=1)
def default_knowledge_base() -> KnowledgeBase:
    """The shipped knowledge base, loaded once."""
    return load_knowledge_base(None)
