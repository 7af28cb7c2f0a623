"""`make model`: fetch the sentence-transformers model into models/, where the bot looks first."""

from __future__ import annotations

from pathlib import Path


def download_model(name: str, models_dir: Path) -> Path:
    """Download ``name`` from the Hugging Face hub into ``models_dir``; RuntimeError says why not."""
    target = models_dir / name.replace("/", "__")
    if (target / "modules.json").is_file():
        return target
    try:
        from sentence_transformers import SentenceTransformer

        model = SentenceTransformer(name, device="cpu")
    except Exception as exc:  # no network, unknown name, hub error: all end the same way
        raise RuntimeError(
            f"could not download '{name}' ({type(exc).__name__}: {str(exc).splitlines()[0][:200]}).\n"
            "The Hugging Face hub is probably not reachable from this machine. Either run `make model` "
            f"where it is and copy {target} here, or set MODEL to a local sentence-transformers folder. "
            "Without a model the bot uses its lexical backend."
        ) from exc
    target.parent.mkdir(parents=True, exist_ok=True)
    model.save(str(target))
    return target
