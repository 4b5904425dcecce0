//! Linux: shared futexes through rustix (`FUTEX_WAIT`/`FUTEX_WAKE` without
//! `FUTEX_PRIVATE_FLAG`, and `futex_waitv` for two words).

use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::time::{Duration, Instant};

use rustix::io::Errno;
use rustix::thread::futex;

use super::Words;

/// Whether `futex_waitv` exists (Linux 5.16+); learnt on first use.
static NO_WAITV: AtomicBool = AtomicBool::new(false);

fn timespec(d: Duration) -> futex::Timespec {
    futex::Timespec { tv_sec: d.as_secs() as _, tv_nsec: d.subsec_nanos() as _ }
}

/// # Safety
/// As for `super::sleep`.
pub(super) unsafe fn sleep(words: &Words, deadline: Option<Instant>) -> bool {
    let remaining = match deadline {
        Some(d) => match d.checked_duration_since(Instant::now()) {
            Some(r) if !r.is_zero() => Some(r),
            _ => return true,
        },
        None => None,
    };
    let result = if words.len == 1 || NO_WAITV.load(Ordering::Relaxed) {
        let (addr, value) = words.words[0];
        // Without futex_waitv, the low half is watched in 1 ms slices.
        let slice = if words.len == 1 {
            remaining
        } else {
            Some(remaining.map_or(Duration::from_millis(1), |r| r.min(Duration::from_millis(1))))
        };
        // SAFETY: `addr` is aligned and mapped (caller); the kernel only reads it.
        let word = unsafe { AtomicU32::from_ptr(addr.cast_mut()) };
        futex::wait(word, futex::Flags::empty(), value, slice.map(timespec).as_ref())
    } else {
        let mut waiters = [futex::Wait::new(), futex::Wait::new()];
        for (waiter, &(addr, value)) in waiters.iter_mut().zip(&words.words) {
            waiter.uaddr = futex::WaitPtr::new(addr.cast_mut().cast());
            waiter.val = u64::from(value);
            waiter.flags = futex::WaitFlags::SIZE_U32;
        }
        // futex_waitv takes an absolute CLOCK_MONOTONIC deadline.
        let absolute = remaining.map(|r| {
            let now = rustix::time::clock_gettime(rustix::time::ClockId::Monotonic);
            let now = Duration::new(now.tv_sec as u64, now.tv_nsec as u32);
            timespec(now + r)
        });
        match futex::waitv(&waiters, futex::WaitvFlags::empty(), absolute.as_ref(), futex::ClockId::Monotonic) {
            Err(Errno::NOSYS) => {
                NO_WAITV.store(true, Ordering::Relaxed);
                // SAFETY: forwarded from the caller.
                return unsafe { sleep(words, deadline) };
            }
            other => other.map(drop),
        }
    };
    // Woken, timed out, or the words changed before sleeping: the caller re-reads.
    !matches!(result, Err(Errno::INTR))
}

/// # Safety
/// As for `super::wake`.
pub(super) unsafe fn wake(word: *const u32, all: bool) {
    // SAFETY: `word` is aligned (caller); FUTEX_WAKE uses the address as a key only.
    let word = unsafe { AtomicU32::from_ptr(word.cast_mut()) };
    let _ = futex::wake(word, futex::Flags::empty(), if all { i32::MAX as u32 } else { 1 });
}
