"""The trained model on disk, keyed by a hash of the intent files, the code and library versions.

A missing, stale or unreadable cache file only means training again; it is never an error.
Files are written to a temporary name and renamed, so a crash never leaves half a model behind.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import pickle
import tempfile
from collections.abc import Mapping
from importlib import metadata
from pathlib import Path

from intents import cues, features, form, model, scorer
from intents.model import LinearModel

_CODE = (features, cues, form, model, scorer)  # what a trained model depends on: any change retrains

_PREFIX, _SUFFIX = "classifier-", ".pickle"
_LIBRARIES = ("scikit-learn", "numpy", "kiwipiepy", "kiwipiepy_model")
log = logging.getLogger(__name__)


def cache_key(digest: str, groups: Mapping[str, str]) -> str:
    """The key of a model trained on intent files hashed to ``digest``, intents grouped by ``groups``."""
    grouping = ",".join(f"{k}={v}" for k, v in sorted(groups.items()))
    parts = [code_version(), digest, grouping, *(f"{lib}={_version(lib)}" for lib in _LIBRARIES)]
    return hashlib.sha256("|".join(parts).encode()).hexdigest()


def cache_path(cache_dir: Path, key: str) -> Path:
    return cache_dir / f"{_PREFIX}{key[:24]}{_SUFFIX}"


def load(cache_dir: Path, key: str) -> LinearModel | None:
    path = cache_path(cache_dir, key)
    try:
        with path.open("rb") as f:
            stored = pickle.load(f)
    except FileNotFoundError:
        return None
    except Exception as exc:  # any damage to the file (truncated, garbage, old classes) means retrain
        log.warning("model cache %s is unreadable (%s); training again", path, type(exc).__name__)
        return None
    if not (isinstance(stored, dict) and stored.get("key") == key and isinstance(stored.get("model"), LinearModel)):
        log.warning("model cache %s does not match the intent files; training again", path)
        return None
    found: LinearModel = stored["model"]
    return found


def save(cache_dir: Path, key: str, model: LinearModel) -> Path | None:
    """Write atomically and remove older models; a read-only cache folder only costs a warning."""
    path = cache_path(cache_dir, key)
    try:
        cache_dir.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".tmp-", suffix=_SUFFIX, dir=cache_dir)
        try:
            with os.fdopen(fd, "wb") as f:
                pickle.dump({"key": key, "model": model}, f, protocol=pickle.HIGHEST_PROTOCOL)
            os.replace(tmp, path)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            raise
    except OSError as exc:
        log.warning("cannot write the model cache in %s (%s); the model stays in memory", cache_dir, exc)
        return None
    for old in cache_dir.glob(f"{_PREFIX}*{_SUFFIX}"):
        if old != path:
            with contextlib.suppress(OSError):
                old.unlink()
    return path


def code_version() -> str:
    """A hash of the modules that define the features and the model."""
    digest = hashlib.sha256()
    for module in _CODE:
        digest.update(Path(str(module.__file__)).read_bytes())
    return digest.hexdigest()


def _version(distribution: str) -> str:
    try:
        return metadata.version(distribution)
    except metadata.PackageNotFoundError:
        return "?"
