//! Keeps memory alive while an operation uses it, so that releasing a view never frees memory
//! under another thread's operation.
//!
//! The one place that differs between CPython builds:
//! - With the GIL, an operation holds the GIL from its check to its atomic instruction and
//!   runs no Python code in between, so a plain flag is enough: a release cannot interleave.
//! - Free-threaded, operations and releases run in parallel. The state word counts the
//!   operations in flight and carries a `RELEASED` bit; a release sets the bit, then waits for
//!   the count to drain before the memory may be freed. Operations are a handful of
//!   instructions and never block, so the wait is short.

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
    use std::sync::atomic::{AtomicUsize, Ordering};

    use pyo3::Python;

    const RELEASED: usize = 1 << (usize::BITS - 1);
    const FREED: usize = 1 << (usize::BITS - 2);
    const COUNT: usize = FREED - 1;

    pub(crate) struct ReleaseGuard(AtomicUsize);

    /// An admitted operation: counted until dropped.
    pub(crate) struct Entered<'a>(&'a ReleaseGuard);

    impl Drop for Entered<'_> {
        #[inline(always)]
        fn drop(&mut self) {
            self.0 .0.fetch_sub(1, Ordering::Release);
        }
    }

    impl ReleaseGuard {
        pub(crate) const fn new() -> Self {
            ReleaseGuard(AtomicUsize::new(0))
        }

        /// Admits one operation unless released; the memory stays valid while the returned
        /// token lives, which must not be across Python code.
        #[inline(always)]
        pub(crate) fn enter(&self) -> Option<Entered<'_>> {
            // Refused operations do not touch the count, so callers retrying on released
            // memory cannot hold a release up.
            if self.0.load(Ordering::Relaxed) & RELEASED != 0 {
                return None;
            }
            let entered = Entered(self);
            if self.0.fetch_add(1, Ordering::Acquire) & RELEASED == 0 {
                Some(entered)
            } else {
                None // dropping `entered` undoes the count
            }
        }

        /// Marks the memory released. The first caller waits (detached, so that it never
        /// holds up a stop-the-world pause) until no operation uses the memory, then runs
        /// `free` attached; any other caller waits until `free` has run, so that every
        /// `release()` returns with the memory freed.
        pub(crate) fn release(&self, py: Python<'_>, free: impl FnOnce()) {
            let first = self.0.fetch_or(RELEASED, Ordering::AcqRel) & RELEASED == 0;
            if first {
                py.detach(|| self.wait_until(|state| state & COUNT == 0));
                free();
                self.0.fetch_or(FREED, Ordering::Release);
            } else {
                py.detach(|| self.wait_until(|state| state & FREED != 0));
            }
        }

        fn wait_until(&self, done: impl Fn(usize) -> bool) {
            while !done(self.0.load(Ordering::Acquire)) {
                std::hint::spin_loop();
                std::thread::yield_now();
            }
        }

        pub(crate) fn is_released(&self) -> bool {
            self.0.load(Ordering::Acquire) & RELEASED != 0
        }
    }
}

pub(crate) use imp::{Entered, ReleaseGuard};
