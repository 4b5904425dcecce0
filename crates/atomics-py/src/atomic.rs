//! The native bases of the Python classes of single atomics: `AtomicMemoryBase` (what every
//! atomic and every array of atomics has: its memory, and the properties, copying and
//! pickling that come with it), `AtomicBase` (what every single atomic and view has),
//! `AtomicIntegralBase`, `AtomicBytesBase` and `AtomicFloatBase` (one per family), plus
//! `AtomicCore`, the memory a view context hands to its views.
//!
//! The Python package subclasses these with the `atomics` 1.0 class names, constructors and
//! marker types (`INT`, `BYTES`, ...); the operations are installed on each of those classes
//! by `operations::install_operations`. Each method here parses its arguments and calls
//! `Handle`; nothing else.

use std::sync::{Arc, OnceLock};

use atomics_core::{Family, Region, RegionArray, ValueKind};
use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::intern;
use pyo3::prelude::*;
use pyo3::type_object::PyTypeInfo;
use pyo3::types::{PyDict, PyList, PyString, PyTuple, PyType};

use crate::errors::{core_error, text};
use crate::handle::{Handle, Source};
use crate::memory::{released_error, Backing};
use crate::shared::SharedSegment;
use crate::values::{Bytes, Floats, Ints};

/// Memory exported from a buffer by a view context, with the kind of views it makes.
#[pyclass(module = "atomics._native", name = "AtomicCore", frozen)]
pub(crate) struct AtomicCore {
    backing: Arc<Backing>,
    region: Region,
    integral: bool,
    signed: Py<PyAny>,
}

#[pymethods]
impl AtomicCore {
    /// Exports `buffer` (pinning it) and checks that atomics of its size work on it.
    #[new]
    pub(crate) fn new(
        buffer: &Bound<'_, PyAny>,
        is_integral: &Bound<'_, PyAny>,
        is_signed: Py<PyAny>,
    ) -> PyResult<Self> {
        let integral = is_integral.is_truthy()?;
        let (backing, ptr, len, readonly) = Backing::from_buffer(buffer, "Keyword argument")?;
        // SAFETY: the export pins `len` bytes at `ptr`, writable unless `readonly`, for as long
        // as the backing admits operations (see `Backing::from_buffer`).
        let region = unsafe { Region::new(ptr, len, readonly) }.map_err(|e| core_error(buffer.py(), e))?;
        Ok(AtomicCore { backing, region, integral, signed: is_signed })
    }

    /// Releases the buffer for the context and all its views (idempotent).
    pub(crate) fn release(&self, py: Python<'_>) {
        self.backing.release(py)
    }
}

/// What every atomic and every array of atomics has: its memory (see `Handle`).
#[pyclass(module = "atomics._native", name = "AtomicMemoryBase", subclass, frozen)]
pub(crate) struct AtomicMemoryBase {
    handle: OnceLock<Handle>,
}

impl AtomicMemoryBase {
    pub(crate) fn new() -> Self {
        AtomicMemoryBase { handle: OnceLock::new() }
    }

    /// The memory, or (before `__init__` gave it some) the released `ValueError`.
    #[inline(always)]
    pub(crate) fn handle(&self) -> PyResult<&Handle> {
        self.handle.get().ok_or_else(released_error)
    }

    /// The memory, if `__init__` gave it some.
    #[inline(always)]
    pub(crate) fn try_handle(&self) -> Option<&Handle> {
        self.handle.get()
    }

    /// Gives the object its memory, once; `what` names the object in the refusal.
    pub(crate) fn init(&self, what: &str, make: impl FnOnce() -> PyResult<Handle>) -> PyResult<()> {
        let reinit = || PyValueError::new_err(format!("{what} object cannot be re-initialised."));
        if self.handle.get().is_some() {
            return Err(reinit());
        }
        let handle = make()?;
        self.handle.set(handle).map_err(|_| reinit())
    }
}

/// The kind of values of an object of family `of_class` (the family base its class derives
/// from), or for a class of none (`ANY`), from `is_integral`; signed as `is_signed` says.
pub(crate) fn kind_of(
    of_class: Option<Family>,
    is_integral: &Bound<'_, PyAny>,
    is_signed: &Bound<'_, PyAny>,
) -> PyResult<ValueKind> {
    let family = match of_class {
        Some(family) => family,
        None if is_integral.is_truthy()? => Family::Int,
        None => Family::Bytes,
    };
    Ok(match family {
        Family::Int => ValueKind::integer(is_signed.is_truthy()?),
        Family::Bytes => ValueKind::Bytes,
        Family::Float => ValueKind::Float,
    })
}

#[pymethods]
impl AtomicMemoryBase {
    /// The width of each atomic, in bytes.
    #[getter]
    fn width(&self) -> PyResult<usize> {
        Ok(self.handle()?.array()?.width().bytes())
    }

    /// Whether the memory is read-only (only `load` and `bit_test` exist then).
    #[getter]
    fn readonly(&self) -> PyResult<bool> {
        Ok(self.handle()?.array()?.readonly())
    }

    /// The operations each atomic supports, as `OpType`s by ascending value.
    #[getter]
    fn ops_supported<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyList>> {
        self.handle()?.ops_supported(py)
    }

    /// The address of the first byte.
    #[getter]
    fn _address(&self) -> PyResult<usize> {
        Ok(self.handle()?.array()?.address())
    }

    /// The name of the shared-memory segment the memory is in, or None for private memory
    /// and views.
    #[getter]
    fn shared_name<'py>(&self, py: Python<'py>) -> PyResult<Option<Bound<'py, PyString>>> {
        self.handle()?.segment_place().map(|(name, _)| text(py, name)).transpose()
    }

    /// The data offset of the memory in its shared-memory segment, or None.
    #[getter]
    fn shared_offset(&self) -> PyResult<Option<usize>> {
        Ok(self.handle()?.segment_place().map(|(_, offset)| offset))
    }

    /// A second object over the same memory, of the same class (a cheap per-thread handle).
    /// Dropping either never releases the memory for the other.
    fn __copy__<'py>(slf: &Bound<'py, Self>) -> PyResult<Bound<'py, PyAny>> {
        let copy = uninitialised(&slf.get_type())?;
        let shared = slf.get().handle()?.share(slf.py());
        copy.cast::<AtomicMemoryBase>()?.get().init("Atomic", || Ok(shared))?;
        Ok(copy)
    }

    fn __deepcopy__(slf: &Bound<'_, Self>, _memo: &Bound<'_, PyAny>) -> PyResult<()> {
        Err(PyTypeError::new_err(format!(
            "cannot deepcopy '{}' object: an atomic is its memory; use copy.copy() for a second handle on the same \
             memory",
            slf.get_type().name()?
        )))
    }
}

/// Gives `slf` its memory from `source`: `length` atomics (None: a single one) of `width`
/// bytes, holding values of the kind `kind` gives (see [`kind_of`]; called once the object is
/// known to have no memory yet); `what` names the object when it already has memory. The one
/// constructor of atomics and arrays, behind their `_init_*` methods.
pub(crate) fn init(
    slf: &Bound<'_, AtomicMemoryBase>,
    what: &str,
    source: Source<'_, '_>,
    length: Option<&Bound<'_, PyAny>>,
    width: &Bound<'_, PyAny>,
    kind: impl FnOnce() -> PyResult<ValueKind>,
    is_signed: &Bound<'_, PyAny>,
) -> PyResult<()> {
    slf.get().init(what, || Handle::new(slf.py(), source, length, width, kind()?, is_signed))
}

/// The family an object's class fixes: that of the first of the family bases `I`, `B` and
/// `F` (integral, bytes, float) it derives from, or None for a class of none (`ANY`'s).
pub(crate) fn family_of_class<I: PyTypeInfo, B: PyTypeInfo, F: PyTypeInfo>(obj: &Bound<'_, PyAny>) -> Option<Family> {
    if obj.is_instance_of::<I>() {
        Some(Family::Int)
    } else if obj.is_instance_of::<B>() {
        Some(Family::Bytes)
    } else if obj.is_instance_of::<F>() {
        Some(Family::Float)
    } else {
        None
    }
}

/// A new object of class `cls` as its `__new__` makes it, before any `__init__`: what
/// `cls.__new__(cls)` gives, without looking `__new__` up and wrapping the call.
pub(crate) fn uninitialised<'py>(cls: &Bound<'py, PyType>) -> PyResult<Bound<'py, PyAny>> {
    let py = cls.py();
    // SAFETY: `cls` is a valid type object; its slot is read as CPython's `type_call` reads it.
    let Some(tp_new) = (unsafe { (*cls.as_type_ptr()).tp_new }) else {
        return Err(PyTypeError::new_err(format!("cannot create '{}' instances", cls.name()?)));
    };
    let args = PyTuple::empty(py);
    // SAFETY: called as `type_call` calls it: the class, a tuple of arguments and no keywords,
    // with the thread attached; it returns a new reference, or NULL with an exception set.
    unsafe { Bound::from_owned_ptr_or_err(py, tp_new(cls.as_type_ptr(), args.as_ptr(), std::ptr::null_mut())) }
}

/// The `is_integral` and `is_signed` that the `__init__` of `cls`, a class whose atype takes
/// no keywords, gives its native initialiser: the class's `_flags`.
pub(crate) fn class_flags<'py>(cls: &Bound<'py, PyType>) -> PyResult<(Bound<'py, PyAny>, Bound<'py, PyAny>)> {
    cls.getattr(intern!(cls.py(), "_flags"))?.extract()
}

/// An atomic of class `cls` over private zeroed memory of `width` bytes: what
/// `cls(width=width)` makes, in one native call (`atomic()` for the atypes that take no
/// keywords); its `__init__` does not run (see [`class_flags`]).
#[pyfunction]
pub(crate) fn new_atomic<'py>(cls: &Bound<'py, PyType>, width: &Bound<'py, PyAny>) -> PyResult<Bound<'py, AtomicBase>> {
    let (is_integral, is_signed) = class_flags(cls)?;
    let atomic = uninitialised(cls)?.cast_into::<AtomicBase>()?;
    init_single(&atomic, Source::Owned, width, &is_integral, &is_signed)?;
    Ok(atomic)
}

/// Gives the single atomic `slf` its memory from `source` (see [`init`]).
fn init_single(
    slf: &Bound<'_, AtomicBase>,
    source: Source<'_, '_>,
    width: &Bound<'_, PyAny>,
    is_integral: &Bound<'_, PyAny>,
    is_signed: &Bound<'_, PyAny>,
) -> PyResult<()> {
    let kind = || kind_of(family_of(slf), is_integral, is_signed);
    init(slf.as_super(), "Atomic", source, None, width, kind, is_signed)
}

/// The family of a single atomic or view (see [`family_of_class`]).
fn family_of(slf: &Bound<'_, AtomicBase>) -> Option<Family> {
    family_of_class::<AtomicIntegralBase, AtomicBytesBase, AtomicFloatBase>(slf.as_any())
}

/// The base of every single atomic and view.
#[pyclass(module = "atomics._native", name = "AtomicBase", extends = AtomicMemoryBase, subclass, frozen)]
pub(crate) struct AtomicBase;

impl AtomicBase {
    fn base_str(slf: &Bound<'_, Self>, value: Option<String>) -> PyResult<String> {
        let handle = slf.as_super().get().handle()?;
        let array = handle.array()?;
        let name = slf.get_type().name()?;
        let readonly = if array.readonly() { "True" } else { "False" };
        let width = array.width().bytes();
        Ok(match value {
            None => format!("{name}(width={width}, readonly={readonly})"),
            Some(value) if handle.kind().family() == Family::Int => {
                let signed = handle.signed_obj().bind(slf.py()).str()?;
                format!("{name}(value={value}, width={width}, readonly={readonly}, signed={signed})")
            }
            Some(value) => format!("{name}(value={value}, width={width}, readonly={readonly})"),
        })
    }
}

#[pymethods]
impl AtomicBase {
    /// Makes an uninitialised object; the Python subclass's `__init__` gives it memory.
    #[new]
    #[pyo3(signature = (*_args, **_kwargs))]
    fn new(_args: &Bound<'_, PyTuple>, _kwargs: Option<&Bound<'_, PyDict>>) -> PyClassInitializer<Self> {
        PyClassInitializer::from(AtomicMemoryBase::new()).add_subclass(AtomicBase)
    }

    /// Gives the object private zeroed memory of `width` bytes.
    fn _init_owned(
        slf: &Bound<'_, Self>,
        width: &Bound<'_, PyAny>,
        is_integral: &Bound<'_, PyAny>,
        is_signed: &Bound<'_, PyAny>,
    ) -> PyResult<()> {
        init_single(slf, Source::Owned, width, is_integral, is_signed)
    }

    /// Gives the object a new shared-memory segment of its own (`atomic(..., shared=True)`),
    /// whose name goes when the last object over it does.
    fn _init_new_segment(
        slf: &Bound<'_, Self>,
        width: &Bound<'_, PyAny>,
        is_integral: &Bound<'_, PyAny>,
        is_signed: &Bound<'_, PyAny>,
    ) -> PyResult<()> {
        init_single(slf, Source::NewSegment, width, is_integral, is_signed)
    }

    /// Makes the object the atomic of `width` bytes at data `offset` of `segment`.
    fn _init_segment(
        slf: &Bound<'_, Self>,
        segment: &Bound<'_, SharedSegment>,
        offset: usize,
        width: &Bound<'_, PyAny>,
        is_integral: &Bound<'_, PyAny>,
        is_signed: &Bound<'_, PyAny>,
    ) -> PyResult<()> {
        init_single(slf, Source::Segment(segment, offset), width, is_integral, is_signed)
    }

    /// Makes the object a view of `core`'s memory.
    pub(crate) fn _init_view(slf: &Bound<'_, Self>, core: &Bound<'_, PyAny>) -> PyResult<()> {
        let py = slf.py();
        slf.as_super().get().init("AtomicView", || {
            let core = core
                .cast::<AtomicCore>()
                .map_err(|_| PyTypeError::new_err("Positional argument 'core' must have type 'AtomicCore'."))?
                .get();
            let integral = pyo3::types::PyBool::new(py, core.integral);
            let kind = kind_of(family_of(slf), &integral, core.signed.bind(py))?;
            Handle::view(py, core.backing.clone(), RegionArray::from(core.region), kind, core.signed.bind(py))
        })
    }

    /// Makes the object the atomic at `index` of `array` (`array.element(index)`), sharing
    /// its memory.
    fn _init_element(
        slf: &Bound<'_, Self>,
        array: &Bound<'_, AtomicMemoryBase>,
        index: &Bound<'_, PyAny>,
    ) -> PyResult<()> {
        let py = slf.py();
        slf.as_super().get().init("Atomic", || {
            let array = array.get().handle()?;
            let integral = pyo3::types::PyBool::new(py, array.kind().family() == Family::Int);
            if kind_of(family_of(slf), &integral, array.signed_obj().bind(py))? != array.kind() {
                return Err(PyTypeError::new_err("an element's class must be of the array's family"));
            }
            array.element_handle(py, index)
        })
    }

    fn __str__(slf: &Bound<'_, Self>) -> PyResult<String> {
        AtomicBase::base_str(slf, None)
    }

    /// Objects in a shared-memory segment pickle by reference (the receiving process maps the
    /// same segment); private memory and views cannot be pickled.
    fn __reduce_ex__<'py>(slf: &Bound<'py, Self>, _protocol: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyAny>> {
        let alternative = "atomics.atomic(width, atype, shared=True)";
        slf.as_super().get().handle()?.reduce(slf.as_any(), None, alternative)
    }
}

fn handle<'a, T: pyo3::PyClass<BaseType = AtomicBase>>(slf: &'a Bound<'_, T>) -> PyResult<&'a Handle> {
    slf.as_super().as_super().get().handle()
}

/// The `#[pymethods]` of a family class: construction and the special methods. The
/// operations themselves are installed on each Python class by
/// `operations::install_operations`.
macro_rules! family_methods {
    ($class:ident, $values:ty, { $($own:tt)* }) => {
        #[pymethods]
        impl $class {

            #[new]
            #[pyo3(signature = (*_args, **_kwargs))]
            fn new(_args: &Bound<'_, PyTuple>, _kwargs: Option<&Bound<'_, PyDict>>) -> PyClassInitializer<Self> {
                AtomicBase::new(_args, _kwargs).add_subclass($class)
            }

            fn __str__(slf: &Bound<'_, Self>) -> PyResult<String> {
                let value = Self::value(slf)?.str()?.to_string();
                AtomicBase::base_str(slf.as_super(), Some(value))
            }

            $($own)*
        }

        impl $class {
            /// `load()` with the default order.
            fn value<'py>(slf: &Bound<'py, Self>) -> PyResult<Bound<'py, PyAny>> {
                handle(slf)?.target::<$values>()?.value(slf.py())
            }
        }
    };
}

/// The integer family (`INTEGRAL`, `INT`, `UINT`).
#[pyclass(module = "atomics._native", name = "AtomicIntegralBase", extends = AtomicBase, subclass, frozen)]
pub(crate) struct AtomicIntegralBase;

family_methods!(AtomicIntegralBase, Ints, {
    /// Whether values are signed (as passed to the constructor).
    #[getter]
    fn signed(slf: &Bound<'_, Self>) -> PyResult<Py<PyAny>> {
        let handle = handle(slf)?;
        handle.array()?;
        Ok(handle.signed_obj().clone_ref(slf.py()))
    }

    fn __int__<'py>(slf: &Bound<'py, Self>) -> PyResult<Bound<'py, PyAny>> {
        Self::value(slf)
    }
});

/// The bytes family (`BYTES`): values are `bytes` of exactly `width` bytes.
#[pyclass(module = "atomics._native", name = "AtomicBytesBase", extends = AtomicBase, subclass, frozen)]
pub(crate) struct AtomicBytesBase;

family_methods!(AtomicBytesBase, Bytes, {
    fn __bytes__<'py>(slf: &Bound<'py, Self>) -> PyResult<Bound<'py, PyAny>> {
        Self::value(slf)
    }
});

/// The float family (`FLOAT`): IEEE floats of 4 or 8 bytes.
#[pyclass(module = "atomics._native", name = "AtomicFloatBase", extends = AtomicBase, subclass, frozen)]
pub(crate) struct AtomicFloatBase;

family_methods!(AtomicFloatBase, Floats, {
    fn __float__<'py>(slf: &Bound<'py, Self>) -> PyResult<Bound<'py, PyAny>> {
        Self::value(slf)
    }
});
