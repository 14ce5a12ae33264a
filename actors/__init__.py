"""The domain: people, roles, subnets, memberships, posts, moderation and the policy over them.

Knows nothing of HTTP, HTML or ActivityStreams; records what happened as events (an outbox).
"""
