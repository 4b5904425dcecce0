//! The native bases of the Python classes: `AtomicBase` (what every atomic and view has),
//! `AtomicIntegralBase` (integer operations) and `AtomicBytesBase` (byte operations), plus
//! `AtomicCore`, the memory a view context hands to its views.
//!
//! The Python package subclasses these with the `atomics` 1.0 class names, constructors and
//! marker types (`INT`, `BYTES`, ...). Each method here parses its arguments, makes one call
//! into the core, and maps the result; nothing else.

use std::sync::OnceLock;

use atomics_core::{supported_ops, Arithmetic, Width};
use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyDict, PyList, PyTuple};

use crate::array::AtomicArrayBase;
use crate::convert;
use crate::errors::{core_error, py_op_type, unsupported_width, Imported};
use crate::handle::Handle;
use crate::memory::{released_error, Memory};
use crate::shared::{create_backing, segment_kind, SharedSegment};
use crate::values::{Bytes, Floats, Ints};

/// Memory acquired from a buffer by a view context, with the kind of views it makes.
#[pyclass(module = "atomics._native", name = "AtomicCore", frozen)]
pub(crate) struct AtomicCore {
    memory: Memory,
    integral: bool,
    signed: Py<PyAny>,
}

#[pymethods]
impl AtomicCore {
    /// Exports `buffer` (pinning it) and checks that atomics of its size work on it.
    #[new]
    fn new(buffer: &Bound<'_, PyAny>, is_integral: &Bound<'_, PyAny>, is_signed: Py<PyAny>) -> PyResult<Self> {
        let integral = is_integral.is_truthy()?;
        let memory = Memory::from_buffer(buffer, "Keyword argument")?;
        Ok(AtomicCore { memory, integral, signed: is_signed })
    }

    /// Releases the buffer for the context and all its views (idempotent).
    fn release(&self, py: Python<'_>) {
        self.memory.release(py)
    }
}

/// The base of every atomic object and view: its memory and the properties every atomic has.
#[pyclass(module = "atomics._native", name = "AtomicBase", subclass, frozen)]
pub(crate) struct AtomicBase {
    handle: OnceLock<Handle>,
}

impl AtomicBase {
    pub(crate) fn handle(&self) -> PyResult<&Handle> {
        self.handle.get().ok_or_else(released_error)
    }

    fn init(&self, kind: &str, make: impl FnOnce() -> PyResult<Handle>) -> PyResult<()> {
        if self.handle.get().is_some() {
            return Err(reinit_error(kind));
        }
        let handle = make()?;
        self.handle.set(handle).map_err(|_| reinit_error(kind))
    }

    fn base_str(slf: &Bound<'_, Self>, value: Option<String>) -> PyResult<String> {
        let this = slf.get();
        let handle = this.handle()?;
        handle.memory.region()?;
        let name = slf.get_type().name()?;
        let readonly = if handle.readonly { "True" } else { "False" };
        let width = handle.width.bytes();
        Ok(match value {
            None => format!("{name}(width={width}, readonly={readonly})"),
            Some(value) if handle.arithmetic == Arithmetic::Integer => {
                let signed = handle.signed_obj.bind(slf.py()).str()?;
                format!("{name}(value={value}, width={width}, readonly={readonly}, signed={signed})")
            }
            Some(value) => format!("{name}(value={value}, width={width}, readonly={readonly})"),
        })
    }
}

/// The arithmetic of an object: floats for the float family, integers when `is_integral`,
/// none (raw bits) otherwise.
fn arithmetic_of(slf: &Bound<'_, AtomicBase>, is_integral: &Bound<'_, PyAny>) -> PyResult<Arithmetic> {
    Ok(if slf.is_instance_of::<AtomicFloatBase>() {
        Arithmetic::Float
    } else if is_integral.is_truthy()? {
        Arithmetic::Integer
    } else {
        Arithmetic::None
    })
}

/// A width argument that atomics of this arithmetic can have on this CPU.
pub(crate) fn checked_width(py: Python<'_>, width: &Bound<'_, PyAny>, arithmetic: Arithmetic) -> PyResult<usize> {
    let bytes = convert::width(width)?;
    match Width::supported(bytes) {
        Some(w) if arithmetic.has_width(w) => Ok(bytes),
        _ => Err(unsupported_width(py, bytes)),
    }
}

fn reinit_error(kind: &str) -> PyErr {
    PyValueError::new_err(format!("{kind} object cannot be re-initialised."))
}

#[pymethods]
impl AtomicBase {
    /// Makes an uninitialised object; the Python subclass's `__init__` gives it memory.
    #[new]
    #[pyo3(signature = (*_args, **_kwargs))]
    fn new(_args: &Bound<'_, PyTuple>, _kwargs: Option<&Bound<'_, PyDict>>) -> Self {
        AtomicBase { handle: OnceLock::new() }
    }

    /// Gives the object private zeroed memory of `width` bytes.
    fn _init_owned(
        slf: &Bound<'_, Self>,
        width: &Bound<'_, PyAny>,
        is_integral: &Bound<'_, PyAny>,
        is_signed: &Bound<'_, PyAny>,
    ) -> PyResult<()> {
        let py = slf.py();
        slf.get().init("Atomic", || {
            let arithmetic = arithmetic_of(slf, is_integral)?;
            let bytes = checked_width(py, width, arithmetic)?;
            let memory = Memory::owned(bytes).map_err(|e| core_error(py, e))?;
            Handle::new(py, memory, arithmetic, is_signed)
        })
    }

    /// Gives the object a new shared-memory segment of its own (`atomic(..., shared=True)`),
    /// whose name goes when the last object over it does.
    fn _init_new_segment(
        slf: &Bound<'_, Self>,
        width: &Bound<'_, PyAny>,
        is_integral: &Bound<'_, PyAny>,
        is_signed: &Bound<'_, PyAny>,
    ) -> PyResult<()> {
        let py = slf.py();
        slf.get().init("Atomic", || {
            let arithmetic = arithmetic_of(slf, is_integral)?;
            let bytes = checked_width(py, width, arithmetic)?;
            let backing = create_backing(py, bytes, bytes as u32, segment_kind(arithmetic, is_signed.is_truthy()?))?;
            Handle::new(py, Memory::in_segment(py, &backing, 0, bytes)?, arithmetic, is_signed)
        })
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
        let py = slf.py();
        slf.get().init("Atomic", || {
            let arithmetic = arithmetic_of(slf, is_integral)?;
            let bytes = checked_width(py, width, arithmetic)?;
            let memory = Memory::in_segment(py, &segment.get().backing, offset, bytes)?;
            Handle::new(py, memory, arithmetic, is_signed)
        })
    }

    /// The name of the shared-memory segment this object is in, or None for private memory
    /// and views.
    #[getter]
    fn shared_name(&self) -> PyResult<Option<String>> {
        Ok(self.handle()?.memory.segment_place().map(|(name, _)| name.to_owned()))
    }

    /// The data offset of this object in its shared-memory segment, or None.
    #[getter]
    fn shared_offset(&self) -> PyResult<Option<usize>> {
        Ok(self.handle()?.memory.segment_place().map(|(_, offset)| offset))
    }

    /// Makes the object a view of `core`'s memory.
    fn _init_view(slf: &Bound<'_, Self>, core: &Bound<'_, PyAny>) -> PyResult<()> {
        let py = slf.py();
        slf.get().init("AtomicView", || {
            let core = core
                .cast::<AtomicCore>()
                .map_err(|_| PyTypeError::new_err("Positional argument 'core' must have type 'AtomicCore'."))?
                .get();
            let arithmetic = arithmetic_of(slf, &PyBool::new(py, core.integral))?;
            Handle::new(py, core.memory.clone(), arithmetic, core.signed.bind(py))
        })
    }

    /// Makes the object the atomic at `index` of `array` (`array.element(index)`), sharing
    /// its memory.
    fn _init_element(
        slf: &Bound<'_, Self>,
        array: &Bound<'_, AtomicArrayBase>,
        index: &Bound<'_, PyAny>,
    ) -> PyResult<()> {
        let py = slf.py();
        slf.get().init("Atomic", || {
            let array = array.get().handle()?;
            let integral = PyBool::new(py, array.arithmetic() == Arithmetic::Integer);
            if arithmetic_of(slf, &integral)? != array.arithmetic() {
                return Err(PyTypeError::new_err("an element's class must be of the array's family"));
            }
            let (backing, region) = array.element_parts(py, index)?;
            Handle::new(py, Memory::from_parts(region, backing), array.arithmetic(), array.signed_obj().bind(py))
        })
    }

    /// Makes the object share `other`'s memory (`copy.copy`).
    fn _init_shared(&self, other: &Bound<'_, AtomicBase>) -> PyResult<()> {
        self.init("Atomic", || Ok(other.get().handle()?.share(other.py())))
    }

    /// The width in bytes.
    #[getter]
    fn width(&self) -> PyResult<usize> {
        let handle = self.handle()?;
        handle.memory.region()?;
        Ok(handle.width.bytes())
    }

    /// Whether the memory is read-only (only `load` and `bit_test` exist then).
    #[getter]
    fn readonly(&self) -> PyResult<bool> {
        let handle = self.handle()?;
        handle.memory.region()?;
        Ok(handle.readonly)
    }

    /// The operations this object supports, as `OpType`s by ascending value.
    #[getter]
    fn ops_supported<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyList>> {
        let handle = self.handle()?;
        handle.memory.region()?;
        let ops = supported_ops(handle.width, handle.readonly, handle.arithmetic)
            .map(|op| py_op_type(py, op))
            .collect::<PyResult<Vec<_>>>()?;
        PyList::new(py, ops)
    }

    /// The address of the first byte.
    #[getter]
    fn _address(&self) -> PyResult<usize> {
        Ok(self.handle()?.memory.region()?.address())
    }

    fn __str__(slf: &Bound<'_, Self>) -> PyResult<String> {
        AtomicBase::base_str(slf, None)
    }

    /// A second object over the same memory, of the same class. Dropping either never
    /// releases the memory for the other.
    fn __copy__<'py>(slf: &Bound<'py, Self>) -> PyResult<Bound<'py, PyAny>> {
        let cls = slf.get_type();
        let copy = cls.call_method1("__new__", (&cls,))?;
        copy.cast::<AtomicBase>()?.get()._init_shared(slf)?;
        Ok(copy)
    }

    fn __deepcopy__(slf: &Bound<'_, Self>, _memo: &Bound<'_, PyAny>) -> PyResult<()> {
        Err(PyTypeError::new_err(format!(
            "cannot deepcopy '{}' object: an atomic is its memory; use copy.copy() for a second \
             handle on the same memory",
            slf.get_type().name()?
        )))
    }

    /// Objects in a shared-memory segment pickle by reference (the receiving process maps the
    /// same segment); private memory and views cannot be pickled.
    fn __reduce_ex__<'py>(slf: &Bound<'py, Self>, _protocol: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyAny>> {
        let py = slf.py();
        let handle = slf.get().handle()?;
        let Some((name, offset)) = handle.memory.segment_place() else {
            return Err(PyTypeError::new_err(format!(
                "cannot pickle '{}' object: its memory is private to this process; \
                 atomics.atomic(width, atype, shared=True) makes one that pickles by reference",
                slf.get_type().name()?
            )));
        };
        handle.memory.region()?;
        let integral = handle.arithmetic == Arithmetic::Integer;
        let args = (slf.get_type(), name, offset, handle.width.bytes(), integral, handle.signed_obj.bind(py));
        (REBUILD_SHARED.get(py)?, args).into_pyobject(py).map(|t| t.into_any())
    }
}

/// `atomics.shared._rebuild`: makes an unpickled object over its segment.
static REBUILD_SHARED: Imported = Imported::new("atomics.shared", "_rebuild");

fn handle<'a, T: pyo3::PyClass<BaseType = AtomicBase>>(slf: &'a Bound<'_, T>) -> PyResult<&'a Handle> {
    slf.as_super().get().handle()
}

/// The `#[pymethods]` of a family class: construction and the special methods. The
/// operations themselves are installed on each Python class by `methods::install_operations`.
macro_rules! family_methods {
    ($class:ident, $values:ty, { $($own:tt)* }) => {
        #[pymethods]
        impl $class {
            #[new]
            #[pyo3(signature = (*_args, **_kwargs))]
            fn new(_args: &Bound<'_, PyTuple>, _kwargs: Option<&Bound<'_, PyDict>>) -> PyClassInitializer<Self> {
                PyClassInitializer::from(AtomicBase { handle: OnceLock::new() }).add_subclass($class)
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
                handle(slf)?.values::<$values>()?.load(slf.py(), None)
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
        handle.memory.region()?;
        Ok(handle.signed_obj.clone_ref(slf.py()))
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
