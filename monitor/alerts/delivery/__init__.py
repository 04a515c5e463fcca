"""Delivery: the outbox's messages sent through the notifiers, with retries, and kept alive.

Owns the dispatcher (claim due outbox rows, hand them to their notifiers,
settle them with backoff or as dead) and the Alertmanager re-sender (re-post
alerts still firing, from the stored alert states). It reads and writes the
store and calls the notifiers; it must not import the analysis, the sources or
the daemon, which call it.
"""
