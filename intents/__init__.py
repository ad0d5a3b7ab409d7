"""Intent files (Rasa NLU YAML) and the classifier trained from them.

The loader (NumPy, PyYAML, the model) is imported when one of its functions is first asked for, so that
importing a light module of this package, such as ``intents.cli`` for the command list, stays cheap.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from intents.loader import load_classifier, load_rule_classifier

__all__ = ["load_classifier", "load_rule_classifier"]


def __getattr__(name: str) -> Any:
    if name in __all__:
        from intents import loader

        return getattr(loader, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
