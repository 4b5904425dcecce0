//! Blocking until an atomic changes, across threads and processes: C++20's
//! `atomic::wait` / `notify_one` / `notify_all` on shared memory.
//!
//! A waiter sleeps in the kernel, keyed by the memory rather than by the process, so that a
//! notify from any process mapping the same memory wakes it. How, per operating system (the
//! `os` module picks; `docs/wait-notify.md` has the details and figures):
//!
//! - Linux: shared futexes on the aligned 4-byte word(s) holding the value (8 bytes: both
//!   halves with `futex_waitv`, Linux 5.16+).
//! - macOS: `os_sync_wait_on_address` with its shared flag (macOS 14.4+), otherwise
//!   `__ulock_wait2` / `__ulock_wait` with the shared compare-and-wait, chosen at run time.
//! - Windows: in a [`Segment`](crate::shm::Segment), a wait table in the segment and one
//!   named event per sleeping thread, so that other processes wake it; elsewhere
//!   `WaitOnAddress`.
//! - Other Unix systems: polling with a backoff of at most 1 ms.
//!
//! Widths 1, 2, 4 and 8 (16: not supported). No lost wake-up: the waiter reads the value,
//! compares it with `old`, and sleeps only while the memory still holds what it read; a
//! store followed by a notify after that read either changes the memory first (the system
//! refuses to sleep) or finds the waiter asleep. Spurious wake-ups (a notify without a
//! change, or for widths 1 and 2 the change of a neighbouring byte) are absorbed.

use std::time::{Duration, Instant};

/// How a wait ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WaitOutcome {
    /// The value differs from `old`.
    Changed,
    /// The timeout passed with the value still equal to `old`.
    TimedOut,
    /// A signal interrupted the sleep (the value may still equal `old`); the caller handles
    /// the signal and waits again if it wants to.
    Interrupted,
}

/// The deadline `timeout` from now (None: forever; too far: forever).
pub(crate) fn deadline(timeout: Option<Duration>) -> Option<Instant> {
    timeout.and_then(|t| Instant::now().checked_add(t))
}
