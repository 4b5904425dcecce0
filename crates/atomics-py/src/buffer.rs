//! Python buffer exports: acquiring one, what its items are, and which items atomics may use.
//!
//! One rule decides which buffers atomics may view (`atomicview`, `arrayview`) or fill
//! (`load_all(out=...)`), by the buffer's struct-module format and item size:
//!
//! | items | integer atomics | float atomics | bytes atomics |
//! |---|---|---|---|
//! | raw bytes: no format, `B`, `b`, `c` | yes | yes | yes |
//! | integers in native byte order | of the width and signedness | no | yes |
//! | floats (`e`, `f`, `d`) in native byte order | no | of the width | yes |
//! | `?`, complex numbers, numbers in the other byte order | no | no | yes |
//! | Python objects (`O`), pointers (`P`, `z`, ...), structures, anything else | no | no | no |
//!
//! So a buffer is never silently reinterpreted as other numbers than it holds, and never
//! written through where its bytes are pointers (a numpy object array, `ctypes.py_object`).

use std::ffi::{c_char, c_int, CStr};

use atomics_core::{ValueKind, Width};
use pyo3::exceptions::PyTypeError;
use pyo3::ffi;
use pyo3::prelude::*;

/// A buffer export, released exactly once, when dropped.
pub(crate) struct Export(Box<ffi::Py_buffer>);

// SAFETY: the export is a description of memory pinned by its exporter; releasing it needs
// the interpreter, which `Drop` attaches, from whichever thread drops it.
unsafe impl Send for Export {}
// SAFETY: shared access only reads the description.
unsafe impl Sync for Export {}

impl Export {
    /// Exports `obj`'s buffer with `flags` (`PyBUF_*`), or the exporter's error.
    pub(crate) fn new(obj: &Bound<'_, PyAny>, flags: c_int) -> PyResult<Export> {
        let mut buffer = Box::new(std::mem::MaybeUninit::<ffi::Py_buffer>::zeroed());
        // SAFETY: `buffer` is writable storage for one Py_buffer, and the interpreter is
        // attached; on success the export is released exactly once, by `Drop`.
        if unsafe { ffi::PyObject_GetBuffer(obj.as_ptr(), buffer.as_mut_ptr(), flags) } != 0 {
            return Err(PyErr::fetch(obj.py()));
        }
        // SAFETY: PyObject_GetBuffer succeeded and filled the buffer.
        Ok(Export(unsafe { Box::from_raw(Box::into_raw(buffer).cast::<ffi::Py_buffer>()) }))
    }

    /// Whether `obj` has the buffer protocol.
    pub(crate) fn is_exporter(obj: &Bound<'_, PyAny>) -> bool {
        // SAFETY: `obj` is a valid object; the check only reads its type.
        unsafe { ffi::PyObject_CheckBuffer(obj.as_ptr()) != 0 }
    }

    /// The first byte.
    pub(crate) fn ptr(&self) -> *mut u8 {
        self.0.buf.cast()
    }

    /// The length in bytes.
    pub(crate) fn len(&self) -> usize {
        self.0.len as usize
    }

    /// Whether the exporter refused write access.
    pub(crate) fn readonly(&self) -> bool {
        self.0.readonly != 0
    }

    /// The number of dimensions (0 for a scalar such as a numpy integer).
    pub(crate) fn ndim(&self) -> usize {
        self.0.ndim as usize
    }

    /// Whether the bytes are one C-contiguous block.
    pub(crate) fn is_c_contiguous(&self) -> bool {
        // SAFETY: `self.0` is a filled Py_buffer.
        unsafe { ffi::PyBuffer_IsContiguous(&*self.0, b'C' as c_char) != 0 }
    }

    /// The bytes, for reading a caller's own argument (indices, values) while the export
    /// lives. Never used on memory that atomics operate on.
    pub(crate) fn bytes(&self) -> &[u8] {
        if self.len() == 0 {
            return &[];
        }
        // SAFETY: the export keeps `len` bytes at `buf` valid until released; they are only
        // read while it lives. Another thread may write them meanwhile (a plain data race on
        // the caller's own buffer, read here as bytes, never as atomics).
        unsafe { std::slice::from_raw_parts(self.ptr(), self.len()) }
    }

    /// What the items are (the export must have been requested with `PyBUF_FORMAT`).
    pub(crate) fn items(&self) -> Items {
        let format = if self.0.format.is_null() {
            b"B".as_slice()
        } else {
            // SAFETY: a requested format is a NUL-terminated string owned by the export.
            unsafe { CStr::from_ptr(self.0.format as *const c_char) }.to_bytes()
        };
        Items::parse(format, self.0.itemsize as usize)
    }
}

impl Drop for Export {
    fn drop(&mut self) {
        // SAFETY: the buffer was filled by PyObject_GetBuffer and is released exactly once,
        // here, with the interpreter attached.
        Python::attach(|_| unsafe { ffi::PyBuffer_Release(&mut *self.0) })
    }
}

/// The kind of number an item format code stands for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ItemKind {
    /// An integer (`b`, `B`, `h`, ... `n`, `N`), signed or not.
    Int { signed: bool },
    /// An IEEE float (`e`, `f`, `d`).
    Float,
    /// A complex number: two IEEE floats (`Ze`, `Zf`, `Zd`).
    Complex,
    /// `?`.
    Bool,
    /// `c`: one raw byte.
    Char,
}

/// The items of a buffer: one number per item, or something else.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Items {
    /// The number each item is, or None for anything else (objects, pointers, structures).
    pub(crate) kind: Option<ItemKind>,
    /// Whether the items are in this machine's byte order (always true for one byte).
    pub(crate) native: bool,
    /// Bytes per item.
    pub(crate) size: usize,
    /// The format as the exporter gave it, for messages.
    format: String,
}

impl Items {
    /// The items of struct-module `format`, each `size` bytes.
    pub(crate) fn parse(format: &[u8], size: usize) -> Items {
        let (order, code) = match format {
            [order @ (b'@' | b'=' | b'<' | b'>' | b'!'), code @ ..] => (*order, code),
            code => (b'@', code),
        };
        let native = size == 1
            || match order {
                b'<' => cfg!(target_endian = "little"),
                b'>' | b'!' => cfg!(target_endian = "big"),
                _ => true,
            };
        let kind = match code {
            [b'b' | b'h' | b'i' | b'l' | b'q' | b'n'] => Some(ItemKind::Int { signed: true }),
            [b'B' | b'H' | b'I' | b'L' | b'Q' | b'N'] => Some(ItemKind::Int { signed: false }),
            [b'e' | b'f' | b'd'] => Some(ItemKind::Float),
            [b'Z', b'e' | b'f' | b'd'] => Some(ItemKind::Complex),
            [b'?'] => Some(ItemKind::Bool),
            [b'c'] => Some(ItemKind::Char),
            _ => None,
        };
        Items { kind, native, size, format: String::from_utf8_lossy(format).into_owned() }
    }

    /// Whether the items are raw bytes.
    fn raw_bytes(&self) -> bool {
        self.size == 1 && matches!(self.kind, Some(ItemKind::Int { .. } | ItemKind::Char))
    }

    /// Whether atomics of `width` holding values of `kind` may use these items (the table
    /// in the module docs).
    fn usable_by(&self, kind: ValueKind, width: Width) -> bool {
        let Some(item) = self.kind else { return false };
        if self.raw_bytes() || kind == ValueKind::Bytes {
            return true;
        }
        let fits = self.native && self.size == width.bytes();
        match (kind, item) {
            (ValueKind::Int, ItemKind::Int { signed }) => fits && signed,
            (ValueKind::Uint, ItemKind::Int { signed }) => fits && !signed,
            (ValueKind::Float, ItemKind::Float) => fits,
            _ => false,
        }
    }

    /// Refuses, with a `TypeError` naming `what` (`"a buffer"`, `"'out'"`), items that
    /// atomics of `width` holding values of `kind` may not use.
    pub(crate) fn check_usable_by(&self, kind: ValueKind, width: Width, what: &str) -> PyResult<()> {
        if self.usable_by(kind, width) {
            return Ok(());
        }
        let n = width.bytes();
        let (family, expected) = match kind {
            ValueKind::Int => ("signed integer", format!("native signed integers of {n} bytes")),
            ValueKind::Uint => ("unsigned integer", format!("native unsigned integers of {n} bytes")),
            ValueKind::Float => ("float", format!("native floats of {n} bytes")),
            ValueKind::Bytes => ("bytes", "numbers (not Python objects, pointers or structures)".to_owned()),
        };
        Err(PyTypeError::new_err(format!(
            "{what} of format '{}' cannot hold {family} atomics of width {n}: it must hold raw bytes (format 'B') or {expected}",
            self.format
        )))
    }
}

/// Exports `obj`'s buffer with its format: writable where the exporter allows it, read-only
/// otherwise, C-contiguous in any case.
pub(crate) fn export(obj: &Bound<'_, PyAny>, what: &str) -> PyResult<Export> {
    if !Export::is_exporter(obj) {
        return Err(PyTypeError::new_err(format!("{what} 'buffer' must support the buffer protocol.")));
    }
    // PyBUF_RECORDS_RO asks for no writability and no contiguity, so that read-only and
    // strided exporters answer and are judged below with clear errors.
    let export = Export::new(obj, ffi::PyBUF_RECORDS_RO)?;
    if !export.is_c_contiguous() {
        return Err(PyTypeError::new_err(format!("{what} 'buffer' must be C-contiguous.")));
    }
    Ok(export)
}

/// The address and length of `obj`'s buffer, exported only for the time of the call.
pub(crate) fn buffer_extent(obj: &Bound<'_, PyAny>, what: &str) -> PyResult<(usize, usize)> {
    let export = export(obj, what)?;
    Ok((export.ptr() as usize, export.len()))
}
