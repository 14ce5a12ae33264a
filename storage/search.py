"""Full-text search over the posts written here, and where other subnets' posts live.

The words are matched by the index the `search_0005` migration made: FTS5 on SQLite; on
PostgreSQL, the stored `post.words` column (`to_tsvector('simple', content)`) and its GIN
index, from the `post_indexes_0015` migration. Both match each word as a prefix of a word in
the post ("anx" finds "anxious"), without stemming, so both databases find the same posts.
`terms` must already be plain words (letters and digits only, see `actors.search.terms_of`):
they are written into the match expression, which has its own little query language.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

from sqlalchemy import String, exists, literal, select, text, union_all
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Peer, Person, Post, PostRef


def _match(s: AsyncSession, terms: Sequence[str]) -> tuple[str, str]:
    """The SQL condition on `post` and its bound query string for this database."""
    if s.get_bind().dialect.name == "postgresql":
        query = " & ".join(f"'{term}':*" for term in terms)
        return "post.words @@ to_tsquery('simple', :words)", query
    query = " ".join(f'"{term}"*' for term in terms)
    return "post.rowid IN (SELECT rowid FROM post_fts WHERE post_fts MATCH :words)", query


async def matching_posts(
    s: AsyncSession, subnet_uris: Sequence[str], terms: Sequence[str], limit: int
) -> list[tuple[Post, Person]]:
    """Visible, undeleted posts written here in `subnet_uris` that contain every term, newest
    first."""
    if not subnet_uris or not terms:
        return []
    condition, words = _match(s, terms)
    rows = await s.execute(
        select(Post, Person)
        .join(Person, Person.id == Post.author_id)
        .where(
            Post.subnet_uri.in_(subnet_uris),
            Post.deleted_at.is_(None),
            Post.moderation_state == "visible",
            text(condition).bindparams(words=words),
        )
        .order_by(Post.published.desc())
        .limit(limit)
    )
    return [(post, person) for post, person in rows.all()]


async def homes_of_refs(s: AsyncSession, subnet_uris: Sequence[str]) -> dict[str, set[str]]:
    """For each peer id, the subnets among `subnet_uris` holding visible references to posts
    that live on that peer: one probe of `ix_post_ref_subnet_peer` per peer and subnet, so the
    cost does not grow with the number of references."""
    if not subnet_uris:
        return {}
    probes = [
        select(Peer.id, literal(uri, String(255)).label("subnet_uri")).where(
            exists().where(
                PostRef.subnet_uri == uri,
                PostRef.peer_id == Peer.id,
                PostRef.moderation_state == "visible",
            )
        )
        for uri in subnet_uris
    ]
    rows = await s.execute(union_all(*probes))
    homes: dict[str, set[str]] = defaultdict(set)
    for peer_id, subnet_uri in rows.all():
        homes[peer_id].add(subnet_uri)
    return dict(homes)
