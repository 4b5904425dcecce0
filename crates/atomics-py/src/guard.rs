//! Keeps memory alive while an operation uses it, so that releasing a view never frees memory
//! under another thread's operation.
//!
//! The one place that differs between CPython builds:
//! - With the GIL, an operation holds the GIL from its check to its atomic instruction and
//!   runs no Python code in between, so a plain flag is enough: a release cannot interleave.
//! - Free-threaded, operations and releases run in parallel. Operations in flight are counted
//!   on per-thread-ish shards (cache-line padded, so that threads do not share a written line)
//!   and a `RELEASED` flag is read from a line only a release writes; a release sets the flag,
//!   then waits for every shard to drain before the memory may be freed. Operations are a
//!   handful of instructions and never block, so the wait is short. Private memory, which is
//!   never released, is not counted at all.
//!
//! After `fork`, the child has only the thread that forked. No operation is counted then:
//! CPython stops every other thread at a safe point before it forks, and an operation never
//! holds its count across one (no Python code, no detaching). A release in progress in
//! another thread is, and the child finishes it itself rather than wait for a thread that
//! did not come along.

#[cfg(not(Py_GIL_DISABLED))]
mod imp {
    use std::sync::atomic::{AtomicBool, Ordering};

    use pyo3::Python;

    pub(crate) struct ReleaseGuard(AtomicBool);

    /// An admitted operation (nothing to undo with the GIL).
    pub(crate) struct Entered<'a>(std::marker::PhantomData<&'a ReleaseGuard>);

    impl ReleaseGuard {
        pub(crate) const fn new() -> Self {
            ReleaseGuard(AtomicBool::new(false))
        }

        /// A guard for memory that is never released (the same flag, never set).
        pub(crate) const fn never_released() -> Self {
            ReleaseGuard::new()
        }

        /// Admits one operation unless released; the memory stays valid while the returned
        /// token lives, which must not be across Python code.
        #[inline(always)]
        pub(crate) fn enter(&self) -> Option<Entered<'_>> {
            // Relaxed: the GIL orders this load after any release.
            if self.0.load(Ordering::Relaxed) {
                None
            } else {
                Some(Entered(std::marker::PhantomData))
            }
        }

        /// Marks the memory released; the first caller runs `free` (attached). With the GIL
        /// no operation can be in flight, so there is nothing to wait for.
        pub(crate) fn release(&self, _py: Python<'_>, free: impl FnOnce()) {
            if !self.0.swap(true, Ordering::Relaxed) {
                free();
            }
        }

        pub(crate) fn is_released(&self) -> bool {
            self.0.load(Ordering::Relaxed)
        }
    }
}

#[cfg(Py_GIL_DISABLED)]
mod imp {
    use std::sync::atomic::{AtomicU32, AtomicUsize, Ordering};

    use pyo3::Python;

    const RELEASED: usize = 1;
    const FREED: usize = 2;
    /// Counters of operations in flight, each on its own cache line, so that threads working
    /// on the same memory through different objects do not all write one line.
    const SHARDS: usize = 16;

    #[repr(align(64))]
    struct Shard(AtomicUsize);

    pub(crate) struct ReleaseGuard {
        /// RELEASED and FREED; written only by a release, so every operation reads it from a
        /// cache line that stays shared.
        flags: AtomicUsize,
        /// The process whose thread frees the memory (set before RELEASED).
        releaser: AtomicU32,
        /// None for memory that can never be released (private memory): nothing to count.
        shards: Option<Box<[Shard; SHARDS]>>,
    }

    /// An admitted operation: counted on a shard until dropped.
    pub(crate) struct Entered<'a>(Option<&'a AtomicUsize>);

    impl Drop for Entered<'_> {
        #[inline(always)]
        fn drop(&mut self) {
            if let Some(count) = self.0 {
                count.fetch_sub(1, Ordering::Release);
            }
        }
    }

    /// A shard for the calling thread: threads' stacks lie megabytes apart, so the stack
    /// address above 2 MiB spreads threads over the shards without thread-local storage.
    #[inline(always)]
    fn shard_index() -> usize {
        let marker = 0u8;
        let page = std::ptr::addr_of!(marker) as usize >> 21;
        (page ^ (page >> 4) ^ (page >> 8)) % SHARDS
    }

    impl ReleaseGuard {
        /// A guard for memory that can be released (buffer exports, segments).
        pub(crate) fn new() -> Self {
            let shards = Box::new(std::array::from_fn(|_| Shard(AtomicUsize::new(0))));
            ReleaseGuard { flags: AtomicUsize::new(0), releaser: AtomicU32::new(0), shards: Some(shards) }
        }

        /// A guard for memory that is never released: operations cost nothing extra.
        pub(crate) fn never_released() -> Self {
            ReleaseGuard { flags: AtomicUsize::new(0), releaser: AtomicU32::new(0), shards: None }
        }

        /// Admits one operation unless released; the memory stays valid while the returned
        /// token lives, which must not be across Python code.
        #[inline(always)]
        pub(crate) fn enter(&self) -> Option<Entered<'_>> {
            let Some(shards) = &self.shards else { return Some(Entered(None)) };
            // Refused operations do not touch a count, so callers retrying on released
            // memory cannot hold a release up.
            if self.flags.load(Ordering::Relaxed) & RELEASED != 0 {
                return None;
            }
            let count = &shards[shard_index()].0;
            count.fetch_add(1, Ordering::SeqCst);
            let entered = Entered(Some(count));
            // SeqCst on both sides (here: count then flag; in `release`: flag then counts):
            // either this operation sees the flag, or the release sees this count.
            if self.flags.load(Ordering::SeqCst) & RELEASED == 0 {
                Some(entered)
            } else {
                None // dropping `entered` undoes the count
            }
        }

        /// Marks the memory released. The first caller waits (detached, so that it never
        /// holds up a stop-the-world pause) until no operation uses the memory, then runs
        /// `free` attached; any other caller waits until `free` has run, so that every
        /// `release()` returns with the memory freed. In a child forked while another thread
        /// was releasing, the caller takes that release over (`free` must allow being run
        /// again after an interrupted run).
        pub(crate) fn release(&self, py: Python<'_>, free: impl FnOnce()) {
            let pid = std::process::id();
            if self.flags.load(Ordering::SeqCst) & RELEASED == 0 {
                self.releaser.store(pid, Ordering::SeqCst);
                if self.flags.fetch_or(RELEASED, Ordering::SeqCst) & RELEASED == 0 {
                    return self.free(py, free);
                }
            }
            // Another thread releases: wait for it, unless it is in the process this one was
            // forked from (a release started here records this process first).
            let taken_over = py.detach(|| loop {
                if self.flags.load(Ordering::Acquire) & FREED != 0 {
                    return false;
                }
                let releaser = self.releaser.load(Ordering::SeqCst);
                if releaser != pid
                    && self.releaser.compare_exchange(releaser, pid, Ordering::SeqCst, Ordering::SeqCst).is_ok()
                {
                    return true;
                }
                std::hint::spin_loop();
                std::thread::yield_now();
            });
            if taken_over {
                self.free(py, free);
            }
        }

        /// Waits (detached) until no operation uses the memory, runs `free` and marks it freed.
        fn free(&self, py: Python<'_>, free: impl FnOnce()) {
            if let Some(shards) = &self.shards {
                py.detach(|| {
                    for shard in shards.iter() {
                        wait_until(|| shard.0.load(Ordering::SeqCst) == 0);
                    }
                });
            }
            free();
            self.flags.fetch_or(FREED, Ordering::Release);
        }

        pub(crate) fn is_released(&self) -> bool {
            self.flags.load(Ordering::Acquire) & RELEASED != 0
        }
    }

    fn wait_until(done: impl Fn() -> bool) {
        while !done() {
            std::hint::spin_loop();
            std::thread::yield_now();
        }
    }
}

pub(crate) use imp::{Entered, ReleaseGuard};
