"""The conversation with a customer, the same on every channel: messages in and replies out, the dialogue
and its readings of what was typed, the classifier port, and every customer-facing sentence (``locales/``)."""
