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

    pub(crate) struct ReleaseGuard(AtomicBool);

    impl ReleaseGuard {
        pub(crate) const fn new() -> Self {
            ReleaseGuard(AtomicBool::new(false))
        }

        /// Runs `f` unless released. `f` must not run Python code.
        #[inline(always)]
        pub(crate) fn run<R>(&self, f: impl FnOnce() -> R) -> Option<R> {
            // Relaxed: the GIL orders this load after any release.
            if self.0.load(Ordering::Relaxed) {
                None
            } else {
                Some(f())
            }
        }

        /// Marks the memory released; true for the first caller only, which may then free it.
        pub(crate) fn release(&self) -> bool {
            !self.0.swap(true, Ordering::Relaxed)
        }

        pub(crate) fn is_released(&self) -> bool {
            self.0.load(Ordering::Relaxed)
        }
    }
}

#[cfg(Py_GIL_DISABLED)]
mod imp {
    use std::sync::atomic::{AtomicUsize, Ordering};

    const RELEASED: usize = 1 << (usize::BITS - 1);

    pub(crate) struct ReleaseGuard(AtomicUsize);

    impl ReleaseGuard {
        pub(crate) const fn new() -> Self {
            ReleaseGuard(AtomicUsize::new(0))
        }

        /// Runs `f` unless released; the memory stays valid until `f` returns. `f` must not
        /// run Python code.
        #[inline(always)]
        pub(crate) fn run<R>(&self, f: impl FnOnce() -> R) -> Option<R> {
            let state = self.0.fetch_add(1, Ordering::Acquire);
            let result = if state & RELEASED == 0 { Some(f()) } else { None };
            self.0.fetch_sub(1, Ordering::Release);
            result
        }

        /// Marks the memory released and waits until no operation uses it; true for the
        /// first caller only, which may then free it.
        pub(crate) fn release(&self) -> bool {
            if self.0.fetch_or(RELEASED, Ordering::AcqRel) & RELEASED != 0 {
                return false;
            }
            while self.0.load(Ordering::Acquire) != RELEASED {
                std::hint::spin_loop();
                std::thread::yield_now();
            }
            true
        }

        pub(crate) fn is_released(&self) -> bool {
            self.0.load(Ordering::Acquire) & RELEASED != 0
        }
    }
}

pub(crate) use imp::ReleaseGuard;
