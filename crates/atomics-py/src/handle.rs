//! What an initialised atomic or array of atomics holds, and everything the two kinds of
//! object share. A single atomic is an array of one element: its operations are the element
//! operations of element 0.

use std::sync::Arc;

use atomics_core::{supported_ops, Error, MemoryOrder, OpType, RegionArray, ValueKind, Width};
use pyo3::exceptions::{PyMemoryError, PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyInt, PyList};

use crate::bulk::{self, Parsed};
use crate::convert::{self, memory_order};
use crate::errors::{core_error, py_op_type, unsupported_width, Imported};
use crate::memory::{released_error, Backing};
use crate::shared::{create_backing, segment_kind, SharedSegment};
use crate::target::Target;
use crate::values::Values;

/// The memory of an atomic (one element) or of an array of atomics, and what its values are.
/// Immutable once made.
pub(crate) struct Handle {
    backing: Arc<Backing>,
    array: RegionArray,
    kind: ValueKind,
    /// Signedness as passed in (`atomics` 1.0 shows it raw: `signed=1`).
    signed_obj: Py<PyAny>,
}

/// Where the memory of a new object comes from.
pub(crate) enum Source<'a, 'py> {
    /// Private zeroed memory.
    Owned,
    /// A new shared-memory segment of its own.
    NewSegment,
    /// Data offset `offset` of a segment.
    Segment(&'a Bound<'py, SharedSegment>, usize),
    /// The whole of an object's buffer, exported and pinned until released.
    Buffer(&'a Bound<'py, PyAny>),
}

/// `length * width` bytes for `length` atomics (an int) of `width` bytes.
fn array_bytes(length: &Bound<'_, PyAny>, width: usize) -> PyResult<usize> {
    let Ok(length) = length.cast::<PyInt>() else {
        return Err(PyTypeError::new_err("Argument 'length' must have type 'int'."));
    };
    if length.lt(0)? {
        return Err(PyValueError::new_err("Negative length"));
    }
    length
        .extract::<usize>()
        .ok()
        .and_then(|n| n.checked_mul(width))
        .filter(|&b| b <= isize::MAX as usize)
        .ok_or_else(|| PyMemoryError::new_err(format!("an array of {length} atomics of width {width} is too large")))
}

/// A width argument that atomics of `kind` can have on this CPU.
pub(crate) fn checked_width(py: Python<'_>, width: &Bound<'_, PyAny>, kind: ValueKind) -> PyResult<usize> {
    let bytes = convert::width(width)?;
    match Width::supported(bytes) {
        Some(w) if kind.has_width(w) => Ok(bytes),
        _ => Err(unsupported_width(py, bytes)),
    }
}

/// `atomics.shared._rebuild`: makes an unpickled object over its segment.
static REBUILD: Imported = Imported::new("atomics.shared", "_rebuild");

impl Handle {
    /// New memory from `source` for `length` atomics (None: a single atomic) of `width`
    /// bytes, holding values of `kind` (signed as `signed_obj` says).
    pub(crate) fn new(
        py: Python<'_>,
        source: Source<'_, '_>,
        length: Option<&Bound<'_, PyAny>>,
        width: &Bound<'_, PyAny>,
        kind: ValueKind,
        signed_obj: &Bound<'_, PyAny>,
    ) -> PyResult<Handle> {
        let width = checked_width(py, width, kind)?;
        if let Source::Buffer(buffer) = source {
            let (backing, ptr, bytes, readonly) = Backing::from_buffer(buffer, "Argument")?;
            // SAFETY: the export pins `bytes` bytes at `ptr` (writable unless `readonly`)
            // until the backing is released.
            return unsafe { Handle::over(py, backing, ptr, bytes, width, readonly, kind, signed_obj) };
        }
        let bytes = match length {
            Some(length) => array_bytes(length, width)?,
            None => width,
        };
        let what = || match length {
            Some(_) => format!("an array of {bytes} bytes"),
            None => format!("an atomic of width {width}"),
        };
        let (backing, ptr) = match source {
            Source::Owned => Backing::owned(bytes)
                .ok_or_else(|| PyMemoryError::new_err(format!("cannot allocate {bytes} bytes for an array")))?,
            Source::NewSegment => {
                if bytes == 0 {
                    return Err(PyValueError::new_err("a shared array needs at least one atomic"));
                }
                let header_width = if length.is_some() { width } else { bytes };
                let backing = create_backing(py, bytes, header_width as u32, segment_kind(kind))?;
                let ptr = backing.segment_range(0, bytes, what)?;
                (backing, ptr)
            }
            Source::Segment(segment, offset) => {
                let backing = segment.get().backing.clone();
                let ptr = backing.segment_range(offset, bytes, what)?;
                (backing, ptr)
            }
            Source::Buffer(_) => return Err(PyTypeError::new_err("a buffer's memory is made above")),
        };
        // SAFETY: `Backing::owned` gave `bytes` zeroed bytes at `ptr`, freed with the backing;
        // `segment_range` checked that they are inside the segment's data, mapped until the
        // backing is released or dropped.
        unsafe { Handle::over(py, backing, ptr, bytes, width, false, kind, signed_obj) }
    }

    /// The `bytes` bytes at `ptr` of `backing`, as atomics of `width`.
    ///
    /// # Safety
    /// `ptr..ptr + bytes` lies inside `backing`'s memory, valid (writable unless `readonly`)
    /// while the backing is not released (see `Backing::from_buffer` for what the library
    /// relies on about other accesses to it).
    #[allow(clippy::too_many_arguments)]
    unsafe fn over(
        py: Python<'_>,
        backing: Arc<Backing>,
        ptr: *mut u8,
        bytes: usize,
        width: usize,
        readonly: bool,
        kind: ValueKind,
        signed_obj: &Bound<'_, PyAny>,
    ) -> PyResult<Handle> {
        // SAFETY: forwarded from the caller.
        let array = unsafe { RegionArray::new(ptr, bytes, width, readonly) }.map_err(|e| core_error(py, e))?;
        if !kind.has_width(array.width()) {
            return Err(core_error(py, Error::UnsupportedWidth { width, readonly }));
        }
        backing.check_items(kind, array.width(), "a buffer")?;
        Ok(Handle { backing, array, kind, signed_obj: signed_obj.clone().unbind() })
    }

    /// A view's memory: the region a view context exported, as one atomic.
    pub(crate) fn view(
        py: Python<'_>,
        backing: Arc<Backing>,
        array: RegionArray,
        kind: ValueKind,
        signed_obj: &Bound<'_, PyAny>,
    ) -> PyResult<Handle> {
        if !kind.has_width(array.width()) {
            let (width, readonly) = (array.width().bytes(), array.readonly());
            return Err(core_error(py, Error::UnsupportedWidth { width, readonly }));
        }
        backing.check_items(kind, array.width(), "a buffer")?;
        Ok(Handle { backing, array, kind, signed_obj: signed_obj.clone().unbind() })
    }

    /// A second handle on the same memory.
    pub(crate) fn share(&self, py: Python<'_>) -> Handle {
        Handle { backing: self.backing.clone(), signed_obj: self.signed_obj.clone_ref(py), ..*self }
    }

    /// A handle on element `index` of this array, as a single atomic (`array.element(i)`).
    pub(crate) fn element_handle(&self, py: Python<'_>, index: &Bound<'_, PyAny>) -> PyResult<Handle> {
        let i = bulk::element_index(index, self.array()?.len())?;
        let array = self.array.get(i).map_err(|e| core_error(py, e))?.into();
        Ok(Handle { backing: self.backing.clone(), array, kind: self.kind, signed_obj: self.signed_obj.clone_ref(py) })
    }

    /// The atomics, or the released `ValueError`.
    pub(crate) fn array(&self) -> PyResult<&RegionArray> {
        self.backing.check_open()?;
        Ok(&self.array)
    }

    /// The single atomic (element 0) as family `V` sees it, or the released `ValueError`:
    /// checked here, before a method looks at any argument, as `atomics` 1.0 does. One load
    /// of the flag; what keeps the memory valid is the later `Backing::enter`, since
    /// converting the arguments can run Python code that releases it.
    #[inline(always)]
    pub(crate) fn target<V: Values>(&self) -> PyResult<Target<'_, V>> {
        self.backing.check_open()?;
        let region = self.array.get(0).map_err(|_| released_error())?;
        Ok(Target::new(region, &self.backing, self.kind))
    }

    /// The single atomic as family `V` sees it, or `None` if this is an empty array; released
    /// or not (for `fast.rs`, whose `Target::try_apply` refuses released memory).
    #[inline(always)]
    pub(crate) fn try_target<V: Values>(&self) -> Option<Target<'_, V>> {
        let region = self.array.get(0).ok()?;
        Some(Target::new(region, &self.backing, self.kind))
    }

    /// Element `index` (an int; negative counts from the end) as family `V` sees it, or the
    /// released `ValueError` (checked first, as for [`Handle::target`]).
    #[inline(always)]
    pub(crate) fn element<V: Values>(&self, index: &Bound<'_, PyAny>) -> PyResult<Target<'_, V>> {
        self.backing.check_open()?;
        let i = bulk::element_index(index, self.array.len())?;
        let region = self.array.get(i).map_err(|e| core_error(index.py(), e))?;
        Ok(Target::new(region, &self.backing, self.kind))
    }

    pub(crate) fn kind(&self) -> ValueKind {
        self.kind
    }

    pub(crate) fn signed_obj(&self) -> &Py<PyAny> {
        &self.signed_obj
    }

    pub(crate) fn backing(&self) -> &Arc<Backing> {
        &self.backing
    }

    /// The operations each atomic supports, as `OpType`s by ascending value.
    pub(crate) fn ops_supported<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyList>> {
        let array = self.array()?;
        let ops = supported_ops(array.width(), array.readonly(), self.kind)
            .map(|op| py_op_type(py, op))
            .collect::<PyResult<Vec<_>>>()?;
        PyList::new(py, ops)
    }

    /// The name of the segment the memory is in and its data offset, if it is in one.
    pub(crate) fn segment_place(&self) -> Option<(&str, usize)> {
        self.backing.segment_place(self.array.address())
    }

    /// `__reduce_ex__` of `obj` (whose memory this is): in a segment, a call of
    /// `atomics.shared._rebuild` that maps the same memory in the receiving process;
    /// `length` is None for a single atomic. Private memory and views refuse, naming
    /// `alternative`.
    pub(crate) fn reduce<'py>(
        &self,
        obj: &Bound<'py, PyAny>,
        length: Option<usize>,
        alternative: &str,
    ) -> PyResult<Bound<'py, PyAny>> {
        let py = obj.py();
        let Some((name, offset)) = self.segment_place() else {
            return Err(PyTypeError::new_err(format!(
                "cannot pickle '{}' object: its memory is private to this process; {alternative} makes one \
                 that pickles by reference",
                obj.get_type().name()?
            )));
        };
        let array = self.array()?;
        let integral = self.kind.family() == atomics_core::Family::Int;
        let args = (obj.get_type(), name, offset, length, array.width().bytes(), integral, self.signed_obj.bind(py));
        (REBUILD.get(py)?, args).into_pyobject(py).map(|t| t.into_any())
    }

    /// `<form>_at(indices, values, order)` of the bulk forms: `op` at every index.
    pub(crate) fn update_at<V: Values>(
        &self,
        py: Python<'_>,
        op: OpType,
        indices: &Bound<'_, PyAny>,
        values: &Bound<'_, PyAny>,
        order: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<()> {
        let array = *self.array()?;
        array.check_supported(op).map_err(|e| core_error(py, e))?;
        let order = memory_order(order, "order")?;
        let indices = bulk::indices(indices, array.len())?;
        let parsed: Parsed = bulk::operands::<V>(values, array.width(), self.kind == ValueKind::Int, "values")?;
        // The memory is in use for the writes only, never while an error runs Python code.
        let outcome = {
            let _admitted = self.backing.admit()?;
            array.update_at(op, self.kind, &indices, parsed.operands(), order)
        };
        outcome.map_err(|e| core_error(py, e))
    }

    /// `store_all(values, order)`.
    pub(crate) fn store_all<V: Values>(
        &self,
        py: Python<'_>,
        values: &Bound<'_, PyAny>,
        order: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<()> {
        let array = *self.array()?;
        array.check_supported(OpType::Store).map_err(|e| core_error(py, e))?;
        let order = memory_order(order, "order")?;
        let parsed = bulk::operands::<V>(values, array.width(), self.kind == ValueKind::Int, "values")?;
        let outcome = {
            let _admitted = self.backing.admit()?;
            array.store_all(parsed.operands(), order)
        };
        outcome.map_err(|e| core_error(py, e))
    }

    /// Loads every atomic into `out` (`nbytes` bytes).
    pub(crate) fn load_into(&self, py: Python<'_>, out: &mut [u8], order: MemoryOrder) -> PyResult<()> {
        let outcome = {
            let _admitted = self.backing.admit()?;
            self.array.load_all(out, order)
        };
        outcome.map_err(|e| core_error(py, e))
    }
}
