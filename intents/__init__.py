"""Intent files (Rasa NLU YAML) and the classifier trained from them."""

from intents.loader import load_classifier, load_rule_classifier

__all__ = ["load_classifier", "load_rule_classifier"]
