"""Staff alerts: the deadline-warning ladder, the morning digest and the Slack messages staff see, built as plain
data. No I/O and no SDK here: ``handlers/slack*.py`` sends and receives, ``storage/alerts.py`` remembers."""
