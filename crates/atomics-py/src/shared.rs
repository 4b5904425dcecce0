//! `atomics.shared.SharedSegment`: named shared-memory segments, and the process's record of
//! the segments it created (so that their names are removed at exit).

use std::sync::{Arc, Mutex, Weak};

use atomics_core::shm::{Kind, Segment, ShmError};
use atomics_core::ValueKind;
use pyo3::exceptions::{PyFileNotFoundError, PyOSError, PyPermissionError, PyValueError};
use pyo3::intern;
use pyo3::prelude::*;
use pyo3::types::PyString;

use crate::errors::{text, Imported};
use crate::memory::Backing;

/// The segments this process created, to unlink at exit those still named.
static CREATED: Mutex<Vec<Weak<Backing>>> = Mutex::new(Vec::new());

fn os_error(e: std::io::Error, name: &str) -> PyErr {
    let message = format!("shared-memory segment {name}: {e}");
    match e.kind() {
        std::io::ErrorKind::NotFound => PyFileNotFoundError::new_err(message),
        std::io::ErrorKind::PermissionDenied => PyPermissionError::new_err(message),
        _ => PyOSError::new_err(message),
    }
}

/// `atomics.shared._unlink_at_exit`: makes sure this process removes, when it ends, the
/// names of the segments it created.
static UNLINK_AT_EXIT: Imported = Imported::new("atomics.shared", "_unlink_at_exit");

/// Creates a segment of `size` data bytes whose name is removed when the returned backing is
/// released or dropped (or when the process ends).
/// The names start with `/atomics_` and the value of the environment variable
/// `ATOMICS_SEGMENT_TAG`, if set (up to 10 characters from `[a-z0-9_]`).
pub(crate) fn create_backing(py: Python<'_>, size: usize, width: u32, kind: Kind) -> PyResult<Arc<Backing>> {
    UNLINK_AT_EXIT.get(py)?.call0()?;
    let tag = std::env::var("ATOMICS_SEGMENT_TAG").unwrap_or_default();
    let segment = Segment::create_tagged(&tag, size, width, kind).map_err(|e| os_error(e, "(new)"))?;
    let backing = Backing::segment(segment, true);
    let mut created = CREATED.lock().unwrap_or_else(|e| e.into_inner());
    created.retain(|weak| weak.strong_count() > 0);
    created.push(Arc::downgrade(&backing));
    Ok(backing)
}

/// The kind a new segment records for values of `kind`.
pub(crate) fn segment_kind(kind: ValueKind) -> Kind {
    match kind {
        ValueKind::Bytes => Kind::Bytes,
        ValueKind::Float => Kind::Float,
        ValueKind::Int => Kind::Int,
        ValueKind::Uint => Kind::Uint,
    }
}

/// Maps the existing segment `name`.
pub(crate) fn attach_backing(name: &str) -> PyResult<(Arc<Backing>, u32, Kind)> {
    let segment = Segment::open(name).map_err(|e| match e {
        ShmError::Io(e) => os_error(e, name),
        ShmError::Format(why) => PyValueError::new_err(why),
    })?;
    let header = segment.header();
    Ok((Backing::segment(segment, false), header.width, header.kind))
}

/// Removes the names of the segments this process created and still names (run when the
/// process ends).
#[pyfunction]
pub(crate) fn unlink_created_segments() {
    let created = std::mem::take(&mut *CREATED.lock().unwrap_or_else(|e| e.into_inner()));
    for backing in created.iter().filter_map(Weak::upgrade) {
        backing.unlink_name_if_owner();
    }
}

/// A named shared-memory segment mapped into this process: a 64-byte header, then `size`
/// bytes of data holding atomics at offsets its users agree on (see `docs/shared-memory.md`).
///
/// `SharedSegment.create(size)` makes a new one (mode 0600, unguessable name) whose name is
/// removed when it is closed, when the last object over it is gone, or at exit, unless
/// `unlink_on_close` is set to False. `SharedSegment.attach(name)` maps an existing one.
/// Closing unmaps it in this process: every atomic over it then raises `ValueError`.
#[pyclass(module = "atomics.shared", name = "SharedSegment", frozen, weakref)]
pub(crate) struct SharedSegment {
    pub(crate) backing: Arc<Backing>,
    width: u32,
    kind: Kind,
}

impl SharedSegment {
    fn segment_name(&self) -> &str {
        self.backing.segment_name().unwrap_or_default()
    }
}

#[pymethods]
impl SharedSegment {
    /// A new segment of `size` data bytes, zeroed.
    #[staticmethod]
    #[pyo3(signature = (size))]
    fn create(py: Python<'_>, size: usize) -> PyResult<Self> {
        if size == 0 {
            return Err(PyValueError::new_err("a segment needs at least one data byte"));
        }
        Ok(SharedSegment { backing: create_backing(py, size, 0, Kind::Layout)?, width: 0, kind: Kind::Layout })
    }

    /// Maps the existing segment `name` (as another process created it).
    #[staticmethod]
    fn attach(name: &str) -> PyResult<Self> {
        let (backing, width, kind) = attach_backing(name)?;
        Ok(SharedSegment { backing, width, kind })
    }

    /// The name to attach it by.
    #[getter]
    fn name<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyString>> {
        text(py, self.segment_name())
    }

    /// Bytes of data after the header.
    #[getter]
    fn size(&self) -> usize {
        self.backing.segment_size().unwrap_or_default()
    }

    /// The width of the single atomic the segment was made for, or 0 for a layout.
    #[getter]
    fn width(&self) -> u32 {
        self.width
    }

    /// 'INT', 'UINT' or 'BYTES' for a segment made for a single atomic, 'LAYOUT' otherwise.
    /// (Interned: no allocation after the first call.)
    #[getter]
    fn kind<'py>(&self, py: Python<'py>) -> Bound<'py, PyString> {
        match self.kind {
            Kind::Layout => intern!(py, "LAYOUT"),
            Kind::Int => intern!(py, "INT"),
            Kind::Uint => intern!(py, "UINT"),
            Kind::Bytes => intern!(py, "BYTES"),
            Kind::Float => intern!(py, "FLOAT"),
        }
        .clone()
    }

    /// Whether `close()` was called.
    #[getter]
    fn closed(&self) -> bool {
        self.backing.is_released()
    }

    /// Whether closing (or dropping the last object over it, or exiting) removes the name:
    /// true for segments this process created. Set it to False to keep the name for
    /// processes that will attach later; then remove it with `unlink()`.
    #[getter]
    fn unlink_on_close(&self) -> bool {
        self.backing.unlinks_on_release()
    }

    #[setter]
    fn set_unlink_on_close(&self, unlink: bool) {
        self.backing.set_unlink_on_release(unlink)
    }

    /// Unmaps the segment in this process (removing its name if `unlink_on_close`). Every
    /// atomic over it then raises `ValueError`; other processes are unaffected. Idempotent.
    fn close(&self, py: Python<'_>) {
        self.backing.release(py)
    }

    /// Removes the name now: no process can attach any more; mappings stay valid.
    fn unlink(&self) -> PyResult<()> {
        let name = self.segment_name();
        atomics_core::shm::unlink(name).map_err(|e| os_error(e, name))
    }

    fn __enter__(slf: Py<Self>) -> Py<Self> {
        slf
    }

    fn __exit__(&self, py: Python<'_>, _exc_type: &Bound<'_, PyAny>, _exc: &Bound<'_, PyAny>, _tb: &Bound<'_, PyAny>) {
        self.close(py)
    }

    /// Pickles by name: the receiving process attaches to the same segment.
    fn __reduce__<'py>(slf: &Bound<'py, Self>) -> PyResult<(Bound<'py, PyAny>, (String,))> {
        Ok((slf.get_type().getattr("attach")?, (slf.get().segment_name().to_owned(),)))
    }

    fn __repr__(&self) -> String {
        let state = if self.closed() { ", closed" } else { "" };
        format!("SharedSegment(name={:?}, size={}{state})", self.segment_name(), self.size())
    }
}
