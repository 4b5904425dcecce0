//! Platforms without a futex known to this crate: the waiter re-reads the words with a
//! backoff of at most 1 ms, which is correct across processes (no wake-up is needed) at the
//! cost of latency. `wake` has nothing to do.

use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

use super::Words;

/// # Safety
/// As for `super::sleep`.
pub(super) unsafe fn sleep(words: &Words, deadline: Option<Instant>) -> bool {
    let mut pause = Duration::from_micros(1);
    loop {
        for &(addr, value) in &words.words[..words.len] {
            // SAFETY: aligned and mapped (caller).
            if unsafe { AtomicU32::from_ptr(addr.cast_mut()) }.load(Ordering::SeqCst) != value {
                return true;
            }
        }
        if deadline.is_some_and(|d| Instant::now() >= d) {
            return true;
        }
        std::thread::sleep(pause);
        pause = (pause * 2).min(Duration::from_millis(1));
    }
}

/// # Safety
/// As for `super::wake`.
pub(super) unsafe fn wake(_word: *const u32, _all: bool) {}
