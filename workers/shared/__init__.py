"""The contract the receiver (``bot/``) and the workers share, and nothing else.

Settings, logging, the requests a delivery becomes (``work``), the check names,
the ``/prgate`` command grammar and the inbox: its Redis key layout and the
admission script both sides rely on. It imports neither side: ``bot/`` and
every package under ``workers/`` may import it, it imports none of them.
"""
