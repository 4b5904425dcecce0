//! Named shared-memory segments in the format the Python package creates, so that Python,
//! Rust and C programs can share atomics by a segment's name.
//!
//! # Layout
//!
//! A segment is a POSIX shared-memory object (`shm_open`) of `64 + data_size` bytes:
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
//! in `o..o + 64`.
//!
//! # Lifetime
//!
//! The mapping stays valid in this process until the [`Segment`] is dropped, whatever other
//! processes do; the name lives until someone calls [`Segment::unlink`] (or [`unlink`]).
//! Segments are created with mode 0600 and `O_EXCL` under an unguessable name of 20
//! characters (valid on macOS, whose limit is 31).

use std::fmt;
use std::io;
use std::ptr::NonNull;

#[cfg_attr(unix, path = "unix.rs")]
mod os;

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
fn not_a_segment(name: &str, why: &str) -> ShmError {
    ShmError::Format(format!("{name} is not an atomics segment: {why}"))
}

/// A segment mapped into this process.
#[derive(Debug)]
pub struct Segment {
    name: String,
    base: NonNull<u8>,
    len: usize,
}

// SAFETY: the mapping is process-wide and stays valid until drop; the data is only accessed
// atomically through regions, the header only read after creation.
unsafe impl Send for Segment {}
// SAFETY: as above.
unsafe impl Sync for Segment {}

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
        let (name, base) = os::create_mapped(tag, len)?;
        let segment = Segment { name, base, len };
        segment.write_header(Header { data_size, width, kind });
        Ok(segment)
    }

    /// Maps the existing segment `name` and checks its header. On Linux a symbolic link, a
    /// FIFO or a directory under the name is refused, never followed or waited on.
    pub fn open(name: &str) -> Result<Segment, ShmError> {
        let (base, len) = os::open_mapped(name)?;
        let segment = Segment { name: name.to_owned(), base, len };
        segment.checked_header()?;
        Ok(segment)
    }

    /// The name other processes open it by (starts with `/`).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The header as written by the creator.
    pub fn header(&self) -> Header {
        self.checked_header().expect("header checked when the segment was mapped")
    }

    /// The first data byte; data offsets count from here.
    pub fn data(&self) -> *mut u8 {
        // SAFETY: the mapping is at least HEADER_SIZE bytes long (checked when mapped).
        unsafe { self.base.as_ptr().add(HEADER_SIZE) }
    }

    /// Bytes of data.
    pub fn data_size(&self) -> usize {
        self.len - HEADER_SIZE
    }

    /// Removes the name, so that no new process can open the segment. Mappings stay valid.
    pub fn unlink(&self) -> io::Result<()> {
        unlink(&self.name)
    }

    fn write_header(&self, header: Header) {
        let mut bytes = [0u8; HEADER_SIZE];
        bytes[0..8].copy_from_slice(&MAGIC);
        bytes[8..12].copy_from_slice(&VERSION.to_ne_bytes());
        bytes[12..16].copy_from_slice(&(HEADER_SIZE as u32).to_ne_bytes());
        bytes[16..24].copy_from_slice(&(header.data_size as u64).to_ne_bytes());
        bytes[24..28].copy_from_slice(&header.width.to_ne_bytes());
        bytes[28..32].copy_from_slice(&(header.kind as u32).to_ne_bytes());
        // SAFETY: the mapping is at least HEADER_SIZE bytes and nobody else knows the name
        // yet (it was just created with O_EXCL under a random name).
        unsafe { std::ptr::copy_nonoverlapping(bytes.as_ptr(), self.base.as_ptr(), HEADER_SIZE) };
    }

    fn checked_header(&self) -> Result<Header, ShmError> {
        let bad = |why: &str| Err(not_a_segment(&self.name, why));
        if self.len < HEADER_SIZE {
            return bad("too small for a header");
        }
        let mut bytes = [0u8; HEADER_SIZE];
        // SAFETY: the mapping is at least HEADER_SIZE bytes; the header is written once, by
        // the creator, before the name is known to anyone else.
        unsafe { std::ptr::copy_nonoverlapping(self.base.as_ptr(), bytes.as_mut_ptr(), HEADER_SIZE) };
        let u32_at = |i: usize| u32::from_ne_bytes(bytes[i..i + 4].try_into().expect("4 bytes"));
        if bytes[0..8] != MAGIC {
            return bad("wrong magic");
        }
        if u32_at(8) != VERSION {
            return bad(&format!("layout version {} (this build reads {VERSION})", u32_at(8)));
        }
        if u32_at(12) as usize != HEADER_SIZE {
            return bad("wrong header size");
        }
        let data_size = u64::from_ne_bytes(bytes[16..24].try_into().expect("8 bytes"));
        let fits = |d: &usize| HEADER_SIZE.checked_add(*d) == Some(self.len);
        let Some(data_size) = usize::try_from(data_size).ok().filter(fits) else {
            return bad("its data size does not match its length");
        };
        let Some(kind) = Kind::from_value(u32_at(28)) else { return bad("unknown kind") };
        Ok(Header { data_size, width: u32_at(24), kind })
    }
}

impl Drop for Segment {
    fn drop(&mut self) {
        // SAFETY: `base`/`len` are this segment's own mapping, unmapped once, here; the
        // owner of the Segment guarantees no region into it is used afterwards.
        unsafe { os::unmap(self.base, self.len) };
    }
}

/// Removes segment `name` (mappings stay valid).
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
    fn names_are_fresh_and_objects_private() {
        let a = Segment::create(8, 8, Kind::Uint).unwrap();
        let b = Segment::create(8, 8, Kind::Uint).unwrap();
        assert_ne!(a.name(), b.name());
        assert_eq!(os::mode_of(a.name()).unwrap() & 0o777, 0o600);
        a.unlink().unwrap();
        b.unlink().unwrap();
    }

    #[test]
    fn foreign_objects_are_refused() {
        let name = os::create_raw_for_test(10).unwrap();
        let refused = Segment::open(&name).unwrap_err();
        assert!(refused.to_string().contains("not an atomics segment"), "{refused}");
        unlink(&name).unwrap();
    }

    /// An object of `len` bytes whose header says `data_size` (written through `/dev/shm`).
    #[cfg(target_os = "linux")]
    fn forged(len: u64, data_size: u64) -> String {
        use std::io::Write;
        let name = os::create_raw_for_test(len).unwrap();
        let mut header = [0u8; HEADER_SIZE];
        header[0..8].copy_from_slice(&MAGIC);
        header[8..12].copy_from_slice(&VERSION.to_ne_bytes());
        header[12..16].copy_from_slice(&(HEADER_SIZE as u32).to_ne_bytes());
        header[16..24].copy_from_slice(&data_size.to_ne_bytes());
        let mut file = std::fs::OpenOptions::new().write(true).open(format!("/dev/shm{name}")).unwrap();
        file.write_all(&header).unwrap();
        name
    }

    /// On 32-bit targets a data size of 2**32 + 8 must not be read as 8.
    #[cfg(target_os = "linux")]
    #[test]
    fn a_data_size_beyond_the_address_space_is_refused() {
        let name = forged(HEADER_SIZE as u64 + 8, (1 << 32) + 8);
        match Segment::open(&name) {
            Err(ShmError::Format(message)) => assert!(message.ends_with("its data size does not match its length")),
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
            Err(ShmError::Io(e)) if usize::BITS == 32 => assert_eq!(e.kind(), std::io::ErrorKind::OutOfMemory, "{e}"),
            other => panic!("{other:?}"),
        }
        unlink(&name).unwrap();
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn links_fifos_directories_and_empty_files_are_refused() {
        use rustix::fs::{mknodat, symlink, FileType, Mode, CWD};

        let segment = Segment::create(8, 8, Kind::Int).unwrap();
        let path = |what: &str| format!("/dev/shm/atomics_test{what}{}", std::process::id());
        let (link, fifo, dir, empty) = (path("link"), path("fifo"), path("dir"), path("empty"));
        symlink(format!("/dev/shm{}", segment.name()), &link).unwrap();
        mknodat(CWD, &fifo, FileType::Fifo, Mode::RUSR | Mode::WUSR, 0).unwrap();
        std::fs::create_dir(&dir).unwrap();
        std::fs::File::create(&empty).unwrap();
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
}
