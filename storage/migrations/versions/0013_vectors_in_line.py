"""PostgreSQL: search vectors kept in their article_search rows, no longer out of line.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-07

Revision 0009 stored a vector out of line (TOAST) once its row was long enough to be toasted
at all. A phrase ("belt road", "南南合作") is matched by the GIN index on its words, and each
article holding them all is then checked for the words' positions: out of line, every check
looked the vector up in the TOAST index and read it chunk by chunk. At 100k articles, where
8,784 articles hold both "belt" and "road", that fetch was most of the query.

Now the vector stays in the row (STORAGE MAIN: compressed in place when the row is long, out
of line only if it would not fit in a page), compressed with lz4 where the server has it
(PostgreSQL 14 and later, built with lz4; pglz elsewhere). The table is about as large as before
(224 against 253 MB at 100k articles), the heap larger and the TOAST table empty.
search_bench.py on two copies of one 100k archive, old and new alternated, two rounds each:
phrase 43.2 / 36.5 -> 28.6 / 27.7 ms, Chinese phrase 34.0 / 30.2 -> 35.6 / 27.2 ms, common word
+ tag 24.8 / 23.5 -> 25.3 / 20.9 ms; no shape slower beyond the noise between rounds. With
pglz the Chinese phrase was slower (38-40 ms): its longer vectors were compressed, and pglz
decompresses them more slowly than lz4.

This revision rewrites the vectors already archived, so that they move into their rows, and
the index with them: on the search bench's 100k articles, the rewrite with a VACUUM FULL and
ANALYZE after it took 17 s here.
"""

from __future__ import annotations

from alembic import op
from sqlalchemy import text

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

# The concatenation makes a new value, which the toaster then stores by the column's new rules;
# assigning the column to itself would keep the old out-of-line pointer.
REWRITE = "UPDATE article_search SET search_vector = search_vector || ''::tsvector"


def _has_lz4() -> bool:
    """Whether the server can compress with lz4 (PostgreSQL 14 and later, built with it)."""
    query = text("SELECT enumvals FROM pg_settings WHERE name = 'default_toast_compression'")
    offered: list[str] | None = op.get_bind().execute(query).scalar()
    return "lz4" in (offered or [])


def _store_vectors(storage: str, compression: str, table_option: str) -> None:
    """Store the vectors by these rules, the archived ones included (PostgreSQL)."""
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(f"ALTER TABLE article_search ALTER COLUMN search_vector SET STORAGE {storage}")
    if _has_lz4():
        op.execute(f"ALTER TABLE article_search ALTER COLUMN search_vector SET COMPRESSION {compression}")
    op.execute(f"ALTER TABLE article_search {table_option}")
    op.execute(REWRITE)
    op.execute("ANALYZE article_search")


def upgrade() -> None:
    _store_vectors("MAIN", "lz4", "RESET (toast_tuple_target)")


def downgrade() -> None:
    _store_vectors("EXTERNAL", "DEFAULT", "SET (toast_tuple_target = 128)")  # as revision 0009 left them
