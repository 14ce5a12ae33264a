"""What activities mean, one module per family of them (posts, threads, membership, sharing,
actors), each holding both directions: the planner that turns an `actors` event into
activities and the handler that turns a verified inbound activity into an `actors` call.
Transport (queues, signing, sending) lives in federation/delivery.py and processing.py.
"""
