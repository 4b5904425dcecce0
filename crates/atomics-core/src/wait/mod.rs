//! Blocking until an atomic changes, across threads and processes: C++20's
//! `atomic::wait` / `notify_one` / `notify_all` on shared memory.
//!
//! The waiter sleeps in the kernel on the 4-byte word(s) holding the value, with the
//! address-keyed (shared, not private) futex, so a notify from another process that maps the
//! same memory wakes it. Widths:
//!
//! - 4: the value's own word.
//! - 1 and 2: the aligned 4-byte word containing the value (always in the same page, so
//!   mapped); neighbouring bytes that change only cause a spurious wake, which is absorbed.
//! - 8: both halves at once (`futex_waitv`, Linux 5.16+), so a change of either half wakes;
//!   older kernels wait on the low half in slices of 1 ms.
//! - 16: not supported.
//!
//! No lost wake-up: the waiter reads the word(s), compares with `old`, and asks the kernel to
//! sleep only while the word(s) still hold what it read; a store followed by a notify after
//! that read either changes the word (the kernel refuses to sleep) or finds the waiter queued.
//!
//! `os` is the one place that picks the platform: Linux futexes, or elsewhere a polling
//! fallback (correct across processes, with up to 1 ms of latency).

use std::time::{Duration, Instant};

#[cfg_attr(target_os = "linux", path = "linux.rs")]
#[cfg_attr(not(target_os = "linux"), path = "polling.rs")]
mod os;

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

/// The 4-byte words a wait sleeps on: (address, value read), one or two of them.
pub(crate) struct Words {
    pub(crate) words: [(*const u32, u32); 2],
    pub(crate) len: usize,
}

/// Sleeps until the `words` differ from the values read, a wake-up, a signal or `deadline`.
/// Returns false on a signal.
///
/// # Safety
/// Every address is 4-byte aligned and mapped for the duration of the call.
pub(crate) unsafe fn sleep(words: &Words, deadline: Option<Instant>) -> bool {
    // SAFETY: forwarded from the caller.
    unsafe { os::sleep(words, deadline) }
}

/// Wakes one or all sleepers on the word at `word`.
///
/// # Safety
/// `word` is 4-byte aligned (it is only used as a key; the memory is not accessed).
pub(crate) unsafe fn wake(word: *const u32, all: bool) {
    // SAFETY: forwarded from the caller.
    unsafe { os::wake(word, all) }
}

/// The deadline `timeout` from now (None: forever; too far: forever).
pub(crate) fn deadline(timeout: Option<Duration>) -> Option<Instant> {
    timeout.and_then(|t| Instant::now().checked_add(t))
}
