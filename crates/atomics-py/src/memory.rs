//! The memory an atomic object operates on: its own allocation, or a buffer exported by a
//! Python object (`bytearray`, `mmap`, shared memory, numpy, ...) and pinned until released.

use std::cell::UnsafeCell;
use std::ffi::c_int;
use std::ptr::NonNull;
use std::sync::Mutex;

use atomics_core::{Error, Region};
use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::ffi;
use pyo3::prelude::*;

use crate::errors::core_error;
use crate::guard::{Entered, ReleaseGuard};

/// 16 zeroed bytes aligned for every width: the memory of an `atomic()` object.
#[repr(C, align(16))]
struct OwnedCell(UnsafeCell<[u8; 16]>);

enum Owner {
    /// Private memory (a leaked `Box`), freed by `Drop`; reached only through the region.
    Owned(NonNull<OwnedCell>),
    /// A Python buffer export, released at most once (`None` after release).
    Buffer(Mutex<Option<Box<ffi::Py_buffer>>>),
}

/// Memory shared by every object made over it (an atomic and its copies, a view context and
/// its views). Released at most once, and then for all of them; dropping one object never
/// releases it for the others.
pub(crate) struct Memory {
    region: Region,
    guard: ReleaseGuard,
    owner: Owner,
}

// SAFETY: the region is only accessed atomically (see `Region`), the buffer slot is behind a
// mutex and only touched with the interpreter attached, and the owned cell is only reached
// through the region.
unsafe impl Send for Memory {}
// SAFETY: as above.
unsafe impl Sync for Memory {}

/// A region admitted for one operation (see [`Memory::enter`]).
pub(crate) struct InUse<'a> {
    region: &'a Region,
    _entered: Entered<'a>,
}

impl std::ops::Deref for InUse<'_> {
    type Target = Region;

    #[inline(always)]
    fn deref(&self) -> &Region {
        self.region
    }
}

/// The error of every operation on released memory.
pub(crate) fn released_error() -> PyErr {
    PyValueError::new_err("Operation forbidden on released AtomicCore object.")
}

impl Memory {
    /// Zeroed private memory of `width` bytes, which must be a supported width.
    pub(crate) fn owned(width: usize) -> Result<Memory, Error> {
        let cell = NonNull::from(Box::leak(Box::new(OwnedCell(UnsafeCell::new([0; 16])))));
        // SAFETY: the cell is 16 bytes, 16-aligned, freed only by Memory's Drop (after the
        // last use of the region), and reached only through the region.
        match unsafe { Region::new(cell.as_ptr().cast(), width, false) } {
            Ok(region) => Ok(Memory { region, guard: ReleaseGuard::new(), owner: Owner::Owned(cell) }),
            Err(error) => {
                // SAFETY: `cell` came from Box::leak above and is not used again.
                drop(unsafe { Box::from_raw(cell.as_ptr()) });
                Err(error)
            }
        }
    }

    /// Exports `obj`'s buffer and keeps it pinned (the exporter refuses to resize or close)
    /// until [`Memory::release`] or drop. `what` names the argument in error messages.
    pub(crate) fn from_buffer(obj: &Bound<'_, PyAny>, what: &str) -> PyResult<Memory> {
        let buffer = export(obj, what)?;
        // SAFETY: `buffer` was filled by a successful PyObject_GetBuffer.
        let (ptr, len, readonly) = (buffer.buf.cast::<u8>(), buffer.len as usize, buffer.readonly != 0);
        // SAFETY: the export keeps `len` bytes at `ptr` valid, writable unless `readonly`,
        // until it is released, which happens only after the guard admits no more operations.
        // `Region::new` also asks that every other access be atomic and of the same width;
        // Python code can break that (plain `buf[0] = 1`, or views of another width over
        // overlapping bytes). Rust's model calls such races undefined; the hardware does not:
        // every access here is one aligned instruction, which x86-64 and AArch64 define for
        // mixed sizes and plain stores. The library relies on those hardware semantics, as
        // C and C++ programs sharing memory with atomics do.
        match unsafe { Region::new(ptr, len, readonly) } {
            Ok(region) => {
                Ok(Memory { region, guard: ReleaseGuard::new(), owner: Owner::Buffer(Mutex::new(Some(buffer))) })
            }
            Err(error) => {
                release_buffer(buffer);
                Err(core_error(obj.py(), error))
            }
        }
    }

    /// The region for one operation, or the released `ValueError`. The memory stays valid
    /// while the result lives; hold it for the atomic operation only, never across Python
    /// code (which could wait on a release that waits on this operation).
    #[inline(always)]
    pub(crate) fn enter(&self) -> PyResult<InUse<'_>> {
        match self.guard.enter() {
            Some(entered) => Ok(InUse { region: &self.region, _entered: entered }),
            None => Err(released_error()),
        }
    }

    /// The region's description, or the released `ValueError`.
    pub(crate) fn region(&self) -> PyResult<&Region> {
        if self.guard.is_released() {
            Err(released_error())
        } else {
            Ok(&self.region)
        }
    }

    /// Releases a buffer for every object that uses it (idempotent). Private memory cannot
    /// be released: it lives as long as an object uses it.
    pub(crate) fn release(&self, py: Python<'_>) {
        if let Owner::Buffer(slot) = &self.owner {
            self.guard.release(py, || {
                let taken = slot.lock().unwrap_or_else(|e| e.into_inner()).take();
                if let Some(buffer) = taken {
                    release_buffer(buffer);
                }
            });
        }
    }
}

impl Drop for Memory {
    fn drop(&mut self) {
        match &mut self.owner {
            Owner::Owned(cell) => {
                // SAFETY: `cell` came from Box::leak in `owned`; the region that used it goes
                // away with this Memory.
                drop(unsafe { Box::from_raw(cell.as_ptr()) });
            }
            Owner::Buffer(slot) => {
                if let Some(buffer) = slot.get_mut().unwrap_or_else(|e| e.into_inner()).take() {
                    // Memory is dropped by the last Python object that held it, so the
                    // interpreter is attached; `attach` only confirms it.
                    Python::attach(|_| release_buffer(buffer));
                }
            }
        }
    }
}

/// Exports `obj`'s buffer: writable where the exporter allows it, read-only otherwise,
/// C-contiguous in any case.
fn export(obj: &Bound<'_, PyAny>, what: &str) -> PyResult<Box<ffi::Py_buffer>> {
    // SAFETY: `obj` is a valid object and the interpreter is attached.
    if unsafe { ffi::PyObject_CheckBuffer(obj.as_ptr()) } == 0 {
        return Err(PyTypeError::new_err(format!("{what} 'buffer' must support the buffer protocol.")));
    }
    let mut buffer = Box::new(std::mem::MaybeUninit::<ffi::Py_buffer>::zeroed());
    // PyBUF_RECORDS_RO asks for no writability and no contiguity, so that read-only and
    // strided exporters answer and are judged below with clear errors.
    let flags: c_int = ffi::PyBUF_RECORDS_RO;
    // SAFETY: `buffer` is writable storage for one Py_buffer; on success it must be released
    // exactly once, which the caller's `release_buffer` does.
    if unsafe { ffi::PyObject_GetBuffer(obj.as_ptr(), buffer.as_mut_ptr(), flags) } != 0 {
        return Err(PyErr::fetch(obj.py()));
    }
    // SAFETY: PyObject_GetBuffer succeeded and filled the buffer.
    let buffer = unsafe { Box::from_raw(Box::into_raw(buffer).cast::<ffi::Py_buffer>()) };
    // SAFETY: `buffer` is a filled Py_buffer.
    if unsafe { ffi::PyBuffer_IsContiguous(&*buffer, b'C' as std::ffi::c_char) } == 0 {
        release_buffer(buffer);
        return Err(PyTypeError::new_err(format!("{what} 'buffer' must be C-contiguous.")));
    }
    Ok(buffer)
}

// Taking the box by value makes a second release of the same export impossible.
#[allow(clippy::boxed_local)]
fn release_buffer(mut buffer: Box<ffi::Py_buffer>) {
    // SAFETY: `buffer` was filled by PyObject_GetBuffer and is released exactly once (the box
    // is consumed); the interpreter is attached at every call site.
    unsafe { ffi::PyBuffer_Release(&mut *buffer) }
}

/// The address and length of `obj`'s buffer, exported only for the time of the call.
pub(crate) fn buffer_extent(obj: &Bound<'_, PyAny>, what: &str) -> PyResult<(usize, usize)> {
    let buffer = export(obj, what)?;
    let extent = (buffer.buf as usize, buffer.len as usize);
    release_buffer(buffer);
    Ok(extent)
}
