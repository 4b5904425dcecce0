//! The threads of this process asleep in `wait` on some memory, counted so that releasing the
//! memory waits for them to leave before it is freed (a sleeper re-reads the value when it
//! wakes).
//!
//! The count belongs to the process whose threads it counts. A child made by `fork` has only
//! the thread that forked: it must not wait for the parent's sleepers, which did not come
//! along, so the count records its process and reads as zero anywhere else.

use std::sync::atomic::{AtomicU64, Ordering};

/// Sleepers on one memory: the process they belong to (high 32 bits) and their number.
pub(crate) struct Sleepers(AtomicU64);

/// One thread counted as asleep, until dropped.
pub(crate) struct Asleep<'a>(&'a Sleepers);

impl Drop for Asleep<'_> {
    fn drop(&mut self) {
        // The process part stays: the thread that entered is in this process.
        self.0 .0.fetch_sub(1, Ordering::SeqCst);
    }
}

fn this_process() -> u64 {
    u64::from(std::process::id())
}

impl Sleepers {
    pub(crate) const fn new() -> Self {
        Sleepers(AtomicU64::new(0))
    }

    /// Counts the calling thread as asleep until the result is dropped. Sequentially
    /// consistent, so that a release that sets its flag and then reads the count, and a
    /// sleeper that counts itself and then reads the flag, see each other.
    pub(crate) fn enter(&self) -> Asleep<'_> {
        let pid = this_process();
        let mut current = self.0.load(Ordering::SeqCst);
        loop {
            // Another process's count (inherited through fork) is replaced, not added to.
            let next = if current >> 32 == pid { current + 1 } else { pid << 32 | 1 };
            match self.0.compare_exchange_weak(current, next, Ordering::SeqCst, Ordering::SeqCst) {
                Ok(_) => return Asleep(self),
                Err(found) => current = found,
            }
        }
    }

    /// Whether a thread of this process is counted.
    pub(crate) fn any(&self) -> bool {
        let value = self.0.load(Ordering::SeqCst);
        value >> 32 == this_process() && value & u64::from(u32::MAX) != 0
    }
}
