//! Arrays of atomics: `AtomicArrayBase` (what every array has beyond `AtomicMemoryBase`: its
//! length, release, `load_all` and `store_all`) and one base per family. The per-element
//! operations (`a.fetch_add(i, v)`, ...) and the bulk forms (`a.add_at(indices)`, ...) are
//! installed on each Python class by `operations::install_operations`, like those of single
//! atomics.

use atomics_core::{Error, Family, ValueKind, Width};
use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList, PyTuple};

use crate::atomic::{family_of_class, init, AtomicMemoryBase};
use crate::convert::memory_order;
use crate::errors::{core_error, Imported};
use crate::handle::{Handle, Source};
use crate::memory::Backing;
use crate::shared::SharedSegment;
use crate::values::{Bytes, Floats, Ints, Values};

/// The base of every array of atomics.
#[pyclass(module = "atomics._native", name = "AtomicArrayBase", extends = AtomicMemoryBase, subclass, frozen)]
pub(crate) struct AtomicArrayBase;

fn handle<'a>(slf: &'a Bound<'_, AtomicArrayBase>) -> PyResult<&'a Handle> {
    slf.as_super().get().handle()
}

#[pymethods]
impl AtomicArrayBase {
    /// Makes an uninitialised object; the Python subclass's `__init__` gives it memory.
    #[new]
    #[pyo3(signature = (*_args, **_kwargs))]
    fn new(_args: &Bound<'_, PyTuple>, _kwargs: Option<&Bound<'_, PyDict>>) -> PyClassInitializer<Self> {
        PyClassInitializer::from(AtomicMemoryBase::new()).add_subclass(AtomicArrayBase)
    }

    /// Gives the array private zeroed memory for `length` atomics of `width` bytes.
    fn _init_owned(
        slf: &Bound<'_, Self>,
        length: &Bound<'_, PyAny>,
        width: &Bound<'_, PyAny>,
        is_signed: &Bound<'_, PyAny>,
    ) -> PyResult<()> {
        init_array(slf, Source::Owned, Some(length), width, is_signed)
    }

    /// Makes the array a view of `buffer` (pinned until `release()`), as atomics of `width`.
    fn _init_view(
        slf: &Bound<'_, Self>,
        buffer: &Bound<'_, PyAny>,
        width: &Bound<'_, PyAny>,
        is_signed: &Bound<'_, PyAny>,
    ) -> PyResult<()> {
        init_array(slf, Source::Buffer(buffer), None, width, is_signed)
    }

    /// Gives the array a new shared-memory segment of its own (`array(..., shared=True)`).
    fn _init_new_segment(
        slf: &Bound<'_, Self>,
        length: &Bound<'_, PyAny>,
        width: &Bound<'_, PyAny>,
        is_signed: &Bound<'_, PyAny>,
    ) -> PyResult<()> {
        init_array(slf, Source::NewSegment, Some(length), width, is_signed)
    }

    /// Makes the array the `length` atomics of `width` bytes from data `offset` of `segment`.
    fn _init_segment(
        slf: &Bound<'_, Self>,
        segment: &Bound<'_, SharedSegment>,
        offset: usize,
        length: &Bound<'_, PyAny>,
        width: &Bound<'_, PyAny>,
        is_signed: &Bound<'_, PyAny>,
    ) -> PyResult<()> {
        init_array(slf, Source::Segment(segment, offset), Some(length), width, is_signed)
    }

    /// The number of atomics.
    fn __len__(slf: &Bound<'_, Self>) -> PyResult<usize> {
        Ok(handle(slf)?.array()?.len())
    }

    /// The size in bytes (`len(a) * a.width`).
    #[getter]
    fn nbytes(slf: &Bound<'_, Self>) -> PyResult<usize> {
        Ok(handle(slf)?.array()?.bytes())
    }

    /// Releases the buffer of an array made by `arrayview()` (for this array, the atomics
    /// taken from it with `element()` and copies); every later operation raises
    /// `ValueError`. Idempotent; arrays over their own memory or a segment are not affected
    /// (their memory goes with the last object that uses it).
    fn release(slf: &Bound<'_, Self>) -> PyResult<()> {
        let backing = handle(slf)?.backing();
        if backing.is_buffer() {
            backing.release(slf.py());
        }
        Ok(())
    }

    /// Whether `release()` released the array's buffer.
    #[getter]
    fn released(slf: &Bound<'_, Self>) -> PyResult<bool> {
        Ok(handle(slf)?.backing().is_released())
    }

    fn __enter__(slf: Py<Self>) -> Py<Self> {
        slf
    }

    fn __exit__(
        slf: &Bound<'_, Self>,
        _t: &Bound<'_, PyAny>,
        _e: &Bound<'_, PyAny>,
        _tb: &Bound<'_, PyAny>,
    ) -> PyResult<()> {
        Self::release(slf)
    }

    fn __repr__(slf: &Bound<'_, Self>) -> PyResult<String> {
        let name = slf.get_type().name()?;
        let handle = handle(slf)?;
        let Ok(array) = handle.array() else { return Ok(format!("<released {name}>")) };
        let readonly = if array.readonly() { "True" } else { "False" };
        Ok(format!("{name}(len={}, width={}, readonly={readonly})", array.len(), array.width().bytes()))
    }

    /// Arrays in a shared-memory segment pickle by reference (the receiving process maps the
    /// same segment); others cannot be pickled.
    fn __reduce_ex__<'py>(slf: &Bound<'py, Self>, _protocol: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyAny>> {
        let handle = handle(slf)?;
        let alternative = "atomics.array(length, width, atype, shared=True)";
        handle.reduce(slf.as_any(), Some(handle.array()?.len()), alternative)
    }
}

/// `init` of an array: of its class's family (integral for a class of none). An array reads
/// `is_signed` whatever its family, as it always has (a single atomic only where it is
/// integral).
fn init_array(
    slf: &Bound<'_, AtomicArrayBase>,
    source: Source<'_, '_>,
    length: Option<&Bound<'_, PyAny>>,
    width: &Bound<'_, PyAny>,
    is_signed: &Bound<'_, PyAny>,
) -> PyResult<()> {
    let family = family_of_class::<AtomicIntegralArrayBase, AtomicBytesArrayBase, AtomicFloatArrayBase>(slf.as_any());
    let kind = || {
        let signed = is_signed.is_truthy()?;
        Ok(match family.unwrap_or(Family::Int) {
            Family::Int => ValueKind::integer(signed),
            Family::Bytes => ValueKind::Bytes,
            Family::Float => ValueKind::Float,
        })
    };
    init(slf.as_super(), "AtomicArray", source, length, width, kind, is_signed)
}

/// `array.array`, the type of `load_all()`'s new arrays.
static ARRAY_TYPE: Imported = Imported::new("array", "array");

/// The `array` module type code of values of `kind` and `width` (None: no such code).
fn type_code(kind: ValueKind, width: Width) -> Option<&'static str> {
    let codes: [&str; 4] = match kind {
        ValueKind::Float => ["", "", "f", "d"],
        ValueKind::Int => ["b", "h", "i", "q"],
        ValueKind::Uint => ["B", "H", "I", "Q"],
        ValueKind::Bytes => return None,
    };
    let code = match width {
        Width::W1 => codes[0],
        Width::W2 => codes[1],
        Width::W4 => codes[2],
        Width::W8 => codes[3],
        Width::W16 => "",
    };
    (!code.is_empty()).then_some(code)
}

/// `load_all(out=None, order=SEQ_CST)` of family `V`'s arrays.
fn load_all<'py, V: Values>(
    py: Python<'py>,
    handle: &Handle,
    out: Option<&Bound<'py, PyAny>>,
    order: Option<&Bound<'py, PyAny>>,
) -> PyResult<Bound<'py, PyAny>> {
    let array = *handle.array()?;
    let order = memory_order(order, "order")?;
    let target = match out {
        Some(out) => out.clone(),
        None => match type_code(handle.kind(), array.width()) {
            Some(code) => ARRAY_TYPE.get(py)?.call1((code, [0]))?.mul(array.len())?,
            None => {
                let mut bytes = vec![0u8; array.bytes()];
                handle.load_into(py, &mut bytes, order)?;
                let (width, signed) = (array.width(), handle.kind() == ValueKind::Int);
                let values = bytes
                    .chunks_exact(width.bytes())
                    .map(|chunk| V::build(py, width.from_ne_bytes(chunk), width, signed))
                    .collect::<PyResult<Vec<_>>>()?;
                return Ok(PyList::new(py, values)?.into_any());
            }
        },
    };
    let (view, ptr, len, readonly) = Backing::from_buffer(&target, "Argument 'out'")?;
    view.check_items(handle.kind(), array.width(), "'out'")?;
    if readonly {
        return Err(PyTypeError::new_err("'out' must be a writable buffer"));
    }
    if len != array.bytes() {
        return Err(core_error(py, Error::Length { what: "out", unit: "bytes", expected: array.bytes(), given: len }));
    }
    let (start, end) = (ptr as usize, ptr as usize + len);
    if start < array.address() + array.bytes() && array.address() < end {
        return Err(PyValueError::new_err("'out' overlaps the array"));
    }
    let out_bytes: &mut [u8] = if len == 0 {
        &mut []
    } else {
        // SAFETY: the export pins `len` writable bytes at `ptr` until `view` is released
        // below; they do not overlap the array (checked). Other Python code could touch them
        // meanwhile only by racing on its own output buffer.
        unsafe { std::slice::from_raw_parts_mut(ptr, len) }
    };
    let outcome = handle.load_into(py, out_bytes, order);
    view.release(py);
    outcome?;
    Ok(target)
}

/// The family classes of arrays: their family, `load_all`, `store_all` and indexing.
macro_rules! array_family {
    ($class:ident, $name:literal, $values:ty, { $($own:tt)* }) => {
        #[pyclass(module = "atomics._native", name = $name, extends = AtomicArrayBase, subclass, frozen)]
        pub(crate) struct $class;

        #[pymethods]
        impl $class {

            #[new]
            #[pyo3(signature = (*_args, **_kwargs))]
            fn new(_args: &Bound<'_, PyTuple>, _kwargs: Option<&Bound<'_, PyDict>>) -> PyClassInitializer<Self> {
                AtomicArrayBase::new(_args, _kwargs).add_subclass($class)
            }

            /// Loads every atomic, in index order, each with one atomic load (the array as a
            /// whole is not a snapshot: other threads may change it meanwhile). Into `out`, a
            /// writable buffer of exactly `nbytes` bytes (a numpy array of the right dtype),
            /// if given; otherwise into a new `array.array` (a `list` of values where no type
            /// code fits: bytes and 16-byte integers). Returns what it filled.
            #[pyo3(signature = (out=None, order=None))]
            fn load_all<'py>(
                slf: &Bound<'py, Self>,
                out: Option<&Bound<'py, PyAny>>,
                order: Option<&Bound<'py, PyAny>>,
            ) -> PyResult<Bound<'py, PyAny>> {
                load_all::<$values>(slf.py(), handle(slf.as_super())?, out, order)
            }

            /// Stores into every atomic, in index order: `values` is one value for all, or a
            /// buffer (numpy array) or sequence of one value per atomic.
            #[pyo3(signature = (values, order=None))]
            fn store_all(slf: &Bound<'_, Self>, values: &Bound<'_, PyAny>, order: Option<&Bound<'_, PyAny>>) -> PyResult<()> {
                handle(slf.as_super())?.store_all::<$values>(slf.py(), values, order)
            }

            /// `a[i]`: `a.load(i)`.
            fn __getitem__<'py>(slf: &Bound<'py, Self>, index: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyAny>> {
                handle(slf.as_super())?.element::<$values>(index)?.value(slf.py())
            }

            fn __delitem__(slf: &Bound<'_, Self>, _index: &Bound<'_, PyAny>) -> PyResult<()> {
                Err(PyTypeError::new_err(format!("'{}' object doesn't support item deletion", slf.get_type().name()?)))
            }

            /// `a[i] = v`: `a.store(i, v)`.
            fn __setitem__(slf: &Bound<'_, Self>, index: &Bound<'_, PyAny>, value: &Bound<'_, PyAny>) -> PyResult<()> {
                handle(slf.as_super())?.element::<$values>(index)?.set_value(slf.py(), value)
            }

            $($own)*
        }
    };
}

array_family!(AtomicIntegralArrayBase, "AtomicIntegralArrayBase", Ints, {
    /// Whether values are signed (as passed to the constructor).
    #[getter]
    fn signed(slf: &Bound<'_, Self>) -> PyResult<Py<PyAny>> {
        let handle = handle(slf.as_super())?;
        handle.array()?;
        Ok(handle.signed_obj().clone_ref(slf.py()))
    }
});

array_family!(AtomicFloatArrayBase, "AtomicFloatArrayBase", Floats, {});

array_family!(AtomicBytesArrayBase, "AtomicBytesArrayBase", Bytes, {});
