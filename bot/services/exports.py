"""What the officers' work gives back, as files: `python -m bot export-reviewed` and
`python -m bot export-identifiers`.

- **Reviewed examples** → ``knowledge/reviewed/<label>.yaml``: the texts officers labelled
  (redacted when they were stored, linked to nobody), in the format the knowledge loader reads
  (`bot.knowledge.loader.write_reviewed`), so they can be committed to the repository and every
  deployment's classifier starts with them. The database is the source: the files are rewritten
  from it (a label an officer changed moves to its new file).
- **Confirmed identifiers** → CSV (kind, value, reporters, first_seen, last_seen, status): the
  numbers, cards, accounts and sites an officer confirmed as a fraudster's, with the crowd's count,
  for a mobile operator (who must suspend a reported number) or the Anti-fraud Centre (who blocks
  payees). Times in Kazakhstan's time, ISO 8601 with the offset, so a spreadsheet and a script
  both read them.
"""

from __future__ import annotations

import csv
import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from bot.i18n import KZ_TIME
from bot.knowledge import KnowledgeBase
from bot.knowledge.loader import write_reviewed
from bot.storage.database import Database
from bot.storage.reports import ExportRow, ReportsRepo
from bot.storage.reviews import ReviewsRepo

CSV_COLUMNS = ("kind", "value", "reporters", "first_seen", "last_seen", "status")


@dataclass(frozen=True)
class ReviewedExport:
    examples: int  # labelled texts in the database
    files: list[Path]  # the files written, one per label


async def export_reviewed(db: Database, knowledge: KnowledgeBase, folder: Path) -> ReviewedExport:
    """Writes every reviewed example of the database into ``folder``, one file per label. With
    none in the database nothing is written: an empty (or another deployment's) database must not
    wipe the examples already committed there. Raises `KnowledgeError` for a label the knowledge
    base no longer has (a scheme renamed), before anything is written."""
    examples = await ReviewsRepo(db).reviewed_examples()
    if not examples:
        return ReviewedExport(0, [])
    files = write_reviewed(folder, [(e.label, e.text, e.language) for e in examples], knowledge)
    return ReviewedExport(len(examples), files)


def day_start(day: dt.date) -> float:
    """Unix time of the day's first second in Kazakhstan."""
    return dt.datetime.combine(day, dt.time(), KZ_TIME).timestamp()


def _when(unix: float) -> str:
    return dt.datetime.fromtimestamp(unix, KZ_TIME).isoformat(timespec="seconds")


async def confirmed_identifiers(db: Database, since: dt.date) -> list[ExportRow]:
    """The identifiers officers confirmed and that were seen (reported or confirmed) on or after ``since``."""
    return await ReportsRepo(db).export(day_start(since))


def write_identifiers_csv(rows: list[ExportRow], out: TextIO) -> None:
    """The CSV, header first; ``out`` opened with ``newline=""`` (the csv module's line ends)."""
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    for row in rows:
        writer.writerow((row.kind, row.value, row.reporters, _when(row.first_seen), _when(row.last_seen), row.status))
