//! The native bases of the Python classes: `AtomicBase` (what every atomic and view has),
//! `AtomicIntegralBase` (integer operations) and `AtomicBytesBase` (byte operations), plus
//! `AtomicCore`, the memory a view context hands to its views.
//!
//! The Python package subclasses these with the `atomics` 1.0 class names, constructors and
//! marker types (`INT`, `BYTES`, ...). Each method here parses its arguments, makes one call
//! into the core, and maps the result; nothing else.

use std::sync::{Arc, OnceLock};

use atomics_core::{supported_ops, OpType, Width};
use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList, PyTuple};

use crate::cmpxchg::CmpxchgResult;
use crate::convert;
use crate::errors::{core_error, py_op_type, unsupported_width};
use crate::handle::{Handle, RmwArgs};
use crate::memory::{released_error, Memory};
use crate::values::{Bytes, Ints};

/// Memory acquired from a buffer by a view context, with the kind of views it makes.
#[pyclass(module = "atomics._native", name = "AtomicCore", frozen)]
pub(crate) struct AtomicCore {
    memory: Arc<Memory>,
    integral: bool,
    signed: Py<PyAny>,
}

#[pymethods]
impl AtomicCore {
    /// Exports `buffer` (pinning it) and checks that atomics of its size work on it.
    #[new]
    fn new(buffer: &Bound<'_, PyAny>, is_integral: &Bound<'_, PyAny>, is_signed: Py<PyAny>) -> PyResult<Self> {
        let integral = is_integral.is_truthy()?;
        let memory = Arc::new(Memory::from_buffer(buffer, "Keyword argument")?);
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
    fn handle(&self) -> PyResult<&Handle> {
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
            Some(value) if handle.integral => {
                let signed = handle.signed_obj.bind(slf.py()).str()?;
                format!("{name}(value={value}, width={width}, readonly={readonly}, signed={signed})")
            }
            Some(value) => format!("{name}(value={value}, width={width}, readonly={readonly})"),
        })
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
        &self,
        py: Python<'_>,
        width: &Bound<'_, PyAny>,
        is_integral: &Bound<'_, PyAny>,
        is_signed: &Bound<'_, PyAny>,
    ) -> PyResult<()> {
        self.init("Atomic", || {
            let bytes = convert::width(width)?;
            Width::supported(bytes).ok_or_else(|| unsupported_width(py, bytes))?;
            let memory = Memory::owned(bytes).map_err(|e| core_error(py, e))?;
            Handle::new(Arc::new(memory), is_integral.is_truthy()?, is_signed)
        })
    }

    /// Makes the object a view of `core`'s memory.
    fn _init_view(&self, py: Python<'_>, core: &Bound<'_, PyAny>) -> PyResult<()> {
        self.init("AtomicView", || {
            let core = core
                .cast::<AtomicCore>()
                .map_err(|_| PyTypeError::new_err("Positional argument 'core' must have type 'AtomicCore'."))?
                .get();
            Handle::new(core.memory.clone(), core.integral, core.signed.bind(py))
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
        let ops = supported_ops(handle.width, handle.readonly, handle.integral)
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

    fn __reduce_ex__(slf: &Bound<'_, Self>, _protocol: &Bound<'_, PyAny>) -> PyResult<()> {
        Err(PyTypeError::new_err(format!(
            "cannot pickle '{}' object: its memory is private to this process",
            slf.get_type().name()?
        )))
    }
}

fn handle<'a, T: pyo3::PyClass<BaseType = AtomicBase>>(slf: &'a Bound<'_, T>) -> PyResult<&'a Handle> {
    slf.as_super().get().handle()
}

/// The `#[pymethods]` of a family class: the operations both families have, with the value
/// conversions of `$values` and the compare-exchange order parameters `$succ`/`$fail`, then
/// the family's own methods.
macro_rules! family_methods {
    ($class:ident, $values:ty, $succ:ident, $fail:ident, { $($own:tt)* }) => {
        #[pymethods]
        impl $class {
            #[new]
            #[pyo3(signature = (*_args, **_kwargs))]
            fn new(_args: &Bound<'_, PyTuple>, _kwargs: Option<&Bound<'_, PyDict>>) -> PyClassInitializer<Self> {
                PyClassInitializer::from(AtomicBase { handle: OnceLock::new() }).add_subclass($class)
            }

            fn __str__(slf: &Bound<'_, Self>) -> PyResult<String> {
                let value = Self::load(slf, None)?.str()?.to_string();
                AtomicBase::base_str(slf.as_super(), Some(value))
            }

            /// Writes `desired`.
            #[pyo3(signature = (desired, order = None))]
            fn store(slf: &Bound<'_, Self>, desired: &Bound<'_, PyAny>, order: Option<&Bound<'_, PyAny>>) -> PyResult<()> {
                handle(slf)?.values::<$values>().store(slf.py(), desired, order)
            }

            /// Reads the value.
            #[pyo3(signature = (order = None))]
            fn load<'py>(slf: &Bound<'py, Self>, order: Option<&Bound<'_, PyAny>>) -> PyResult<Bound<'py, PyAny>> {
                handle(slf)?.values::<$values>().load(slf.py(), order)
            }

            /// Writes `desired`, returning the previous value.
            #[pyo3(signature = (desired, order = None))]
            fn exchange<'py>(slf: &Bound<'py, Self>, desired: &Bound<'_, PyAny>, order: Option<&Bound<'_, PyAny>>) -> PyResult<Bound<'py, PyAny>> {
                Self::fetch(slf, OpType::Exchange, Some(desired), order, "desired")
            }

            /// Compare-exchange that may fail spuriously: if the value equals `expected`, writes
            /// `desired`. Returns `CmpxchgResult(success, expected or the value found)`.
            #[pyo3(signature = (expected, desired, $succ = None, $fail = None))]
            fn cmpxchg_weak(slf: &Bound<'_, Self>, expected: &Bound<'_, PyAny>, desired: &Bound<'_, PyAny>, $succ: Option<&Bound<'_, PyAny>>, $fail: Option<&Bound<'_, PyAny>>) -> PyResult<CmpxchgResult> {
                let names = (stringify!($succ), stringify!($fail));
                handle(slf)?.values::<$values>().cmpxchg(slf.py(), OpType::CmpxchgWeak, expected, desired, $succ, $fail, names)
            }

            /// Compare-exchange that fails only when the value differs from `expected`.
            #[pyo3(signature = (expected, desired, $succ = None, $fail = None))]
            fn cmpxchg_strong(slf: &Bound<'_, Self>, expected: &Bound<'_, PyAny>, desired: &Bound<'_, PyAny>, $succ: Option<&Bound<'_, PyAny>>, $fail: Option<&Bound<'_, PyAny>>) -> PyResult<CmpxchgResult> {
                let names = (stringify!($succ), stringify!($fail));
                handle(slf)?.values::<$values>().cmpxchg(slf.py(), OpType::CmpxchgStrong, expected, desired, $succ, $fail, names)
            }

            /// Reads bit `index` (0 is the least significant bit).
            #[pyo3(signature = (index, order = None))]
            fn bit_test(slf: &Bound<'_, Self>, index: &Bound<'_, PyAny>, order: Option<&Bound<'_, PyAny>>) -> PyResult<bool> {
                handle(slf)?.bit_op(slf.py(), OpType::BitTest, index, order)
            }

            /// Complements bit `index`, returning its previous value.
            #[pyo3(signature = (index, order = None))]
            fn bit_test_compl(slf: &Bound<'_, Self>, index: &Bound<'_, PyAny>, order: Option<&Bound<'_, PyAny>>) -> PyResult<bool> {
                handle(slf)?.bit_op(slf.py(), OpType::BitTestCompl, index, order)
            }

            /// Sets bit `index`, returning its previous value.
            #[pyo3(signature = (index, order = None))]
            fn bit_test_set(slf: &Bound<'_, Self>, index: &Bound<'_, PyAny>, order: Option<&Bound<'_, PyAny>>) -> PyResult<bool> {
                handle(slf)?.bit_op(slf.py(), OpType::BitTestSet, index, order)
            }

            /// Clears bit `index`, returning its previous value.
            #[pyo3(signature = (index, order = None))]
            fn bit_test_reset(slf: &Bound<'_, Self>, index: &Bound<'_, PyAny>, order: Option<&Bound<'_, PyAny>>) -> PyResult<bool> {
                handle(slf)?.bit_op(slf.py(), OpType::BitTestReset, index, order)
            }

            /// Bitwise or with `value`.
            #[pyo3(signature = (value, order = None))]
            fn bin_or(slf: &Bound<'_, Self>, value: &Bound<'_, PyAny>, order: Option<&Bound<'_, PyAny>>) -> PyResult<()> {
                Self::apply(slf, OpType::Or, Some(value), order)
            }

            /// Bitwise exclusive or with `value`.
            #[pyo3(signature = (value, order = None))]
            fn bin_xor(slf: &Bound<'_, Self>, value: &Bound<'_, PyAny>, order: Option<&Bound<'_, PyAny>>) -> PyResult<()> {
                Self::apply(slf, OpType::Xor, Some(value), order)
            }

            /// Bitwise and with `value`.
            #[pyo3(signature = (value, order = None))]
            fn bin_and(slf: &Bound<'_, Self>, value: &Bound<'_, PyAny>, order: Option<&Bound<'_, PyAny>>) -> PyResult<()> {
                Self::apply(slf, OpType::And, Some(value), order)
            }

            /// Complements every bit.
            #[pyo3(signature = (order = None))]
            fn bin_not(slf: &Bound<'_, Self>, order: Option<&Bound<'_, PyAny>>) -> PyResult<()> {
                Self::apply(slf, OpType::Not, None, order)
            }

            /// Bitwise or with `value`, returning the previous value.
            #[pyo3(signature = (value, order = None))]
            fn bin_fetch_or<'py>(slf: &Bound<'py, Self>, value: &Bound<'_, PyAny>, order: Option<&Bound<'_, PyAny>>) -> PyResult<Bound<'py, PyAny>> {
                Self::fetch(slf, OpType::FetchOr, Some(value), order, "value")
            }

            /// Bitwise exclusive or with `value`, returning the previous value.
            #[pyo3(signature = (value, order = None))]
            fn bin_fetch_xor<'py>(slf: &Bound<'py, Self>, value: &Bound<'_, PyAny>, order: Option<&Bound<'_, PyAny>>) -> PyResult<Bound<'py, PyAny>> {
                Self::fetch(slf, OpType::FetchXor, Some(value), order, "value")
            }

            /// Bitwise and with `value`, returning the previous value.
            #[pyo3(signature = (value, order = None))]
            fn bin_fetch_and<'py>(slf: &Bound<'py, Self>, value: &Bound<'_, PyAny>, order: Option<&Bound<'_, PyAny>>) -> PyResult<Bound<'py, PyAny>> {
                Self::fetch(slf, OpType::FetchAnd, Some(value), order, "value")
            }

            /// Complements every bit, returning the previous value.
            #[pyo3(signature = (order = None))]
            fn bin_fetch_not<'py>(slf: &Bound<'py, Self>, order: Option<&Bound<'_, PyAny>>) -> PyResult<Bound<'py, PyAny>> {
                Self::fetch(slf, OpType::FetchNot, None, order, "value")
            }

            $($own)*
        }

        impl $class {
            /// A read-modify-write whose result is dropped.
            #[inline(always)]
            fn apply(slf: &Bound<'_, Self>, op: OpType, operand: Option<&Bound<'_, PyAny>>, order: Option<&Bound<'_, PyAny>>) -> PyResult<()> {
                let args = RmwArgs { operand, order, name: "value" };
                handle(slf)?.values::<$values>().rmw(slf.py(), op, args).map(drop)
            }

            /// A read-modify-write returning the previous value.
            #[inline(always)]
            fn fetch<'py>(slf: &Bound<'py, Self>, op: OpType, operand: Option<&Bound<'_, PyAny>>, order: Option<&Bound<'_, PyAny>>, name: &'static str) -> PyResult<Bound<'py, PyAny>> {
                let family = handle(slf)?.values::<$values>();
                let previous = family.rmw(slf.py(), op, RmwArgs { operand, order, name })?;
                family.build(slf.py(), previous)
            }
        }
    };
}

/// The integer operations (`INTEGRAL`, `INT`, `UINT`).
#[pyclass(module = "atomics._native", name = "AtomicIntegralBase", extends = AtomicBase, subclass, frozen)]
pub(crate) struct AtomicIntegralBase;

family_methods!(AtomicIntegralBase, Ints, success, failure, {
    /// Whether values are signed (as passed to the constructor).
    #[getter]
    fn signed(slf: &Bound<'_, Self>) -> PyResult<Py<PyAny>> {
        let handle = handle(slf)?;
        handle.memory.region()?;
        Ok(handle.signed_obj.clone_ref(slf.py()))
    }

    fn __int__<'py>(slf: &Bound<'py, Self>) -> PyResult<Bound<'py, PyAny>> {
        Self::load(slf, None)
    }

    /// Adds `value`, wrapping around.
    #[pyo3(signature = (value, order = None))]
    fn add(slf: &Bound<'_, Self>, value: &Bound<'_, PyAny>, order: Option<&Bound<'_, PyAny>>) -> PyResult<()> {
        Self::apply(slf, OpType::Add, Some(value), order)
    }

    /// Subtracts `value`, wrapping around.
    #[pyo3(signature = (value, order = None))]
    fn sub(slf: &Bound<'_, Self>, value: &Bound<'_, PyAny>, order: Option<&Bound<'_, PyAny>>) -> PyResult<()> {
        Self::apply(slf, OpType::Sub, Some(value), order)
    }

    /// Adds 1, wrapping around.
    #[pyo3(signature = (order = None))]
    fn inc(slf: &Bound<'_, Self>, order: Option<&Bound<'_, PyAny>>) -> PyResult<()> {
        Self::apply(slf, OpType::Inc, None, order)
    }

    /// Subtracts 1, wrapping around.
    #[pyo3(signature = (order = None))]
    fn dec(slf: &Bound<'_, Self>, order: Option<&Bound<'_, PyAny>>) -> PyResult<()> {
        Self::apply(slf, OpType::Dec, None, order)
    }

    /// Negates (two's complement: the minimum stays the minimum).
    #[pyo3(signature = (order = None))]
    fn neg(slf: &Bound<'_, Self>, order: Option<&Bound<'_, PyAny>>) -> PyResult<()> {
        Self::apply(slf, OpType::Neg, None, order)
    }

    /// Adds `value`, returning the previous value.
    #[pyo3(signature = (value, order = None))]
    fn fetch_add<'py>(
        slf: &Bound<'py, Self>,
        value: &Bound<'_, PyAny>,
        order: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        Self::fetch(slf, OpType::FetchAdd, Some(value), order, "value")
    }

    /// Subtracts `value`, returning the previous value.
    #[pyo3(signature = (value, order = None))]
    fn fetch_sub<'py>(
        slf: &Bound<'py, Self>,
        value: &Bound<'_, PyAny>,
        order: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        Self::fetch(slf, OpType::FetchSub, Some(value), order, "value")
    }

    /// Adds 1, returning the previous value.
    #[pyo3(signature = (order = None))]
    fn fetch_inc<'py>(slf: &Bound<'py, Self>, order: Option<&Bound<'_, PyAny>>) -> PyResult<Bound<'py, PyAny>> {
        Self::fetch(slf, OpType::FetchInc, None, order, "value")
    }

    /// Subtracts 1, returning the previous value.
    #[pyo3(signature = (order = None))]
    fn fetch_dec<'py>(slf: &Bound<'py, Self>, order: Option<&Bound<'_, PyAny>>) -> PyResult<Bound<'py, PyAny>> {
        Self::fetch(slf, OpType::FetchDec, None, order, "value")
    }

    /// Negates, returning the previous value.
    #[pyo3(signature = (order = None))]
    fn fetch_neg<'py>(slf: &Bound<'py, Self>, order: Option<&Bound<'_, PyAny>>) -> PyResult<Bound<'py, PyAny>> {
        Self::fetch(slf, OpType::FetchNeg, None, order, "value")
    }
});

/// The byte operations (`BYTES`): values are `bytes` of exactly `width` bytes.
#[pyclass(module = "atomics._native", name = "AtomicBytesBase", extends = AtomicBase, subclass, frozen)]
pub(crate) struct AtomicBytesBase;

family_methods!(AtomicBytesBase, Bytes, succ, fail, {
    fn __bytes__<'py>(slf: &Bound<'py, Self>) -> PyResult<Bound<'py, PyAny>> {
        Self::load(slf, None)
    }
});
