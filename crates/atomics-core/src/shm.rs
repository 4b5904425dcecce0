//! Named shared-memory segments in the format the Python package creates, so that Python,
//! Rust and C programs can share atomics by a segment's name, on Linux, macOS and Windows.
//!
//! # Layout
//!
//! A segment is a named shared-memory object (POSIX `shm_open` on Linux and macOS, a file
//! mapping on Windows) of `64 + data_size` bytes:
//!
//! | offset | size | field | value |
//! |---|---|---|---|
//! | 0 | 8 | magic | `b"atomics\0"` |
//! | 8 | 4 | version | 1 |
//! | 12 | 4 | header size | 64 |
//! | 16 | 8 | data size | bytes after the header |
//! | 24 | 4 | width | width of the single atomic the segment holds, or 0 for a layout of several |
//! | 28 | 4 | kind | [`Kind`] of that atomic (0 for a layout) |
//! | 32 | 32 | reserved | zero |
//! | 64 | data size | data | the atomics, native-endian, each aligned to its width |
//!
//! Header integers are native-endian (the segment is shared on one machine). The data starts
//! on a 64-byte boundary, so an atomic at data offset `o` is aligned to its width `w` when
//! `o % w == 0`, and sits alone on a cache line when `o % 64 == 0` and nothing else is placed
//! in `o..o + 64`. macOS rounds the object up to whole pages; on Windows the object is the
//! segment rounded up to pages of 4096 bytes plus one page, the wait table that lets
//! processes wake each other (see `docs/shared-memory.md`).
//!
//! # Lifetime
//!
//! The mapping stays valid in this process until the [`Segment`] is dropped, whatever other
//! processes do. On Linux and macOS the name lives until someone calls [`Segment::unlink`]
//! (or [`unlink`]). Windows has no unlink: a name lives while any process holds the segment
//! open, and [`unlink`] makes this process let go of it (a dropped `Segment` lets go too).
//!
//! # Ownership
//!
//! Segments are created readable and writable by their user only (mode 0600 with `O_EXCL`;
//! on Windows an owner-only security descriptor) under an unguessable name of 20 characters
//! (valid on macOS, whose limit is 31). [`Segment::open`] refuses, with
//! [`std::io::ErrorKind::PermissionDenied`], a segment that belongs to another user or that
//! other users may open: whoever can open a segment can change its values, or (on Unix)
//! truncate it under the processes that map it.

use std::fmt;
use std::io;

use crate::os;

/// The bytes before the data.
pub const HEADER_SIZE: usize = 64;
/// The first 8 bytes of every segment.
pub const MAGIC: [u8; 8] = *b"atomics\0";
/// The longest tag [`Segment::create_tagged`] accepts (names stay within macOS's 31).
pub const MAX_TAG: usize = 10;
/// The layout version this crate writes and reads.
pub const VERSION: u32 = 1;

/// What the single atomic of a segment holds (or that it holds a layout of several).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u32)]
pub enum Kind {
    /// Several atomics at offsets the programs agree on.
    Layout = 0,
    /// A signed integer.
    Int = 1,
    /// An unsigned integer.
    Uint = 2,
    /// Raw bytes.
    Bytes = 3,
    /// An IEEE float of the width (4 or 8 bytes).
    Float = 4,
}

impl Kind {
    /// The kind stored as `value`.
    pub fn from_value(value: u32) -> Option<Kind> {
        [Kind::Layout, Kind::Int, Kind::Uint, Kind::Bytes, Kind::Float].into_iter().find(|k| *k as u32 == value)
    }
}

/// The header fields of a segment.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Header {
    /// Bytes after the header.
    pub data_size: usize,
    /// Width of the single atomic, or 0 for a layout.
    pub width: u32,
    /// Kind of the single atomic.
    pub kind: Kind,
}

/// Why a segment could not be opened.
#[derive(Debug)]
pub enum ShmError {
    /// The operating system refused (no such name, permission, ...).
    Io(io::Error),
    /// The object exists but is not a segment of this format (too small, wrong magic,
    /// version or sizes; on Linux also a symbolic link, a FIFO or a directory in `/dev/shm`).
    /// A segment of another user, or one that other users may open, is an [`ShmError::Io`]
    /// of kind [`io::ErrorKind::PermissionDenied`].
    Format(String),
}

impl fmt::Display for ShmError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ShmError::Io(e) => write!(f, "{e}"),
            ShmError::Format(why) => f.write_str(why),
        }
    }
}

impl std::error::Error for ShmError {}

impl From<io::Error> for ShmError {
    fn from(e: io::Error) -> Self {
        ShmError::Io(e)
    }
}

/// The refusal of `name`, which exists but is not a segment of this format.
pub(crate) fn not_a_segment(name: &str, why: &str) -> ShmError {
    ShmError::Format(format!("{name} is not an atomics segment: {why}"))
}

/// A segment mapped into this process.
#[derive(Debug)]
pub struct Segment {
    name: String,
    mapping: os::Mapping,
    /// The header as checked when the segment was mapped (never read again: another
    /// process could change it since).
    header: Header,
}

impl Segment {
    /// Creates a new segment of `data_size` data bytes (zeroed) under a fresh unguessable
    /// name, mode 0600, refusing to reuse an existing name.
    pub fn create(data_size: usize, width: u32, kind: Kind) -> io::Result<Segment> {
        Segment::create_tagged("", data_size, width, kind)
    }

    /// [`Segment::create`] with `tag` (at most 10 characters from `[a-z0-9_]`) after the
    /// `/atomics_` of the name, so that a program can tell its segments from others'.
    pub fn create_tagged(tag: &str, data_size: usize, width: u32, kind: Kind) -> io::Result<Segment> {
        let valid =
            tag.len() <= MAX_TAG && tag.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
        if !valid {
            return Err(io::Error::new(io::ErrorKind::InvalidInput, format!("invalid segment tag {tag:?}")));
        }
        let len = HEADER_SIZE.checked_add(data_size).ok_or_else(|| io::Error::other("segment size overflows"))?;
        for _ in 0..16 {
            let name = fresh_name(tag)?;
            if let Some(mapping) = os::create(&name, len)? {
                let header = Header { data_size, width, kind };
                write_header(&mapping, header);
                return Ok(Segment { name, mapping, header });
            }
        }
        Err(io::Error::other("no fresh shared-memory name after 16 tries"))
    }

    /// Maps the existing segment `name` and checks its header.
    ///
    /// Refused with [`ShmError::Io`] of kind [`io::ErrorKind::PermissionDenied`]: a segment
    /// that belongs to another user, or that the group or other users may open (on Unix any
    /// mode but 0600 or stricter; on Windows an owner other than this user, or an access list
    /// that lets anyone else in). Refused with [`ShmError::Format`]: anything but a segment of
    /// this format; on Linux a symbolic link, a FIFO or a directory under the name, never
    /// followed or waited on.
    pub fn open(name: &str) -> Result<Segment, ShmError> {
        let mapping = os::open(name)?;
        let header = checked_header(name, &mapping)?;
        Ok(Segment { name: name.to_owned(), mapping, header })
    }

    /// The name other processes open it by (starts with `/`).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The header as the creator wrote it, read and checked once, when the segment was
    /// mapped.
    pub fn header(&self) -> Header {
        self.header
    }

    /// The first data byte; data offsets count from here.
    pub fn data(&self) -> *mut u8 {
        // SAFETY: the mapping is at least HEADER_SIZE bytes long (checked when mapped).
        unsafe { self.mapping.base().as_ptr().add(HEADER_SIZE) }
    }

    /// Bytes of data.
    pub fn data_size(&self) -> usize {
        self.header.data_size
    }

    /// Removes the name, so that no new process can open the segment. Mappings stay valid.
    /// On Windows, where a name lives while any process holds it open, this process lets go
    /// of it (see [`unlink`]).
    pub fn unlink(&self) -> io::Result<()> {
        unlink(&self.name)
    }
}

/// A fresh name: `/atomics_`, the tag, and 11 random base-32 characters (55 bits): 20
/// characters plus the tag's.
fn fresh_name(tag: &str) -> io::Result<String> {
    const ALPHABET: &[u8; 32] = b"abcdefghijklmnopqrstuvwxyz234567";
    let mut random = [0u8; 11];
    os::random_bytes(&mut random)?;
    let suffix: String = random.iter().map(|b| ALPHABET[usize::from(b % 32)] as char).collect();
    Ok(format!("/atomics_{tag}{suffix}"))
}

fn write_header(mapping: &os::Mapping, header: Header) {
    let mut bytes = [0u8; HEADER_SIZE];
    bytes[0..8].copy_from_slice(&MAGIC);
    bytes[8..12].copy_from_slice(&VERSION.to_ne_bytes());
    bytes[12..16].copy_from_slice(&(HEADER_SIZE as u32).to_ne_bytes());
    bytes[16..24].copy_from_slice(&(header.data_size as u64).to_ne_bytes());
    bytes[24..28].copy_from_slice(&header.width.to_ne_bytes());
    bytes[28..32].copy_from_slice(&(header.kind as u32).to_ne_bytes());
    // SAFETY: the mapping is at least HEADER_SIZE bytes and nobody else knows the name yet
    // (it was just created exclusively under a random name).
    unsafe { std::ptr::copy_nonoverlapping(bytes.as_ptr(), mapping.base().as_ptr(), HEADER_SIZE) };
}

/// Reads the header of the mapping of `name` once and checks it.
fn checked_header(name: &str, mapping: &os::Mapping) -> Result<Header, ShmError> {
    let bad = |why: &str| Err(not_a_segment(name, why));
    if mapping.len() < HEADER_SIZE {
        return bad("too small for a header");
    }
    let mut bytes = [0u8; HEADER_SIZE];
    // SAFETY: the mapping is at least HEADER_SIZE bytes. The creator writes the header before
    // anyone knows the name; a process that changes it later gets a refusal here or a header
    // checked from one copy, never used again after this read.
    unsafe { std::ptr::copy_nonoverlapping(mapping.base().as_ptr(), bytes.as_mut_ptr(), HEADER_SIZE) };
    let u32_at = |i: usize| u32::from_ne_bytes([bytes[i], bytes[i + 1], bytes[i + 2], bytes[i + 3]]);
    if bytes[0..8] != MAGIC {
        return bad("wrong magic");
    }
    if u32_at(8) != VERSION {
        return bad(&format!("layout version {} (this build reads {VERSION})", u32_at(8)));
    }
    if u32_at(12) as usize != HEADER_SIZE {
        return bad("wrong header size");
    }
    let mut size = [0u8; 8];
    size.copy_from_slice(&bytes[16..24]);
    let Ok(data_size) = usize::try_from(u64::from_ne_bytes(size)) else {
        return bad("its data size does not match its length");
    };
    if HEADER_SIZE.checked_add(data_size).is_none_or(|len| !os::fits(mapping.len(), len)) {
        return bad("its data size does not match its length");
    }
    let Some(kind) = Kind::from_value(u32_at(28)) else { return bad("unknown kind") };
    Ok(Header { data_size, width: u32_at(24), kind })
}

/// Removes segment `name` (mappings stay valid). On Windows, where a name lives while any
/// process holds the segment open, this process lets go of it (every `Segment` of that name
/// here): the name disappears once no other process holds it either.
pub fn unlink(name: &str) -> io::Result<()> {
    os::unlink(name)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{MemoryOrder, OpType, Region};

    #[test]
    fn create_open_share_and_unlink() {
        let created = Segment::create(128, 8, Kind::Int).unwrap();
        assert!(created.name().starts_with('/') && created.name().len() <= 31);
        let opened = Segment::open(created.name()).unwrap();
        assert_eq!(opened.header(), Header { data_size: 128, width: 8, kind: Kind::Int });
        // SAFETY: both mappings outlive the regions and are only accessed atomically.
        let (a, b) = unsafe {
            (Region::new(created.data(), 8, false).unwrap(), Region::new(opened.data().add(0), 8, false).unwrap())
        };
        a.read_modify_write(OpType::FetchAdd, 5, MemoryOrder::SeqCst).unwrap();
        b.read_modify_write(OpType::FetchAdd, 6, MemoryOrder::SeqCst).unwrap();
        assert_eq!(a.load(MemoryOrder::SeqCst).unwrap(), 11);
        created.unlink().unwrap();
        assert!(matches!(Segment::open(created.name()), Err(ShmError::Io(_))));
        // Mappings outlive the name.
        assert_eq!(b.load(MemoryOrder::SeqCst).unwrap(), 11);
    }

    #[test]
    fn names_are_fresh() {
        let a = Segment::create(8, 8, Kind::Uint).unwrap();
        let b = Segment::create(8, 8, Kind::Uint).unwrap();
        assert_ne!(a.name(), b.name());
        a.unlink().unwrap();
        b.unlink().unwrap();
    }

    #[test]
    fn foreign_objects_are_refused() {
        let name = fresh_name("").unwrap();
        let object = os::create(&name, 10).unwrap().unwrap(); // zeroed: no header
        let refused = Segment::open(&name).unwrap_err();
        assert!(refused.to_string().contains("not an atomics segment"), "{refused}");
        unlink(&name).unwrap();
        drop(object);
    }

    /// A fresh object of `len` bytes (sparse) whose header says `data_size`, made through
    /// `/dev/shm` with the segment's own mode.
    #[cfg(target_os = "linux")]
    fn forged(len: u64, data_size: u64) -> String {
        use std::io::Write;
        use std::os::unix::fs::OpenOptionsExt;
        let name = fresh_name("").unwrap();
        let mut file = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(format!("/dev/shm{name}"))
            .unwrap();
        file.set_len(len).unwrap();
        let mut header = [0u8; HEADER_SIZE];
        header[0..8].copy_from_slice(&MAGIC);
        header[8..12].copy_from_slice(&VERSION.to_ne_bytes());
        header[12..16].copy_from_slice(&(HEADER_SIZE as u32).to_ne_bytes());
        header[16..24].copy_from_slice(&data_size.to_ne_bytes());
        file.write_all(&header).unwrap();
        name
    }

    /// On 32-bit targets a data size of 2**32 + 8 must not be read as 8.
    #[cfg(target_os = "linux")]
    #[test]
    fn a_data_size_beyond_the_address_space_is_refused() {
        let name = forged(HEADER_SIZE as u64 + 8, (1 << 32) + 8);
        match Segment::open(&name) {
            Err(ShmError::Format(why)) => assert!(why.ends_with("its data size does not match its length"), "{why}"),
            other => panic!("{other:?}"),
        }
        unlink(&name).unwrap();
    }

    /// A segment larger than the address space (sparse, so it costs no memory) is refused on
    /// 32-bit targets, never mapped short; 64-bit ones open it whole.
    #[cfg(target_os = "linux")]
    #[test]
    fn a_segment_larger_than_the_address_space_is_refused() {
        let data_size = (1u64 << 32) + 8;
        let name = forged(HEADER_SIZE as u64 + data_size, data_size);
        match Segment::open(&name) {
            Ok(segment) if usize::BITS == 64 => assert_eq!(segment.data_size() as u64, data_size),
            Err(ShmError::Format(why)) if usize::BITS == 32 => assert!(why.ends_with("too large"), "{why}"),
            other => panic!("{other:?}"),
        }
        unlink(&name).unwrap();
    }

    #[test]
    fn the_header_checked_at_open_is_kept_while_a_writer_flips_it() {
        use std::sync::atomic::{AtomicBool, AtomicU8, Ordering};

        let segment = Segment::create(8, 8, Kind::Int).unwrap();
        // SAFETY: byte 0 of the mapping (the magic), inside it while `segment` lives; flipped
        // and read only atomically here, copied by `Segment::open` (a race the format forbids
        // to honest programs, made on purpose: it is the test).
        let magic = unsafe { AtomicU8::from_ptr(segment.data().sub(HEADER_SIZE)) };
        /// Stops the writer however the opening thread leaves (a failed assertion included).
        struct StopOnDrop<'a>(&'a AtomicBool);
        impl Drop for StopOnDrop<'_> {
            fn drop(&mut self) {
                self.0.store(true, Ordering::Relaxed);
            }
        }
        let (mut opened, mut refused) = (0, 0);
        let stop = AtomicBool::new(false);
        std::thread::scope(|s| {
            s.spawn(|| {
                while !stop.load(Ordering::Relaxed) {
                    magic.fetch_xor(1, Ordering::Relaxed);
                }
                magic.store(b'a', Ordering::SeqCst);
            });
            let _stop = StopOnDrop(&stop);
            for _ in 0..2000 {
                match Segment::open(segment.name()) {
                    Ok(again) => {
                        opened += 1;
                        for _ in 0..10 {
                            assert_eq!(again.header(), Header { data_size: 8, width: 8, kind: Kind::Int });
                        }
                    }
                    Err(ShmError::Format(why)) => {
                        refused += 1;
                        assert!(why.ends_with("wrong magic"), "{why}");
                    }
                    Err(e) => panic!("{e}"),
                }
            }
        });
        assert_eq!(opened + refused, 2000);
        segment.unlink().unwrap();
    }
}
