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
            let entered = Entered(self);
            if self.0.fetch_add(1, Ordering::Acquire) & RELEASED == 0 {
                Some(entered)
            } else {
                None // dropping `entered` undoes the count
            }
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

pub(crate) use imp::{Entered, ReleaseGuard};
