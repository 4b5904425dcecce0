//! Linux (and Android): POSIX shared memory in `/dev/shm`, and shared futexes.
//!
//! Shared memory: `/dev/shm` is a world-writable directory where any local user can plant a
//! symbolic link, a FIFO or a directory under a name, so a segment is opened without following
//! a link (`O_NOFOLLOW`, as glibc's `shm_open` does) and without blocking on a FIFO
//! (`O_NONBLOCK`), and must be a regular file. Sizes are exact.
//!
//! Waiting: `FUTEX_WAIT` / `FUTEX_WAKE` without `FUTEX_PRIVATE_FLAG`, keyed by the physical
//! page, so processes that map the same memory wake each other. Widths 1 and 2 sleep on the
//! aligned 4-byte word that contains them (a change of a neighbouring byte is a spurious
//! wake); width 4 on its own word; width 8 on both halves at once with `futex_waitv` (Linux
//! 5.16+), so that a change of either half wakes, or on older kernels on the low half in
//! slices of 1 ms. The kernel compares the word(s) with the value read before sleeping, so a
//! wake that follows a change is never lost.

use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::time::Duration;

use rustix::fs::{FileType, OFlags, Stat};
use rustix::io::Errno;
use rustix::shm;
use rustix::thread::futex;

use super::posix::word_holding;
pub(crate) use super::posix::{create, random_bytes, unlink, Mapping};
use super::{at_most, containing_word, load};
use crate::shm::ShmError;
use crate::Width;

/// Maps the existing segment `name`: a regular file of this user alone, never a link
/// (not followed) or a FIFO (not waited on).
pub(crate) fn open(name: &str) -> Result<Mapping, ShmError> {
    let flags = shm::OFlags::from_bits_retain((OFlags::NOFOLLOW | OFlags::NONBLOCK).bits());
    super::posix::open(name, flags, regular_file)
}

fn regular_file(stat: &Stat) -> Result<(), &'static str> {
    match FileType::from_raw_mode(stat.st_mode) {
        FileType::RegularFile => Ok(()),
        FileType::Fifo => Err("a FIFO"),
        _ => Err("not a regular file"),
    }
}

/// `/dev/shm` keeps exact sizes.
pub(crate) fn fits(mapped: usize, wanted: usize) -> bool {
    mapped == wanted
}

/// Whether `futex_waitv` is missing (Linux before 5.16); learnt on first use.
static NO_WAITV: AtomicBool = AtomicBool::new(false);

fn timespec(d: Duration) -> futex::Timespec {
    futex::Timespec { tv_sec: d.as_secs() as _, tv_nsec: d.subsec_nanos() as _ }
}

/// # Safety
/// `addr` is aligned to `width` (1, 2, 4 or 8) and mapped for the duration of the call.
pub(crate) unsafe fn wait(addr: *const u8, width: Width, old: u64, timeout: Option<Duration>) -> bool {
    let result = if width == Width::W8 {
        // SAFETY: aligned and mapped (caller).
        let value = unsafe { load(addr, width) };
        if value != old {
            return true;
        }
        let bytes = value.to_ne_bytes();
        let half = |i: usize| u32::from_ne_bytes([bytes[i], bytes[i + 1], bytes[i + 2], bytes[i + 3]]);
        let word = addr.cast::<u32>();
        // SAFETY: both halves are aligned words of the mapped value.
        match unsafe { wait_both(word, [half(0), half(4)], timeout) } {
            Some(result) => result,
            // No futex_waitv: the low half, in slices of 1 ms so that the high half is seen.
            None => {
                // SAFETY: the low half is an aligned, mapped word.
                unsafe { wait_word(word, half(0), Some(at_most(timeout, Duration::from_millis(1)))) }
            }
        }
    } else {
        // SAFETY: forwarded from the caller.
        let Some((word, current)) = (unsafe { word_holding(addr, width, old) }) else { return true };
        // SAFETY: an aligned word of the mapped value.
        unsafe { wait_word(word, current, timeout) }
    };
    // Woken, timed out, or the word(s) changed before sleeping: the caller re-reads.
    !matches!(result, Err(Errno::INTR))
}

/// # Safety
/// `word` is aligned and mapped.
unsafe fn wait_word(word: *const u32, value: u32, timeout: Option<Duration>) -> Result<(), Errno> {
    // SAFETY: aligned and mapped (caller); the kernel only reads it.
    let word = unsafe { AtomicU32::from_ptr(word.cast_mut()) };
    futex::wait(word, futex::Flags::empty(), value, timeout.map(timespec).as_ref())
}

/// Sleeps on the two words at `word` while they hold `values`; None without `futex_waitv`.
///
/// # Safety
/// Both words are aligned and mapped.
unsafe fn wait_both(word: *const u32, values: [u32; 2], timeout: Option<Duration>) -> Option<Result<(), Errno>> {
    if NO_WAITV.load(Ordering::Relaxed) {
        return None;
    }
    let mut waiters = [futex::Wait::new(), futex::Wait::new()];
    for (i, waiter) in waiters.iter_mut().enumerate() {
        waiter.uaddr = futex::WaitPtr::new(word.wrapping_add(i).cast_mut().cast());
        waiter.val = u64::from(values[i]);
        waiter.flags = futex::WaitFlags::SIZE_U32;
    }
    // futex_waitv takes an absolute CLOCK_MONOTONIC deadline.
    let absolute = timeout.map(|r| {
        let now = rustix::time::clock_gettime(rustix::time::ClockId::Monotonic);
        timespec(Duration::new(now.tv_sec as u64, now.tv_nsec as u32) + r)
    });
    match futex::waitv(&waiters, futex::WaitvFlags::empty(), absolute.as_ref(), futex::ClockId::Monotonic) {
        Err(Errno::NOSYS) => {
            NO_WAITV.store(true, Ordering::Relaxed);
            None
        }
        other => Some(other.map(drop)),
    }
}

/// # Safety
/// `addr` is aligned to `width`; it is only used as a key.
pub(crate) unsafe fn wake(addr: *const u8, _width: Width, all: bool) {
    // SAFETY: the containing word is aligned; FUTEX_WAKE uses its address as a key only.
    let word = unsafe { AtomicU32::from_ptr(containing_word(addr).cast_mut()) };
    let _ = futex::wake(word, futex::Flags::empty(), if all { i32::MAX as u32 } else { 1 });
}

#[cfg(test)]
mod tests {
    use std::io::Write;
    use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};

    use rustix::fs::{mknodat, symlink, FileType, Mode, CWD};

    use crate::shm::{Kind, Segment, ShmError, HEADER_SIZE, MAGIC, VERSION};

    fn path(what: &str) -> String {
        format!("/dev/shm/atomics_test{what}{}", std::process::id())
    }

    /// A file in /dev/shm holding a valid header of one INT of width 8, with `mode`.
    fn planted(what: &str, mode: u32) -> String {
        let path = path(what);
        let mut header = [0u8; HEADER_SIZE + 8];
        header[0..8].copy_from_slice(&MAGIC);
        header[8..12].copy_from_slice(&VERSION.to_ne_bytes());
        header[12..16].copy_from_slice(&(HEADER_SIZE as u32).to_ne_bytes());
        header[16..24].copy_from_slice(&8u64.to_ne_bytes());
        header[24..28].copy_from_slice(&8u32.to_ne_bytes());
        header[28..32].copy_from_slice(&(Kind::Int as u32).to_ne_bytes());
        let mut file = std::fs::OpenOptions::new().write(true).create_new(true).mode(0o600).open(&path).unwrap();
        file.write_all(&header).unwrap();
        file.set_permissions(std::fs::Permissions::from_mode(mode)).unwrap(); // past the umask
        path
    }

    #[test]
    fn segments_are_created_with_mode_0600() {
        let segment = Segment::create(8, 8, Kind::Uint).unwrap();
        let mode = std::fs::metadata(format!("/dev/shm{}", segment.name())).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
        segment.unlink().unwrap();
    }

    #[test]
    fn links_fifos_directories_and_empty_files_are_refused() {
        let segment = Segment::create(8, 8, Kind::Int).unwrap();
        let (link, fifo, dir, empty) = (path("link"), path("fifo"), path("dir"), path("empty"));
        symlink(format!("/dev/shm{}", segment.name()), &link).unwrap();
        mknodat(CWD, &fifo, FileType::Fifo, Mode::RUSR | Mode::WUSR, 0).unwrap();
        std::fs::create_dir(&dir).unwrap();
        std::fs::OpenOptions::new().write(true).create_new(true).mode(0o600).open(&empty).unwrap();
        for (path, why) in
            [(&link, "a symbolic link"), (&fifo, "a FIFO"), (&dir, "a directory"), (&empty, "too small for a header")]
        {
            let name = &path["/dev/shm".len()..];
            match Segment::open(name) {
                Err(ShmError::Format(message)) => {
                    assert_eq!(message, format!("{name} is not an atomics segment: {why}"))
                }
                other => panic!("{name}: {other:?}"),
            }
        }
        std::fs::remove_file(&link).unwrap();
        std::fs::remove_file(&fifo).unwrap();
        std::fs::remove_dir(&dir).unwrap();
        std::fs::remove_file(&empty).unwrap();
        segment.unlink().unwrap();
    }

    #[test]
    fn segments_other_users_may_open_are_refused() {
        let private = planted("private", 0o600);
        assert!(Segment::open(&private["/dev/shm".len()..]).is_ok());
        std::fs::remove_file(&private).unwrap();
        for mode in [0o644, 0o660, 0o606, 0o640, 0o602] {
            let path = planted(&format!("mode{mode:o}_"), mode);
            let name = &path["/dev/shm".len()..];
            match Segment::open(name) {
                Err(ShmError::Io(e)) => {
                    assert_eq!(e.kind(), std::io::ErrorKind::PermissionDenied);
                    assert_eq!(
                        e.to_string(),
                        format!(
                            "refusing segment {name}: its mode {mode:04o} lets other users open it (a segment must \
                             be 0600)"
                        )
                    );
                }
                other => panic!("mode {mode:o}: {other:?}"),
            }
            std::fs::remove_file(&path).unwrap();
        }
    }

    #[test]
    fn segments_of_other_users_are_refused() {
        let me = rustix::process::geteuid().as_raw();
        if me != 0 {
            return; // only root can give a file away
        }
        let path = planted("owner", 0o600);
        std::os::unix::fs::chown(&path, Some(65534), None).unwrap();
        let name = &path["/dev/shm".len()..];
        match Segment::open(name) {
            Err(ShmError::Io(e)) => {
                assert_eq!(e.kind(), std::io::ErrorKind::PermissionDenied);
                assert_eq!(
                    e.to_string(),
                    format!("refusing segment {name}: it belongs to user 65534, not to this process's user 0")
                );
            }
            other => panic!("{other:?}"),
        }
        std::fs::remove_file(&path).unwrap();
    }
}
