//! POSIX shared memory (`shm_open`, `ftruncate`, `mmap`), through rustix.

use std::io::{self, Read};
use std::ptr::NonNull;

use rustix::fs::{fstat, ftruncate, Mode};
#[cfg(any(target_os = "linux", target_os = "android"))]
use rustix::fs::{FileType, OFlags};
use rustix::io::Errno;
use rustix::mm::{mmap, munmap, MapFlags, ProtFlags};
use rustix::shm;

use super::{not_a_segment, ShmError, HEADER_SIZE};

/// A fresh name: `/atomics_`, the tag, and 11 random base-32 characters (55 bits): 20
/// characters plus the tag's.
fn fresh_name(tag: &str) -> io::Result<String> {
    const ALPHABET: &[u8; 32] = b"abcdefghijklmnopqrstuvwxyz234567";
    let mut random = [0u8; 11];
    std::fs::File::open("/dev/urandom")?.read_exact(&mut random)?;
    let suffix: String = random.iter().map(|b| ALPHABET[usize::from(b % 32)] as char).collect();
    Ok(format!("/atomics_{tag}{suffix}"))
}

fn map(fd: &impl rustix::fd::AsFd, len: usize) -> io::Result<NonNull<u8>> {
    // SAFETY: a new shared mapping of `len` bytes of `fd`; nothing else refers to it yet.
    let ptr = unsafe { mmap(std::ptr::null_mut(), len, ProtFlags::READ | ProtFlags::WRITE, MapFlags::SHARED, fd, 0) }?;
    NonNull::new(ptr.cast()).ok_or_else(|| io::Error::other("mmap returned NULL"))
}

pub(super) fn create_mapped(tag: &str, len: usize) -> io::Result<(String, NonNull<u8>)> {
    let flags = shm::OFlags::CREATE | shm::OFlags::EXCL | shm::OFlags::RDWR;
    for _ in 0..16 {
        let name = fresh_name(tag)?;
        let fd = match shm::open(name.as_str(), flags, Mode::RUSR | Mode::WUSR) {
            Ok(fd) => fd,
            Err(Errno::EXIST) => continue,
            Err(e) => return Err(e.into()),
        };
        let mapped = ftruncate(&fd, len as u64).map_err(io::Error::from).and_then(|()| map(&fd, len));
        return match mapped {
            Ok(base) => Ok((name, base)),
            Err(e) => {
                let _ = shm::unlink(name.as_str());
                Err(e)
            }
        };
    }
    Err(io::Error::other("no fresh shared-memory name after 16 tries"))
}

/// Maps the existing object `name` read-write, refusing with [`ShmError::Format`] what cannot
/// be a segment.
///
/// On Linux a segment is a file in `/dev/shm`, where any local user can plant a symbolic
/// link, a FIFO or a directory under a name: the file is opened without following a symbolic
/// link (`O_NOFOLLOW`, as glibc's `shm_open` does) and without blocking on a FIFO
/// (`O_NONBLOCK`), and must be a regular file.
pub(super) fn open_mapped(name: &str) -> Result<(NonNull<u8>, usize), ShmError> {
    #[cfg(any(target_os = "linux", target_os = "android"))]
    let flags = shm::OFlags::RDWR | shm::OFlags::from_bits_retain((OFlags::NOFOLLOW | OFlags::NONBLOCK).bits());
    #[cfg(not(any(target_os = "linux", target_os = "android")))]
    let flags = shm::OFlags::RDWR;
    let fd = shm::open(name, flags, Mode::empty()).map_err(|e| match e {
        Errno::LOOP => not_a_segment(name, "a symbolic link"),
        Errno::ISDIR => not_a_segment(name, "a directory"),
        e => ShmError::Io(e.into()),
    })?;
    let stat = fstat(&fd).map_err(io::Error::from)?;
    #[cfg(any(target_os = "linux", target_os = "android"))]
    match FileType::from_raw_mode(stat.st_mode) {
        FileType::RegularFile => {}
        FileType::Fifo => return Err(not_a_segment(name, "a FIFO")),
        _ => return Err(not_a_segment(name, "not a regular file")),
    }
    let Ok(len) = usize::try_from(stat.st_size) else {
        let why = format!("{name} of {} bytes does not fit in this process's address space", stat.st_size);
        return Err(ShmError::Io(io::Error::new(io::ErrorKind::OutOfMemory, why)));
    };
    if len < HEADER_SIZE {
        return Err(not_a_segment(name, "too small for a header"));
    }
    Ok((map(&fd, len)?, len))
}

/// # Safety
/// `base`/`len` are a mapping made by this module, not used after this call.
pub(super) unsafe fn unmap(base: NonNull<u8>, len: usize) {
    // SAFETY: forwarded from the caller. Failure leaves the mapping in place: harmless.
    let _ = unsafe { munmap(base.as_ptr().cast(), len) };
}

pub(super) fn unlink(name: &str) -> io::Result<()> {
    Ok(shm::unlink(name)?)
}

#[cfg(test)]
pub(super) fn mode_of(name: &str) -> io::Result<u32> {
    let fd = shm::open(name, shm::OFlags::RDONLY, Mode::empty())?;
    Ok(fstat(&fd)?.st_mode as u32)
}

#[cfg(test)]
pub(super) fn create_raw_for_test(len: u64) -> io::Result<String> {
    let name = fresh_name("")?;
    let fd =
        shm::open(name.as_str(), shm::OFlags::CREATE | shm::OFlags::EXCL | shm::OFlags::RDWR, Mode::RUSR | Mode::WUSR)?;
    ftruncate(&fd, len)?;
    Ok(name)
}
