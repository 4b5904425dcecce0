# atomics.compat has no names of its own: see atomics.compat.pytomic.
