"""ActivityPub for SHaRON: signatures, JSON-LD, documents, inbox, delivery and fetches.

The only package that knows AS2 JSON, JSON-LD or HTTP signatures.
"""
