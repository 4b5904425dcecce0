"""Compatibility layers: the APIs of other atomics libraries, built on this package's atomics.

- ``atomics.compat.pytomic``: pytomic 0.2.3 (``multithreading``, ``multiprocessing`` and
  ``cpp_limits``); see ``docs/migrating-from-pytomic.md``.
"""
