//! What `linux.rs` and `unix.rs` share: POSIX shared memory (`shm_open`, `ftruncate`,
//! `mmap`) through rustix, and the 4-byte word a wait sleeps on.

use std::io::{self, Read};
use std::ptr::NonNull;
use std::sync::atomic::{AtomicU32, Ordering};

use rustix::fd::OwnedFd;
use rustix::fs::{fstat, ftruncate, Mode, Stat};
use rustix::io::Errno;
use rustix::mm::{mmap, munmap, MapFlags, ProtFlags};
use rustix::shm;

use super::containing_word;
use crate::shm::{not_a_segment, ShmError, HEADER_SIZE};
use crate::Width;

/// A POSIX shared-memory object mapped read-write and shared; unmapped on drop.
#[derive(Debug)]
pub(crate) struct Mapping {
    base: NonNull<u8>,
    len: usize,
}

// SAFETY: the mapping is process-wide; the struct only records where it is.
unsafe impl Send for Mapping {}
// SAFETY: as above.
unsafe impl Sync for Mapping {}

impl Mapping {
    fn new(fd: &OwnedFd, len: usize) -> io::Result<Mapping> {
        // SAFETY: a new shared mapping of `len` bytes of `fd`; nothing else refers to it yet.
        let ptr =
            unsafe { mmap(std::ptr::null_mut(), len, ProtFlags::READ | ProtFlags::WRITE, MapFlags::SHARED, fd, 0) }?;
        let base = NonNull::new(ptr.cast()).ok_or_else(|| io::Error::other("mmap returned NULL"))?;
        Ok(Mapping { base, len })
    }

    pub(crate) fn base(&self) -> NonNull<u8> {
        self.base
    }

    pub(crate) fn len(&self) -> usize {
        self.len
    }
}

impl Drop for Mapping {
    fn drop(&mut self) {
        // SAFETY: this mapping's own range, unmapped once; its owner guarantees that nothing
        // uses it afterwards. A failure leaves it mapped: harmless.
        let _ = unsafe { munmap(self.base.as_ptr().cast(), self.len) };
    }
}

/// Random bytes from `/dev/urandom`.
pub(crate) fn random_bytes(out: &mut [u8]) -> io::Result<()> {
    std::fs::File::open("/dev/urandom")?.read_exact(out)
}

/// A new object `name` of `len` zeroed bytes, mode 0600 and `O_EXCL`, mapped; `None` if the
/// name exists.
pub(crate) fn create(name: &str, len: usize) -> io::Result<Option<Mapping>> {
    let flags = shm::OFlags::CREATE | shm::OFlags::EXCL | shm::OFlags::RDWR;
    let fd = match shm::open(name, flags, Mode::RUSR | Mode::WUSR) {
        Ok(fd) => fd,
        Err(Errno::EXIST) => return Ok(None),
        Err(e) => return Err(e.into()),
    };
    let mapped = ftruncate(&fd, len as u64).map_err(io::Error::from).and_then(|()| Mapping::new(&fd, len));
    if mapped.is_err() {
        let _ = shm::unlink(name);
    }
    mapped.map(Some)
}

/// Opens `name` read-write with the extra `flags` and maps it, once `check` accepts its
/// status (a refusal is the reason it is not a segment) and it belongs to this user alone.
pub(crate) fn open(
    name: &str,
    flags: shm::OFlags,
    check: fn(&Stat) -> Result<(), &'static str>,
) -> Result<Mapping, ShmError> {
    let fd = shm::open(name, shm::OFlags::RDWR | flags, Mode::empty()).map_err(|e| match e {
        Errno::LOOP => not_a_segment(name, "a symbolic link"),
        Errno::ISDIR => not_a_segment(name, "a directory"),
        e => ShmError::Io(e.into()),
    })?;
    let stat = fstat(&fd).map_err(io::Error::from)?;
    check(&stat).map_err(|why| not_a_segment(name, why))?;
    check_private(name, &stat)?;
    let len = usize::try_from(stat.st_size).map_err(|_| not_a_segment(name, "too large"))?;
    if len < HEADER_SIZE {
        return Err(not_a_segment(name, "too small for a header"));
    }
    Ok(Mapping::new(&fd, len)?)
}

/// Refuses an object of another user, or one that the group or others may open: whoever can
/// open it can change the values, or truncate it under the processes that map it.
fn check_private(name: &str, stat: &Stat) -> Result<(), ShmError> {
    let me = rustix::process::geteuid().as_raw();
    let refuse = |why: String| {
        Err(ShmError::Io(io::Error::new(io::ErrorKind::PermissionDenied, format!("refusing segment {name}: {why}"))))
    };
    if stat.st_uid != me {
        return refuse(format!("it belongs to user {}, not to this process's user {me}", stat.st_uid));
    }
    #[allow(clippy::unnecessary_cast)] // u16 on macOS
    let mode = stat.st_mode as u32 & 0o777;
    if mode & 0o077 != 0 {
        return refuse(format!("its mode {mode:04o} lets other users open it (a segment must be 0600)"));
    }
    Ok(())
}

pub(crate) fn unlink(name: &str) -> io::Result<()> {
    Ok(shm::unlink(name)?)
}

/// For a wait on the value of `width` bytes (1, 2 or 4) at `addr`: the aligned 4-byte word
/// that holds it and the word's value, read in one atomic access so that the system compares
/// against exactly what was compared with `old`; None when the value already differs.
///
/// # Safety
/// `addr` is aligned to `width` and mapped.
pub(crate) unsafe fn word_holding(addr: *const u8, width: Width, old: u64) -> Option<(*const u32, u32)> {
    let word = containing_word(addr);
    // SAFETY: the word is aligned and inside the page(s) of the mapped value (widths up to 4
    // lie inside one aligned word, since they are aligned to their width); it is only read,
    // atomically (for widths 1 and 2 a mixed-size read, which the hardware defines).
    let current = unsafe { AtomicU32::from_ptr(word.cast_mut()) }.load(Ordering::SeqCst);
    let offset = addr as usize - word as usize;
    let value = width.from_ne_bytes(&current.to_ne_bytes()[offset..offset + width.bytes()]) as u64;
    (value == old).then_some((word, current))
}
