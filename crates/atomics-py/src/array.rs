//! Arrays of atomics: `AtomicArrayBase` (what every array has: its memory, length, pickling)
//! and one base per value family with the bulk operations (`load_all`, `store_all`,
//! `add_at`, ...). The per-element operations (`a.fetch_add(i, v)`, ...) are installed on
//! each Python class by `methods::install_operations`, like those of single atomics.

use std::sync::{Arc, OnceLock};

use atomics_core::{supported_ops, Arithmetic, MemoryOrder, OpType, RegionArray, Width};
use pyo3::exceptions::{PyMemoryError, PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList, PyTuple};

use crate::atomic::checked_width;
use crate::bulk::{self, Parsed};
use crate::convert::memory_order;
use crate::errors::{core_error, py_op_type, Imported};
use crate::handle::Family;
use crate::memory::{released_error, Backing};
use crate::shared::{create_backing, segment_kind, SharedSegment};
use crate::values::{Bytes, Floats, Ints, Values};

/// An initialised array: its memory and how it reads it. Immutable once made.
pub(crate) struct ArrayHandle {
    backing: Arc<Backing>,
    array: RegionArray,
    arithmetic: Arithmetic,
    signed: bool,
    signed_obj: Py<PyAny>,
}

impl ArrayHandle {
    /// Element `index` (an int; negative counts from the end) seen through family `V`, or
    /// the released `ValueError`, which comes before the index (or any argument) is looked at.
    #[inline(always)]
    pub(crate) fn element<V: Values>(&self, index: &Bound<'_, PyAny>) -> PyResult<Family<'_, V>> {
        self.backing.check_open()?;
        let i = bulk::element_index(index, self.array.len())?;
        let region = self.array.get(i).map_err(|e| core_error(index.py(), e))?;
        Ok(Family::new(region, &self.backing, self.signed))
    }

    /// The array, or the released `ValueError`.
    fn open(&self) -> PyResult<&RegionArray> {
        self.backing.check_open()?;
        Ok(&self.array)
    }

    /// The backing and the region of element `index`, for an atomic object over it.
    pub(crate) fn element_parts(
        &self,
        py: Python<'_>,
        index: &Bound<'_, PyAny>,
    ) -> PyResult<(Arc<Backing>, atomics_core::Region)> {
        let i = bulk::element_index(index, self.open()?.len())?;
        let region = self.array.get(i).map_err(|e| core_error(py, e))?;
        Ok((self.backing.clone(), region))
    }

    pub(crate) fn arithmetic(&self) -> Arithmetic {
        self.arithmetic
    }

    pub(crate) fn signed_obj(&self) -> &Py<PyAny> {
        &self.signed_obj
    }
}

/// The base of every array of atomics.
#[pyclass(module = "atomics._native", name = "AtomicArrayBase", subclass, frozen)]
pub(crate) struct AtomicArrayBase {
    handle: OnceLock<ArrayHandle>,
}

impl AtomicArrayBase {
    pub(crate) fn handle(&self) -> PyResult<&ArrayHandle> {
        self.handle.get().ok_or_else(released_error)
    }

    /// Initialises the object with the `bytes` bytes at `ptr` of `backing`, as atomics of
    /// `width` (checked for the family).
    ///
    /// # Safety
    /// `ptr..ptr + bytes` lies inside `backing`'s memory, valid (writable unless `readonly`)
    /// while the backing is not released.
    unsafe fn init(
        slf: &Bound<'_, Self>,
        backing: Arc<Backing>,
        ptr: *mut u8,
        bytes: usize,
        width: usize,
        readonly: bool,
        is_signed: &Bound<'_, PyAny>,
    ) -> PyResult<()> {
        let py = slf.py();
        let this = slf.get();
        if this.handle.get().is_some() {
            return Err(PyValueError::new_err("AtomicArray object cannot be re-initialised."));
        }
        let arithmetic = family_of(slf);
        // SAFETY: forwarded from the caller: the bytes stay valid while the backing admits
        // operations (see `Backing::from_buffer` for what the library relies on about other
        // accesses to them).
        let array = unsafe { RegionArray::new(ptr, bytes, width, readonly) }.map_err(|e| core_error(py, e))?;
        if !arithmetic.has_width(array.width()) {
            return Err(core_error(py, atomics_core::Error::UnsupportedWidth { width, readonly }));
        }
        let signed = is_signed.is_truthy()?;
        backing.check_items(arithmetic, signed, array.width(), "a buffer")?;
        let handle = ArrayHandle { backing, array, arithmetic, signed, signed_obj: is_signed.clone().unbind() };
        this.handle.set(handle).map_err(|_| PyValueError::new_err("AtomicArray object cannot be re-initialised."))
    }
}

/// The arithmetic of an array's family, from its class.
fn family_of(slf: &Bound<'_, AtomicArrayBase>) -> Arithmetic {
    if slf.is_instance_of::<AtomicFloatArrayBase>() {
        Arithmetic::Float
    } else if slf.is_instance_of::<AtomicIntegralArrayBase>() {
        Arithmetic::Integer
    } else {
        Arithmetic::None
    }
}

/// `length * width` bytes, for a length given as an int.
fn array_bytes(
    py: Python<'_>,
    length: &Bound<'_, PyAny>,
    width: &Bound<'_, PyAny>,
    arithmetic: Arithmetic,
) -> PyResult<(usize, usize)> {
    let width = checked_width(py, width, arithmetic)?;
    let Ok(length) = length.cast::<pyo3::types::PyInt>() else {
        return Err(PyTypeError::new_err("Argument 'length' must have type 'int'."));
    };
    if length.lt(0)? {
        return Err(PyValueError::new_err("Negative length"));
    }
    let bytes = length
        .extract::<usize>()
        .ok()
        .and_then(|n| n.checked_mul(width))
        .filter(|&b| b <= isize::MAX as usize)
        .ok_or_else(|| PyMemoryError::new_err(format!("an array of {length} atomics of width {width} is too large")))?;
    Ok((bytes, width))
}

#[pymethods]
impl AtomicArrayBase {
    /// Makes an uninitialised object; the Python subclass's `__init__` gives it memory.
    #[new]
    #[pyo3(signature = (*_args, **_kwargs))]
    fn new(_args: &Bound<'_, PyTuple>, _kwargs: Option<&Bound<'_, PyDict>>) -> Self {
        AtomicArrayBase { handle: OnceLock::new() }
    }

    /// Gives the array private zeroed memory for `length` atomics of `width` bytes.
    fn _init_owned(
        slf: &Bound<'_, Self>,
        length: &Bound<'_, PyAny>,
        width: &Bound<'_, PyAny>,
        is_signed: &Bound<'_, PyAny>,
    ) -> PyResult<()> {
        let (bytes, width) = array_bytes(slf.py(), length, width, family_of(slf))?;
        let (backing, ptr) = Backing::owned(bytes)
            .ok_or_else(|| PyMemoryError::new_err(format!("cannot allocate {bytes} bytes for an array")))?;
        // SAFETY: `Backing::owned` gave `bytes` zeroed bytes at `ptr`, freed with the backing.
        unsafe { Self::init(slf, backing, ptr, bytes, width, false, is_signed) }
    }

    /// Makes the array a view of `buffer` (pinned until `release()`), as atomics of `width`.
    fn _init_view(
        slf: &Bound<'_, Self>,
        buffer: &Bound<'_, PyAny>,
        width: &Bound<'_, PyAny>,
        is_signed: &Bound<'_, PyAny>,
    ) -> PyResult<()> {
        let width = checked_width(slf.py(), width, family_of(slf))?;
        let (backing, ptr, bytes, readonly) = Backing::from_buffer(buffer, "Argument")?;
        // SAFETY: the export pins `bytes` bytes at `ptr` (writable unless `readonly`) until
        // the backing is released.
        unsafe { Self::init(slf, backing, ptr, bytes, width, readonly, is_signed) }
    }

    /// Gives the array a new shared-memory segment of its own (`array(..., shared=True)`).
    fn _init_new_segment(
        slf: &Bound<'_, Self>,
        length: &Bound<'_, PyAny>,
        width: &Bound<'_, PyAny>,
        is_signed: &Bound<'_, PyAny>,
    ) -> PyResult<()> {
        let arithmetic = family_of(slf);
        let (bytes, width) = array_bytes(slf.py(), length, width, arithmetic)?;
        if bytes == 0 {
            return Err(PyValueError::new_err("a shared array needs at least one atomic"));
        }
        let backing = create_backing(slf.py(), bytes, width as u32, segment_kind(arithmetic, is_signed.is_truthy()?))?;
        let ptr = backing.segment_range(0, bytes, || format!("an array of {bytes} bytes"))?;
        // SAFETY: `segment_range` checked that the bytes are inside the segment's data, mapped
        // until the backing is released or dropped.
        unsafe { Self::init(slf, backing, ptr, bytes, width, false, is_signed) }
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
        let (bytes, width) = array_bytes(slf.py(), length, width, family_of(slf))?;
        let backing = segment.get().backing.clone();
        let ptr = backing.segment_range(offset, bytes, || format!("an array of {bytes} bytes"))?;
        // SAFETY: as in `_init_new_segment`.
        unsafe { Self::init(slf, backing, ptr, bytes, width, false, is_signed) }
    }

    /// The number of atomics.
    fn __len__(&self) -> PyResult<usize> {
        Ok(self.handle()?.open()?.len())
    }

    /// The width of each atomic, in bytes.
    #[getter]
    fn width(&self) -> PyResult<usize> {
        Ok(self.handle()?.open()?.width().bytes())
    }

    /// The size in bytes (`len(a) * a.width`).
    #[getter]
    fn nbytes(&self) -> PyResult<usize> {
        Ok(self.handle()?.open()?.bytes())
    }

    /// Whether the memory is read-only.
    #[getter]
    fn readonly(&self) -> PyResult<bool> {
        Ok(self.handle()?.open()?.readonly())
    }

    /// The operations each atomic of the array supports, as `OpType`s by ascending value.
    #[getter]
    fn ops_supported<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyList>> {
        let handle = self.handle()?;
        let array = handle.open()?;
        let ops = supported_ops(array.width(), array.readonly(), handle.arithmetic)
            .map(|op| py_op_type(py, op))
            .collect::<PyResult<Vec<_>>>()?;
        PyList::new(py, ops)
    }

    /// The address of the first byte.
    #[getter]
    fn _address(&self) -> PyResult<usize> {
        Ok(self.handle()?.open()?.address())
    }

    /// The name of the shared-memory segment the array is in, or None.
    #[getter]
    fn shared_name(&self) -> PyResult<Option<String>> {
        let handle = self.handle()?;
        Ok(handle.backing.segment_place(handle.array.address()).map(|(name, _)| name.to_owned()))
    }

    /// The data offset of the array in its shared-memory segment, or None.
    #[getter]
    fn shared_offset(&self) -> PyResult<Option<usize>> {
        let handle = self.handle()?;
        Ok(handle.backing.segment_place(handle.array.address()).map(|(_, offset)| offset))
    }

    /// Releases the buffer of an array made by `arrayview()` (for this array, the atomics
    /// taken from it with `element()` and copies); every later operation raises
    /// `ValueError`. Idempotent; arrays over their own memory or a segment are not affected
    /// (their memory goes with the last object that uses it).
    fn release(&self, py: Python<'_>) -> PyResult<()> {
        let handle = self.handle()?;
        if handle.backing.is_buffer() {
            handle.backing.release(py);
        }
        Ok(())
    }

    /// Whether `release()` released the array's buffer.
    #[getter]
    fn released(&self) -> PyResult<bool> {
        Ok(self.handle()?.backing.is_released())
    }

    /// A second array over the same memory, of the same class (a cheap per-thread handle).
    /// Dropping either never releases the memory for the other.
    fn __copy__<'py>(slf: &Bound<'py, Self>) -> PyResult<Bound<'py, PyAny>> {
        let py = slf.py();
        let h = slf.get().handle()?;
        let cls = slf.get_type();
        let copy = cls.call_method1("__new__", (&cls,))?;
        let handle = ArrayHandle {
            backing: h.backing.clone(),
            array: h.array,
            arithmetic: h.arithmetic,
            signed: h.signed,
            signed_obj: h.signed_obj.clone_ref(py),
        };
        let target = copy.cast::<AtomicArrayBase>()?.get();
        target.handle.set(handle).map_err(|_| PyValueError::new_err("AtomicArray object cannot be re-initialised."))?;
        Ok(copy)
    }

    fn __deepcopy__(slf: &Bound<'_, Self>, _memo: &Bound<'_, PyAny>) -> PyResult<()> {
        Err(PyTypeError::new_err(format!(
            "cannot deepcopy '{}' object: an array of atomics is its memory; use copy.copy() for a \
             second handle on the same memory",
            slf.get_type().name()?
        )))
    }

    fn __enter__(slf: Py<Self>) -> Py<Self> {
        slf
    }

    fn __exit__(
        &self,
        py: Python<'_>,
        _t: &Bound<'_, PyAny>,
        _e: &Bound<'_, PyAny>,
        _tb: &Bound<'_, PyAny>,
    ) -> PyResult<()> {
        self.release(py)
    }

    fn __repr__(slf: &Bound<'_, Self>) -> PyResult<String> {
        let name = slf.get_type().name()?;
        let handle = slf.get().handle()?;
        if handle.backing.is_released() {
            return Ok(format!("<released {name}>"));
        }
        let array = &handle.array;
        let readonly = if array.readonly() { "True" } else { "False" };
        Ok(format!("{name}(len={}, width={}, readonly={readonly})", array.len(), array.width().bytes()))
    }

    /// Arrays in a shared-memory segment pickle by reference (the receiving process maps the
    /// same segment); others cannot be pickled.
    fn __reduce_ex__<'py>(slf: &Bound<'py, Self>, _protocol: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyAny>> {
        let py = slf.py();
        let handle = slf.get().handle()?;
        let array = handle.open()?;
        let Some((name, offset)) = handle.backing.segment_place(array.address()) else {
            return Err(PyTypeError::new_err(format!(
                "cannot pickle '{}' object: its memory is private to this process; \
                 atomics.array(length, width, atype, shared=True) makes one that pickles by reference",
                slf.get_type().name()?
            )));
        };
        let args = (slf.get_type(), name, offset, array.len(), array.width().bytes(), handle.signed_obj.bind(py));
        (REBUILD_ARRAY.get(py)?, args).into_pyobject(py).map(|t| t.into_any())
    }
}

/// `atomics.arrays._rebuild`: makes an unpickled array over its segment.
static REBUILD_ARRAY: Imported = Imported::new("atomics.arrays", "_rebuild");
/// `array.array`, the type of `load_all()`'s new arrays.
static ARRAY_TYPE: Imported = Imported::new("array", "array");

fn handle<'a, T: pyo3::PyClass<BaseType = AtomicArrayBase>>(slf: &'a Bound<'_, T>) -> PyResult<&'a ArrayHandle> {
    slf.as_super().get().handle()
}

/// The `array` module type code of values of `width` (None: no such code).
fn type_code(arithmetic: Arithmetic, width: Width, signed: bool) -> Option<&'static str> {
    let codes: [&str; 4] = match (arithmetic, signed) {
        (Arithmetic::Float, _) => ["", "", "f", "d"],
        (Arithmetic::Integer, true) => ["b", "h", "i", "q"],
        (Arithmetic::Integer, false) => ["B", "H", "I", "Q"],
        (Arithmetic::None, _) => return None,
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

/// The bulk operations of family `V`'s arrays, shared by the family classes' methods.
struct Bulk<'a, V> {
    handle: &'a ArrayHandle,
    values: std::marker::PhantomData<V>,
}

impl<'a, V: Values> Bulk<'a, V> {
    fn of<T: pyo3::PyClass<BaseType = AtomicArrayBase>>(slf: &'a Bound<'_, T>) -> PyResult<Self> {
        Ok(Bulk { handle: handle(slf)?, values: std::marker::PhantomData })
    }

    /// `load_all(out=None, order=SEQ_CST)`.
    fn load_all<'py>(
        &self,
        py: Python<'py>,
        out: Option<&Bound<'py, PyAny>>,
        order: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let h = self.handle;
        let array = *h.open()?;
        let order = memory_order(order, "order")?;
        let target = match out {
            Some(out) => out.clone(),
            None => match type_code(h.arithmetic, array.width(), h.signed) {
                Some(code) => {
                    let one = ARRAY_TYPE.get(py)?.call1((code, [0]))?;
                    one.mul(array.len())?
                }
                None => {
                    let mut bytes = vec![0u8; array.bytes()];
                    self.load_into(py, &mut bytes, order)?;
                    let width = array.width().bytes();
                    let values = bytes
                        .chunks_exact(width)
                        .map(|chunk| V::build(py, array.width().from_ne_bytes(chunk), array.width(), h.signed))
                        .collect::<PyResult<Vec<_>>>()?;
                    return Ok(PyList::new(py, values)?.into_any());
                }
            },
        };
        let (view, ptr, len, readonly) = Backing::from_buffer(&target, "Argument 'out'")?;
        view.check_items(h.arithmetic, h.signed, array.width(), "'out'")?;
        if readonly {
            return Err(PyTypeError::new_err("'out' must be a writable buffer"));
        }
        if len != array.bytes() {
            return Err(core_error(
                py,
                atomics_core::Error::Length { what: "out", unit: "bytes", expected: array.bytes(), given: len },
            ));
        }
        let (start, end) = (ptr as usize, ptr as usize + len);
        if start < array.address() + array.bytes() && array.address() < end {
            return Err(PyValueError::new_err("'out' overlaps the array"));
        }
        let out_bytes: &mut [u8] = if len == 0 {
            &mut []
        } else {
            // SAFETY: the export pins `len` writable bytes at `ptr` until `view` is released
            // below; they do not overlap the array (checked). Other Python code could touch
            // them meanwhile only by racing on its own output buffer.
            unsafe { std::slice::from_raw_parts_mut(ptr, len) }
        };
        let outcome = self.load_into(py, out_bytes, order);
        view.release(py);
        outcome?;
        Ok(target)
    }

    fn load_into(&self, py: Python<'_>, out: &mut [u8], order: MemoryOrder) -> PyResult<()> {
        let h = self.handle;
        let outcome = {
            let _admitted = h.backing.admit()?;
            h.array.load_all(out, order)
        };
        outcome.map_err(|e| core_error(py, e))
    }

    /// `store_all(values, order=SEQ_CST)`.
    fn store_all(&self, py: Python<'_>, values: &Bound<'_, PyAny>, order: Option<&Bound<'_, PyAny>>) -> PyResult<()> {
        let h = self.handle;
        let array = *h.open()?;
        array.check_supported(OpType::Store).map_err(|e| core_error(py, e))?;
        let order = memory_order(order, "order")?;
        let parsed = bulk::operands::<V>(values, array.width(), h.signed, "values")?;
        // The memory is in use for the stores only, never while an error runs Python code.
        let outcome = {
            let _admitted = h.backing.admit()?;
            array.store_all(parsed.operands(), order)
        };
        outcome.map_err(|e| core_error(py, e))
    }

    /// `<op>_at(indices, values, order=SEQ_CST)`.
    fn update_at(
        &self,
        py: Python<'_>,
        op: OpType,
        indices: &Bound<'_, PyAny>,
        values: &Bound<'_, PyAny>,
        order: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<()> {
        let h = self.handle;
        let array = *h.open()?;
        array.check_supported(op).map_err(|e| core_error(py, e))?;
        let order = memory_order(order, "order")?;
        let indices = bulk::indices(indices, array.len())?;
        let parsed: Parsed = bulk::operands::<V>(values, array.width(), h.signed, "values")?;
        let outcome = {
            let _admitted = h.backing.admit()?;
            array.update_at(op, h.arithmetic, &indices, parsed.operands(), order, h.signed)
        };
        outcome.map_err(|e| core_error(py, e))
    }
}

/// The family classes: their bulk operations and special methods, over `Bulk<V>`.
macro_rules! array_family {
    ($class:ident, $name:literal, $values:ty, [$(($op_name:ident, $op:expr, $doc:literal)),*], { $($own:tt)* }) => {
        #[pyclass(module = "atomics._native", name = $name, extends = AtomicArrayBase, subclass, frozen)]
        pub(crate) struct $class;

        #[pymethods]
        impl $class {
            #[new]
            #[pyo3(signature = (*_args, **_kwargs))]
            fn new(_args: &Bound<'_, PyTuple>, _kwargs: Option<&Bound<'_, PyDict>>) -> PyClassInitializer<Self> {
                PyClassInitializer::from(AtomicArrayBase { handle: OnceLock::new() }).add_subclass($class)
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
                Bulk::<$values>::of(slf)?.load_all(slf.py(), out, order)
            }

            /// Stores into every atomic, in index order: `values` is one value for all, or a
            /// buffer (numpy array) or sequence of one value per atomic.
            #[pyo3(signature = (values, order=None))]
            fn store_all(slf: &Bound<'_, Self>, values: &Bound<'_, PyAny>, order: Option<&Bound<'_, PyAny>>) -> PyResult<()> {
                Bulk::<$values>::of(slf)?.store_all(slf.py(), values, order)
            }

            /// Stores `values` (one value, or one per index) at `indices` (a buffer of
            /// integers such as a numpy array, or a sequence; negative ones count from the
            /// end), in the order given. Every index and value is checked before the first
            /// store.
            #[pyo3(signature = (indices, values, order=None))]
            fn store_at(
                slf: &Bound<'_, Self>,
                indices: &Bound<'_, PyAny>,
                values: &Bound<'_, PyAny>,
                order: Option<&Bound<'_, PyAny>>,
            ) -> PyResult<()> {
                Bulk::<$values>::of(slf)?.update_at(slf.py(), OpType::Exchange, indices, values, order)
            }

            $(
            #[doc = $doc]
            #[doc = ""]
            #[doc = "`indices` is a buffer of integers (a numpy array) or a sequence (negative ones count"]
            #[doc = "from the end); `values` one value for every index (1 if not given) or one per index."]
            #[doc = "Every index and value is checked before the first write; an index that repeats"]
            #[doc = "applies each time; elements change one by one, in an unspecified order."]
            #[pyo3(signature = (indices, values=None, order=None))]
            fn $op_name(
                slf: &Bound<'_, Self>,
                indices: &Bound<'_, PyAny>,
                values: Option<&Bound<'_, PyAny>>,
                order: Option<&Bound<'_, PyAny>>,
            ) -> PyResult<()> {
                let py = slf.py();
                let one = pyo3::types::PyInt::new(py, 1).into_any();
                let values = match values {
                    Some(values) => values,
                    None if <$values as Values>::BYTES => {
                        return Err(PyTypeError::new_err(concat!(stringify!($op_name), "() missing required argument 'values'")));
                    }
                    None => &one,
                };
                Bulk::<$values>::of(slf)?.update_at(py, $op, indices, values, order)
            }
            )*

            /// `a[i]`: `a.load(i)`.
            fn __getitem__<'py>(slf: &Bound<'py, Self>, index: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyAny>> {
                handle(slf)?.element::<$values>(index)?.load(slf.py(), None)
            }

            fn __delitem__(slf: &Bound<'_, Self>, _index: &Bound<'_, PyAny>) -> PyResult<()> {
                Err(PyTypeError::new_err(format!("'{}' object doesn't support item deletion", slf.get_type().name()?)))
            }

            /// `a[i] = v`: `a.store(i, v)`.
            fn __setitem__(slf: &Bound<'_, Self>, index: &Bound<'_, PyAny>, value: &Bound<'_, PyAny>) -> PyResult<()> {
                handle(slf)?.element::<$values>(index)?.store(slf.py(), value, None)
            }

            $($own)*
        }
    };
}

array_family!(
    AtomicIntegralArrayBase,
    "AtomicIntegralArrayBase",
    Ints,
    [
        (add_at, OpType::Add, "Adds `values` at `indices` (a histogram: `a.add_at(samples)`)."),
        (sub_at, OpType::Sub, "Subtracts `values` at `indices`."),
        (max_at, OpType::FetchMax, "Stores the larger of each element and its value."),
        (min_at, OpType::FetchMin, "Stores the smaller of each element and its value."),
        (or_at, OpType::Or, "Bitwise or of each element with its value."),
        (and_at, OpType::And, "Bitwise and of each element with its value."),
        (xor_at, OpType::Xor, "Bitwise exclusive or of each element with its value.")
    ],
    {
        /// Whether values are signed (as passed to the constructor).
        #[getter]
        fn signed(slf: &Bound<'_, Self>) -> PyResult<Py<PyAny>> {
            let handle = handle(slf)?;
            handle.open()?;
            Ok(handle.signed_obj.clone_ref(slf.py()))
        }
    }
);

array_family!(
    AtomicFloatArrayBase,
    "AtomicFloatArrayBase",
    Floats,
    [
        (add_at, OpType::Add, "Adds `values` at `indices` (a histogram: `a.add_at(samples)`)."),
        (sub_at, OpType::Sub, "Subtracts `values` at `indices`."),
        (max_at, OpType::FetchMax, "Stores the larger of each element and its value."),
        (min_at, OpType::FetchMin, "Stores the smaller of each element and its value.")
    ],
    {}
);

array_family!(
    AtomicBytesArrayBase,
    "AtomicBytesArrayBase",
    Bytes,
    [
        (or_at, OpType::Or, "Bitwise or of each element with its value."),
        (and_at, OpType::And, "Bitwise and of each element with its value."),
        (xor_at, OpType::Xor, "Bitwise exclusive or of each element with its value.")
    ],
    {}
);
