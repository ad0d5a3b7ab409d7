from __future__ import annotations

from storage.migrate import head
from storage.revision import newest_script


def test_the_cheap_head_is_alembics_head() -> None:
    """Commands check the schema by the scripts' file names without loading Alembic; they must agree."""
    assert newest_script() == head()
