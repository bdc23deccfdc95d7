"""Where the ontology, data, shapes and queries live, in a checkout and in an installed wheel.

A wheel ships them as package data under ``klynge/assets/``; an editable install or a checkout reads them
from the repository root. Everything else asks this module, so no other code guesses paths.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

ASSET_DIRS = ("ontology", "data", "shapes", "queries", "releases")


@cache
def asset_root() -> Path:
    """The folder that holds ``ontology/``, ``data/``, ``shapes/`` and ``queries/``."""
    packaged = Path(__file__).resolve().parent / "assets"
    if (packaged / "ontology").is_dir():
        return packaged
    checkout = Path(__file__).resolve().parents[2]
    if (checkout / "ontology").is_dir():
        return checkout
    raise FileNotFoundError(
        f"klynge cannot find its assets: neither {packaged} nor {checkout} holds an ontology/ folder. "
        "Reinstall the package (pip install klynge) or run from a checkout."
    )


def checkout_around(start: Path) -> Path | None:
    """The klynge repository ``start`` lies in (the nearest folder at or above it holding every asset folder),
    or None: what a command run in a clone should read, whichever checkout klynge was installed from."""
    for folder in (start.resolve(), *start.resolve().parents):
        if all((folder / name).is_dir() for name in ASSET_DIRS):
            return folder
    return None


def asset_dir(name: str, root: Path | None = None) -> Path:
    """One of the asset folders by name (``ontology``, ``data``, ``shapes``, ``queries``), of ``root`` (default:
    the installed package's)."""
    if name not in ASSET_DIRS:
        raise ValueError(f"unknown asset folder {name!r}; expected one of {', '.join(ASSET_DIRS)}")
    return (asset_root() if root is None else root) / name


def asset_files(name: str, pattern: str = "*.ttl", root: Path | None = None) -> list[Path]:
    """The files of an asset folder, sorted so every run reads them in the same order."""
    return sorted(asset_dir(name, root).glob(pattern))
