//! macOS and the other Unix systems: POSIX shared memory, and the best address wait the
//! running system has, chosen at run time (looked up with `dlsym`, so that one build runs on
//! every macOS version).
//!
//! Shared memory: names are at most 31 characters on macOS (the crate's have 20 to 30) and
//! there is no `/dev/shm`. macOS rounds an object's size up to whole pages, so `fits` allows
//! a mapping up to a page longer than the segment.
//!
//! Waiting, in order of preference, every one shared between processes (keyed by the
//! physical page, not by the process):
//!
//! 1. `os_sync_wait_on_address_with_timeout` / `os_sync_wake_by_address_*` with
//!    `OS_SYNC_*_SHARED` (macOS 14.4 and later): 4- and 8-byte compare-and-wait;
//! 2. `__ulock_wait2` (macOS 11 and later; nanosecond timeouts) or `__ulock_wait` (10.12 and
//!    later; microseconds) with `UL_COMPARE_AND_WAIT_SHARED`, and
//!    `UL_COMPARE_AND_WAIT64_SHARED` for 8 bytes where the kernel has it (otherwise the low
//!    half, in slices of 1 ms);
//! 3. where neither exists (other Unix systems): polling, re-reading the value with a
//!    backoff of at most 1 ms. It is correct across processes (no wake-up is needed) at the
//!    cost of latency; `wake` has nothing to do.
//!
//! Widths 1 and 2 sleep on the aligned 4-byte word that contains them (a change of a
//! neighbouring byte is a spurious wake). The system compares the memory with the value
//! read before it sleeps, so a wake that follows a change is never lost. Waiters and wakers
//! pick the same mechanism: it depends on the system, which all processes share.

use std::ffi::{c_int, c_void, CStr};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use rustix::fs::Stat;
use rustix::shm;

use super::posix::word_holding;
pub(crate) use super::posix::{create, random_bytes, unlink, Mapping};
use super::{at_most, containing_word, load};
use crate::shm::ShmError;
use crate::Width;

/// Maps the existing segment `name` (of this user alone).
pub(crate) fn open(name: &str) -> Result<Mapping, ShmError> {
    super::posix::open(name, shm::OFlags::empty(), any_object)
}

fn any_object(_: &Stat) -> Result<(), &'static str> {
    Ok(())
}

/// macOS rounds sizes up to whole pages.
pub(crate) fn fits(mapped: usize, wanted: usize) -> bool {
    let page = rustix::param::page_size();
    mapped >= wanted && mapped - wanted < page
}

// <os/os_sync_wait_on_address.h> and xnu's bsd/sys/ulock.h.
const OS_SYNC_SHARED: u32 = 1;
const OS_CLOCK_MACH_ABSOLUTE_TIME: u32 = 32;
const UL_COMPARE_AND_WAIT_SHARED: u32 = 3;
const UL_COMPARE_AND_WAIT64_SHARED: u32 = 6;
const ULF_WAKE_ALL: u32 = 0x100;
const ULF_NO_ERRNO: u32 = 0x0100_0000;
const EINTR: c_int = 4;
const EINVAL: c_int = 22;

type OsSyncWait = unsafe extern "C" fn(*mut c_void, u64, usize, u32, u32, u64) -> c_int;
type OsSyncWaitForever = unsafe extern "C" fn(*mut c_void, u64, usize, u32) -> c_int;
type OsSyncWake = unsafe extern "C" fn(*mut c_void, usize, u32) -> c_int;
type UlockWait2 = unsafe extern "C" fn(u32, *mut c_void, u64, u64, u64) -> c_int;
type UlockWait = unsafe extern "C" fn(u32, *mut c_void, u64, u32) -> c_int;
type UlockWake = unsafe extern "C" fn(u32, *mut c_void, u64) -> c_int;

/// The address wait this system has.
enum Waiter {
    OsSync { wait: OsSyncWait, wait_forever: OsSyncWaitForever, wake_any: OsSyncWake, wake_all: OsSyncWake },
    Ulock { wait: UlockSleep, wake: UlockWake },
    Polling,
}

/// `__ulock_wait2` (nanosecond timeouts) or the older `__ulock_wait` (microseconds).
#[derive(Clone, Copy)]
enum UlockSleep {
    Nanos(UlockWait2),
    Micros(UlockWait),
}

fn symbol(name: &CStr) -> *mut c_void {
    // SAFETY: `name` is NUL-terminated; RTLD_DEFAULT searches every loaded image.
    unsafe { libc::dlsym(libc::RTLD_DEFAULT, name.as_ptr()) }
}

/// The function `name` of type `F`, if the system has it.
///
/// # Safety
/// `F` is a function pointer type of the symbol's C signature.
unsafe fn function<F: Copy>(name: &CStr) -> Option<F> {
    let ptr = symbol(name);
    // SAFETY: a non-null symbol of that name is the function of type `F` (caller).
    (!ptr.is_null()).then(|| unsafe { std::mem::transmute_copy::<*mut c_void, F>(&ptr) })
}

fn waiter() -> &'static Waiter {
    static WAITER: OnceLock<Waiter> = OnceLock::new();
    WAITER.get_or_init(|| {
        // SAFETY: each type is the C signature of the named function (the headers above).
        unsafe {
            let os_sync = (
                function::<OsSyncWait>(c"os_sync_wait_on_address_with_timeout"),
                function::<OsSyncWaitForever>(c"os_sync_wait_on_address"),
                function::<OsSyncWake>(c"os_sync_wake_by_address_any"),
                function::<OsSyncWake>(c"os_sync_wake_by_address_all"),
            );
            if let (Some(wait), Some(wait_forever), Some(wake_any), Some(wake_all)) = os_sync {
                return Waiter::OsSync { wait, wait_forever, wake_any, wake_all };
            }
            let wait = function::<UlockWait2>(c"__ulock_wait2")
                .map(UlockSleep::Nanos)
                .or_else(|| function::<UlockWait>(c"__ulock_wait").map(UlockSleep::Micros));
            match (wait, function::<UlockWake>(c"__ulock_wake")) {
                (Some(wait), Some(wake)) => Waiter::Ulock { wait, wake },
                _ => Waiter::Polling,
            }
        }
    })
}

/// Whether the kernel refused `UL_COMPARE_AND_WAIT64_SHARED` (before macOS 11).
static NO_ULOCK64: AtomicBool = AtomicBool::new(false);

/// The word (address, size, value) a wait on `width` bytes at `addr` sleeps on, or None when
/// the value already differs from `old`.
///
/// # Safety
/// `addr` is aligned to `width` and mapped.
unsafe fn sleep_target(addr: *const u8, width: Width, old: u64) -> Option<(*mut c_void, usize, u64)> {
    if width == Width::W8 {
        // SAFETY: aligned and mapped (caller).
        return (unsafe { load(addr, width) } == old).then_some((addr.cast_mut().cast(), 8, old));
    }
    // SAFETY: forwarded from the caller.
    let (word, current) = unsafe { word_holding(addr, width, old) }?;
    Some((word.cast_mut().cast(), 4, u64::from(current)))
}

/// # Safety
/// `addr` is aligned to `width` (1, 2, 4 or 8) and mapped for the duration of the call.
pub(crate) unsafe fn wait(addr: *const u8, width: Width, old: u64, timeout: Option<Duration>) -> bool {
    // SAFETY: forwarded from the caller.
    let Some((target, size, value)) = (unsafe { sleep_target(addr, width, old) }) else { return true };
    let nanos = |d: Duration| u64::try_from(d.as_nanos()).unwrap_or(u64::MAX);
    let errno = match waiter() {
        Waiter::OsSync { wait, wait_forever, .. } => {
            // SAFETY: `target` is an aligned, mapped value of `size` bytes; the call only
            // compares it and sleeps.
            let rc = unsafe {
                match timeout {
                    Some(r) => wait(target, value, size, OS_SYNC_SHARED, OS_CLOCK_MACH_ABSOLUTE_TIME, nanos(r).max(1)),
                    None => wait_forever(target, value, size, OS_SYNC_SHARED),
                }
            };
            if rc < 0 {
                std::io::Error::last_os_error().raw_os_error().unwrap_or(0)
            } else {
                0
            }
        }
        Waiter::Ulock { wait, .. } => {
            let (target, value, op) = if size == 8 && NO_ULOCK64.load(Ordering::Relaxed) {
                // The low half, in slices of 1 ms so that the high half is seen.
                (target, value & 0xffff_ffff, UL_COMPARE_AND_WAIT_SHARED)
            } else if size == 8 {
                (target, value, UL_COMPARE_AND_WAIT64_SHARED)
            } else {
                (target, value, UL_COMPARE_AND_WAIT_SHARED)
            };
            let slice = if size == 8 && op == UL_COMPARE_AND_WAIT_SHARED {
                Some(at_most(timeout, Duration::from_millis(1)))
            } else {
                timeout
            };
            // SAFETY: as above; timeouts of 0 mean no limit, so a limit is at least 1 unit.
            let rc = unsafe {
                match *wait {
                    UlockSleep::Nanos(wait2) => {
                        wait2(op | ULF_NO_ERRNO, target, value, slice.map_or(0, |s| nanos(s).max(1)), 0)
                    }
                    UlockSleep::Micros(wait) => {
                        let micros = slice.map_or(0, |s| u32::try_from(s.as_micros()).unwrap_or(u32::MAX).max(1));
                        wait(op | ULF_NO_ERRNO, target, value, micros)
                    }
                }
            };
            if rc == -EINVAL && op == UL_COMPARE_AND_WAIT64_SHARED {
                NO_ULOCK64.store(true, Ordering::Relaxed);
            }
            rc.min(0).saturating_neg()
        }
        Waiter::Polling => {
            poll(addr, width, old, timeout);
            0
        }
    };
    errno != EINTR
}

/// Re-reads the value with a backoff of at most 1 ms until it differs from `old` or
/// `timeout` passes.
fn poll(addr: *const u8, width: Width, old: u64, timeout: Option<Duration>) {
    let start = Instant::now();
    let mut pause = Duration::from_micros(1);
    // SAFETY: aligned and mapped for the duration of the wait (the caller of `wait`).
    while unsafe { load(addr, width) } == old && timeout.is_none_or(|t| start.elapsed() < t) {
        std::thread::sleep(pause);
        pause = (pause * 2).min(Duration::from_millis(1));
    }
}

/// # Safety
/// `addr` is aligned to `width`; it is only used as a key.
pub(crate) unsafe fn wake(addr: *const u8, width: Width, all: bool) {
    let (target, size) = if width == Width::W8 {
        (addr.cast_mut().cast::<c_void>(), 8)
    } else {
        (containing_word(addr).cast_mut().cast::<c_void>(), 4)
    };
    // SAFETY: the calls use the address as a key only; no waiter: an error, ignored.
    unsafe {
        match waiter() {
            Waiter::OsSync { wake_any, wake_all, .. } => {
                let _ =
                    if all { wake_all(target, size, OS_SYNC_SHARED) } else { wake_any(target, size, OS_SYNC_SHARED) };
            }
            Waiter::Ulock { wake, .. } => {
                let flags = ULF_NO_ERRNO | if all { ULF_WAKE_ALL } else { 0 };
                if size == 8 && !NO_ULOCK64.load(Ordering::Relaxed) {
                    if wake(UL_COMPARE_AND_WAIT64_SHARED | flags, target, 0) != -EINVAL {
                        return;
                    }
                    NO_ULOCK64.store(true, Ordering::Relaxed);
                }
                let _ = wake(UL_COMPARE_AND_WAIT_SHARED | flags, target, 0);
            }
            Waiter::Polling => {}
        }
    }
}
