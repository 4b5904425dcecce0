//! The one place that picks per-operating-system code: named shared memory, and sleeping on an
//! address until another thread or process wakes it.
//!
//! | file | systems | shared memory | wait / wake |
//! |---|---|---|---|
//! | `linux.rs` | Linux, Android | POSIX (`shm_open` in `/dev/shm`), refusing links, FIFOs, directories | shared futexes; `futex_waitv` for 8 bytes |
//! | `unix.rs` | macOS and the other Unix systems | POSIX (`shm_open`) | macOS: `os_sync_wait_on_address` (14.4+), else `__ulock_wait2` / `__ulock_wait`, chosen at run time; polling where neither exists |
//! | `windows.rs` | Windows | file mappings (`CreateFileMappingW`) with an owner-only security descriptor | segments: a wait table and one named event per sleeper; other memory: `WaitOnAddress` |
//!
//! `posix.rs` holds what the two Unix files share (the POSIX objects, and the word a wait
//! sleeps on), and is no choice of its own.
//!
//! Every OS file exports the same items:
//!
//! - `struct Mapping`: a shared-memory object mapped read-write into this process, unmapped
//!   when dropped. `base()` is the first byte, `len()` the bytes a segment may use (header
//!   and data).
//! - `fn random_bytes(&mut [u8]) -> io::Result<()>`: the system's random source (names).
//! - `fn create(name, len) -> io::Result<Option<Mapping>>`: a new object `name` of at least
//!   `len` zeroed bytes, readable and writable by the creating user only, mapped; `None` when
//!   something already has that name (never opened).
//! - `fn open(name) -> Result<Mapping, ShmError>`: maps the existing object `name`, refusing
//!   one that belongs to another user or that other users may open.
//! - `fn fits(mapped, wanted) -> bool`: whether an object whose `Mapping::len` is `mapped`
//!   was made by `create(_, wanted)`: equality where the system keeps exact sizes (Linux),
//!   the same number of pages where it rounds them up (macOS, Windows).
//! - `fn unlink(name) -> io::Result<()>`: removes the name (mappings stay valid); on Windows,
//!   where a name lives while any process holds it open, this process lets go of it.
//! - `unsafe fn wait(addr, width, old, timeout) -> bool`: sleeps while the `width`-byte value at
//!   `addr` equals `old`, until a wake-up, `timeout` (non-zero; `None`: no limit), a signal, or
//!   a spurious wake; false only for a signal. It compares and sleeps atomically (a wake after the value changed is
//!   never lost), and returns at once when the value already differs.
//! - `unsafe fn wake(addr, width, all)`: wakes one (or all) sleepers on the value at `addr`,
//!   in any process; "one" may wake more than one.
//!
//! The waiters and wakers of one value must agree on its width, as the segment format
//! requires of every access.

use std::time::Duration;

use crate::Width;

#[cfg(unix)]
mod posix;

#[cfg_attr(any(target_os = "linux", target_os = "android"), path = "linux.rs")]
#[cfg_attr(all(unix, not(any(target_os = "linux", target_os = "android"))), path = "unix.rs")]
#[cfg_attr(windows, path = "windows.rs")]
mod imp;

#[cfg(not(any(unix, windows)))]
compile_error!("atomics-core supports Unix systems and Windows");

pub(crate) use imp::{create, fits, open, random_bytes, unlink, wait, wake, Mapping};

/// The aligned 4-byte word that holds (the start of) the value at `addr`: `addr` moved back to
/// a multiple of 4, keeping its provenance (the word may start before the value's memory).
pub(crate) fn containing_word(addr: *const u8) -> *const u32 {
    addr.wrapping_sub(addr as usize % 4).cast()
}

/// A sleep of `timeout` cut to at most `slice` (for a change no wake-up announces).
pub(crate) fn at_most(timeout: Option<Duration>, slice: Duration) -> Duration {
    timeout.map_or(slice, |t| t.min(slice))
}

/// The `width`-byte value at `addr` (widths 1 to 8), loaded atomically.
///
/// # Safety
/// `addr` is aligned to `width` and valid for reads of `width` bytes.
pub(crate) unsafe fn load(addr: *const u8, width: Width) -> u64 {
    use std::sync::atomic::{AtomicU16, AtomicU32, AtomicU64, AtomicU8, Ordering::SeqCst};
    let addr = addr.cast_mut();
    // SAFETY: aligned and valid (caller); every access to the value is atomic.
    unsafe {
        match width {
            Width::W1 => u64::from(AtomicU8::from_ptr(addr).load(SeqCst)),
            Width::W2 => u64::from(AtomicU16::from_ptr(addr.cast()).load(SeqCst)),
            Width::W4 => u64::from(AtomicU32::from_ptr(addr.cast()).load(SeqCst)),
            Width::W8 | Width::W16 => AtomicU64::from_ptr(addr.cast()).load(SeqCst),
        }
    }
}
