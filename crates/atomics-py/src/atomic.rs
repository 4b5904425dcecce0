//! The native bases of the Python classes: `AtomicBase` (what every atomic and view has),
//! `AtomicIntegralBase` (integer operations) and `AtomicBytesBase` (byte operations), plus
//! `AtomicCore`, the memory a view context hands to its views.
//!
//! The Python package subclasses these with the `atomics` 1.0 class names, constructors and
//! marker types (`INT`, `BYTES`, ...). Each method here parses its arguments, makes one call
//! into the core, and maps the result; nothing else.

use std::sync::{Arc, OnceLock};

use atomics_core::{supported_ops, Error, MemoryOrder, OpType, Region, Width};
use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList, PyTuple};

use crate::cmpxchg::CmpxchgResult;
use crate::convert::{self, bits_to_bytes, bits_to_int, bytes_to_bits, int_to_bits, memory_order};
use crate::errors::{core_error, py_op_type, unsupported_width};
use crate::memory::Memory;

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

/// What an initialised atomic object holds. Immutable once set.
struct Handle {
    memory: Arc<Memory>,
    width: Width,
    readonly: bool,
    integral: bool,
    /// Signedness as a bool, for conversions.
    signed: bool,
    /// Signedness as passed in (`atomics` 1.0 shows it raw: `signed=1`).
    signed_obj: Py<PyAny>,
}

impl Handle {
    fn new(py: Python<'_>, memory: Arc<Memory>, integral: bool, signed_obj: Py<PyAny>) -> PyResult<Handle> {
        let region = memory.region()?;
        let (width, readonly) = (region.width(), region.readonly());
        let signed = signed_obj.bind(py).is_truthy()?;
        Ok(Handle { memory, width, readonly, integral, signed, signed_obj })
    }

    /// Runs one core operation, mapping a refusal or a released buffer to its exception.
    #[inline(always)]
    fn run<R>(&self, py: Python<'_>, op: impl FnOnce(&Region) -> Result<R, Error>) -> PyResult<R> {
        self.memory.with_region(op)?.map_err(|e| core_error(py, e))
    }

    /// The region, for checks that must come before argument conversion.
    fn check_supported(&self, py: Python<'_>, op: OpType) -> PyResult<()> {
        self.memory.region()?.check_supported(op).map_err(|e| core_error(py, e))
    }

    fn to_int<'py>(&self, py: Python<'py>, bits: u128) -> PyResult<Bound<'py, PyAny>> {
        bits_to_int(py, bits, self.width, self.signed)
    }

    fn to_bytes<'py>(&self, py: Python<'py>, bits: u128) -> Bound<'py, PyAny> {
        bits_to_bytes(py, bits, self.width).into_any()
    }

    fn int_arg(&self, obj: &Bound<'_, PyAny>, name: &str) -> PyResult<u128> {
        int_to_bits(obj, self.width, self.signed, name)
    }

    fn bytes_arg(&self, obj: &Bound<'_, PyAny>, name: &str) -> PyResult<u128> {
        bytes_to_bits(obj, self.width, name, false)
    }

    /// An integer read-modify-write with an optional operand; the previous value.
    #[inline(always)]
    fn int_rmw(
        &self,
        py: Python<'_>,
        op: OpType,
        operand: Option<&Bound<'_, PyAny>>,
        order: Option<&Bound<'_, PyAny>>,
        name: &str,
    ) -> PyResult<u128> {
        let operand = match operand {
            Some(obj) => self.int_arg(obj, name)?,
            None => 0,
        };
        let order = memory_order(order, "order")?;
        self.run(py, |r| r.read_modify_write(op, operand, order))
    }

    /// A bytes read-modify-write with an optional operand; the previous value.
    fn bytes_rmw(
        &self,
        py: Python<'_>,
        op: OpType,
        operand: Option<&Bound<'_, PyAny>>,
        order: Option<&Bound<'_, PyAny>>,
        name: &str,
    ) -> PyResult<u128> {
        self.check_supported(py, op)?;
        let operand = match operand {
            Some(obj) => self.bytes_arg(obj, name)?,
            None => 0,
        };
        let order = memory_order(order, "order")?;
        self.run(py, |r| r.read_modify_write(op, operand, order))
    }

    fn bit_op(
        &self,
        py: Python<'_>,
        op: OpType,
        index: &Bound<'_, PyAny>,
        order: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<bool> {
        let order = memory_order(order, "order")?;
        if op == OpType::BitTest {
            atomics_core::check_order(op, order).map_err(|e| core_error(py, e))?;
        }
        self.check_supported(py, op)?;
        let index = convert::bit_index(index)?;
        if op == OpType::BitTest {
            self.run(py, |r| r.bit_test(index, order))
        } else {
            self.run(py, |r| r.bit_modify(op, index, order))
        }
    }

    fn cmpxchg<'py>(
        &self,
        py: Python<'py>,
        op: OpType,
        expected: u128,
        desired: u128,
        success: MemoryOrder,
        failure: MemoryOrder,
    ) -> PyResult<Result<u128, u128>> {
        self.run(py, |r| r.compare_exchange(op, expected, desired, success, failure))
    }
}

/// The base of every atomic object and view: its memory and the properties every atomic has.
#[pyclass(module = "atomics._native", name = "AtomicBase", subclass, frozen)]
pub(crate) struct AtomicBase {
    handle: OnceLock<Handle>,
}

impl AtomicBase {
    fn handle(&self) -> PyResult<&Handle> {
        self.handle.get().ok_or_else(crate::memory::released_error)
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
        is_signed: Py<PyAny>,
    ) -> PyResult<()> {
        self.init("Atomic", || {
            let bytes = convert::width(width)?;
            Width::supported(bytes).ok_or_else(|| unsupported_width(py, bytes))?;
            let memory = Memory::owned(bytes).map_err(|e| core_error(py, e))?;
            Handle::new(py, Arc::new(memory), is_integral.is_truthy()?, is_signed)
        })
    }

    /// Makes the object a view of `core`'s memory.
    fn _init_view(&self, py: Python<'_>, core: &Bound<'_, PyAny>) -> PyResult<()> {
        self.init("AtomicView", || {
            let core = core
                .cast::<AtomicCore>()
                .map_err(|_| PyTypeError::new_err("Positional argument 'core' must have type 'AtomicCore'."))?
                .get();
            Handle::new(py, core.memory.clone(), core.integral, core.signed.clone_ref(py))
        })
    }

    /// Makes the object share `other`'s memory (`copy.copy`).
    fn _init_shared(&self, other: &Bound<'_, AtomicBase>) -> PyResult<()> {
        self.init("Atomic", || {
            let h = other.get().handle()?;
            Ok(Handle {
                memory: h.memory.clone(),
                width: h.width,
                readonly: h.readonly,
                integral: h.integral,
                signed: h.signed,
                signed_obj: h.signed_obj.clone_ref(other.py()),
            })
        })
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

/// The integer operations (`INTEGRAL`, `INT`, `UINT`).
#[pyclass(module = "atomics._native", name = "AtomicIntegralBase", extends = AtomicBase, subclass, frozen)]
pub(crate) struct AtomicIntegralBase;

fn handle<'a, T: pyo3::PyClass<BaseType = AtomicBase>>(slf: &'a Bound<'_, T>) -> PyResult<&'a Handle> {
    slf.as_super().get().handle()
}

#[pymethods]
impl AtomicIntegralBase {
    #[new]
    #[pyo3(signature = (*_args, **_kwargs))]
    fn new(_args: &Bound<'_, PyTuple>, _kwargs: Option<&Bound<'_, PyDict>>) -> PyClassInitializer<Self> {
        PyClassInitializer::from(AtomicBase { handle: OnceLock::new() }).add_subclass(AtomicIntegralBase)
    }

    /// Whether values are signed (as passed to the constructor).
    #[getter]
    fn signed(slf: &Bound<'_, Self>) -> PyResult<Py<PyAny>> {
        let handle = handle(slf)?;
        handle.memory.region()?;
        Ok(handle.signed_obj.clone_ref(slf.py()))
    }

    fn __str__(slf: &Bound<'_, Self>) -> PyResult<String> {
        let value = Self::load(slf, None)?.str()?.to_string();
        AtomicBase::base_str(slf.as_super(), Some(value))
    }

    fn __int__<'py>(slf: &Bound<'py, Self>) -> PyResult<Bound<'py, PyAny>> {
        Self::load(slf, None)
    }

    /// Writes `desired`.
    #[pyo3(signature = (desired, order = None))]
    fn store(slf: &Bound<'_, Self>, desired: &Bound<'_, PyAny>, order: Option<&Bound<'_, PyAny>>) -> PyResult<()> {
        let h = handle(slf)?;
        let bits = h.int_arg(desired, "desired")?;
        let order = memory_order(order, "order")?;
        h.run(slf.py(), |r| r.store(bits, order))
    }

    /// Reads the value.
    #[pyo3(signature = (order = None))]
    fn load<'py>(slf: &Bound<'py, Self>, order: Option<&Bound<'_, PyAny>>) -> PyResult<Bound<'py, PyAny>> {
        let h = handle(slf)?;
        let order = memory_order(order, "order")?;
        let bits = h.run(slf.py(), |r| r.load(order))?;
        h.to_int(slf.py(), bits)
    }

    /// Writes `desired`, returning the previous value.
    #[pyo3(signature = (desired, order = None))]
    fn exchange<'py>(
        slf: &Bound<'py, Self>,
        desired: &Bound<'_, PyAny>,
        order: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let h = handle(slf)?;
        let bits = h.int_rmw(slf.py(), OpType::Exchange, Some(desired), order, "desired")?;
        h.to_int(slf.py(), bits)
    }

    /// Compare-exchange that may fail spuriously.
    #[pyo3(signature = (expected, desired, success = None, failure = None))]
    fn cmpxchg_weak(
        slf: &Bound<'_, Self>,
        expected: &Bound<'_, PyAny>,
        desired: &Bound<'_, PyAny>,
        success: Option<&Bound<'_, PyAny>>,
        failure: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<CmpxchgResult> {
        Self::cmpxchg(slf, OpType::CmpxchgWeak, expected, desired, success, failure)
    }

    /// Compare-exchange that fails only when the value differs from `expected`.
    #[pyo3(signature = (expected, desired, success = None, failure = None))]
    fn cmpxchg_strong(
        slf: &Bound<'_, Self>,
        expected: &Bound<'_, PyAny>,
        desired: &Bound<'_, PyAny>,
        success: Option<&Bound<'_, PyAny>>,
        failure: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<CmpxchgResult> {
        Self::cmpxchg(slf, OpType::CmpxchgStrong, expected, desired, success, failure)
    }

    /// Reads bit `index`.
    #[pyo3(signature = (index, order = None))]
    fn bit_test(slf: &Bound<'_, Self>, index: &Bound<'_, PyAny>, order: Option<&Bound<'_, PyAny>>) -> PyResult<bool> {
        handle(slf)?.bit_op(slf.py(), OpType::BitTest, index, order)
    }

    /// Complements bit `index`, returning its previous value.
    #[pyo3(signature = (index, order = None))]
    fn bit_test_compl(
        slf: &Bound<'_, Self>,
        index: &Bound<'_, PyAny>,
        order: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<bool> {
        handle(slf)?.bit_op(slf.py(), OpType::BitTestCompl, index, order)
    }

    /// Sets bit `index`, returning its previous value.
    #[pyo3(signature = (index, order = None))]
    fn bit_test_set(
        slf: &Bound<'_, Self>,
        index: &Bound<'_, PyAny>,
        order: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<bool> {
        handle(slf)?.bit_op(slf.py(), OpType::BitTestSet, index, order)
    }

    /// Clears bit `index`, returning its previous value.
    #[pyo3(signature = (index, order = None))]
    fn bit_test_reset(
        slf: &Bound<'_, Self>,
        index: &Bound<'_, PyAny>,
        order: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<bool> {
        handle(slf)?.bit_op(slf.py(), OpType::BitTestReset, index, order)
    }

    /// Bitwise or with `value`.
    #[pyo3(signature = (value, order = None))]
    fn bin_or(slf: &Bound<'_, Self>, value: &Bound<'_, PyAny>, order: Option<&Bound<'_, PyAny>>) -> PyResult<()> {
        handle(slf)?.int_rmw(slf.py(), OpType::Or, Some(value), order, "value").map(drop)
    }

    /// Bitwise exclusive or with `value`.
    #[pyo3(signature = (value, order = None))]
    fn bin_xor(slf: &Bound<'_, Self>, value: &Bound<'_, PyAny>, order: Option<&Bound<'_, PyAny>>) -> PyResult<()> {
        handle(slf)?.int_rmw(slf.py(), OpType::Xor, Some(value), order, "value").map(drop)
    }

    /// Bitwise and with `value`.
    #[pyo3(signature = (value, order = None))]
    fn bin_and(slf: &Bound<'_, Self>, value: &Bound<'_, PyAny>, order: Option<&Bound<'_, PyAny>>) -> PyResult<()> {
        handle(slf)?.int_rmw(slf.py(), OpType::And, Some(value), order, "value").map(drop)
    }

    /// Complements every bit.
    #[pyo3(signature = (order = None))]
    fn bin_not(slf: &Bound<'_, Self>, order: Option<&Bound<'_, PyAny>>) -> PyResult<()> {
        handle(slf)?.int_rmw(slf.py(), OpType::Not, None, order, "value").map(drop)
    }

    /// Bitwise or with `value`, returning the previous value.
    #[pyo3(signature = (value, order = None))]
    fn bin_fetch_or<'py>(
        slf: &Bound<'py, Self>,
        value: &Bound<'_, PyAny>,
        order: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let h = handle(slf)?;
        let previous = h.int_rmw(slf.py(), OpType::FetchOr, Some(value), order, "value")?;
        h.to_int(slf.py(), previous)
    }

    /// Bitwise exclusive or with `value`, returning the previous value.
    #[pyo3(signature = (value, order = None))]
    fn bin_fetch_xor<'py>(
        slf: &Bound<'py, Self>,
        value: &Bound<'_, PyAny>,
        order: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let h = handle(slf)?;
        let previous = h.int_rmw(slf.py(), OpType::FetchXor, Some(value), order, "value")?;
        h.to_int(slf.py(), previous)
    }

    /// Bitwise and with `value`, returning the previous value.
    #[pyo3(signature = (value, order = None))]
    fn bin_fetch_and<'py>(
        slf: &Bound<'py, Self>,
        value: &Bound<'_, PyAny>,
        order: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let h = handle(slf)?;
        let previous = h.int_rmw(slf.py(), OpType::FetchAnd, Some(value), order, "value")?;
        h.to_int(slf.py(), previous)
    }

    /// Complements every bit, returning the previous value.
    #[pyo3(signature = (order = None))]
    fn bin_fetch_not<'py>(slf: &Bound<'py, Self>, order: Option<&Bound<'_, PyAny>>) -> PyResult<Bound<'py, PyAny>> {
        let h = handle(slf)?;
        let previous = h.int_rmw(slf.py(), OpType::FetchNot, None, order, "value")?;
        h.to_int(slf.py(), previous)
    }

    /// Adds `value`, wrapping around.
    #[pyo3(signature = (value, order = None))]
    fn add(slf: &Bound<'_, Self>, value: &Bound<'_, PyAny>, order: Option<&Bound<'_, PyAny>>) -> PyResult<()> {
        handle(slf)?.int_rmw(slf.py(), OpType::Add, Some(value), order, "value").map(drop)
    }

    /// Subtracts `value`, wrapping around.
    #[pyo3(signature = (value, order = None))]
    fn sub(slf: &Bound<'_, Self>, value: &Bound<'_, PyAny>, order: Option<&Bound<'_, PyAny>>) -> PyResult<()> {
        handle(slf)?.int_rmw(slf.py(), OpType::Sub, Some(value), order, "value").map(drop)
    }

    /// Adds 1, wrapping around.
    #[pyo3(signature = (order = None))]
    fn inc(slf: &Bound<'_, Self>, order: Option<&Bound<'_, PyAny>>) -> PyResult<()> {
        handle(slf)?.int_rmw(slf.py(), OpType::Inc, None, order, "value").map(drop)
    }

    /// Subtracts 1, wrapping around.
    #[pyo3(signature = (order = None))]
    fn dec(slf: &Bound<'_, Self>, order: Option<&Bound<'_, PyAny>>) -> PyResult<()> {
        handle(slf)?.int_rmw(slf.py(), OpType::Dec, None, order, "value").map(drop)
    }

    /// Negates (two's complement; the minimum stays the minimum).
    #[pyo3(signature = (order = None))]
    fn neg(slf: &Bound<'_, Self>, order: Option<&Bound<'_, PyAny>>) -> PyResult<()> {
        handle(slf)?.int_rmw(slf.py(), OpType::Neg, None, order, "value").map(drop)
    }

    /// Adds `value`, returning the previous value.
    #[pyo3(signature = (value, order = None))]
    fn fetch_add<'py>(
        slf: &Bound<'py, Self>,
        value: &Bound<'_, PyAny>,
        order: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let h = handle(slf)?;
        let previous = h.int_rmw(slf.py(), OpType::FetchAdd, Some(value), order, "value")?;
        h.to_int(slf.py(), previous)
    }

    /// Subtracts `value`, returning the previous value.
    #[pyo3(signature = (value, order = None))]
    fn fetch_sub<'py>(
        slf: &Bound<'py, Self>,
        value: &Bound<'_, PyAny>,
        order: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let h = handle(slf)?;
        let previous = h.int_rmw(slf.py(), OpType::FetchSub, Some(value), order, "value")?;
        h.to_int(slf.py(), previous)
    }

    /// Adds 1, returning the previous value.
    #[pyo3(signature = (order = None))]
    fn fetch_inc<'py>(slf: &Bound<'py, Self>, order: Option<&Bound<'_, PyAny>>) -> PyResult<Bound<'py, PyAny>> {
        let h = handle(slf)?;
        let previous = h.int_rmw(slf.py(), OpType::FetchInc, None, order, "value")?;
        h.to_int(slf.py(), previous)
    }

    /// Subtracts 1, returning the previous value.
    #[pyo3(signature = (order = None))]
    fn fetch_dec<'py>(slf: &Bound<'py, Self>, order: Option<&Bound<'_, PyAny>>) -> PyResult<Bound<'py, PyAny>> {
        let h = handle(slf)?;
        let previous = h.int_rmw(slf.py(), OpType::FetchDec, None, order, "value")?;
        h.to_int(slf.py(), previous)
    }

    /// Negates, returning the previous value.
    #[pyo3(signature = (order = None))]
    fn fetch_neg<'py>(slf: &Bound<'py, Self>, order: Option<&Bound<'_, PyAny>>) -> PyResult<Bound<'py, PyAny>> {
        let h = handle(slf)?;
        let previous = h.int_rmw(slf.py(), OpType::FetchNeg, None, order, "value")?;
        h.to_int(slf.py(), previous)
    }
}

impl AtomicIntegralBase {
    fn cmpxchg(
        slf: &Bound<'_, Self>,
        op: OpType,
        expected: &Bound<'_, PyAny>,
        desired: &Bound<'_, PyAny>,
        success: Option<&Bound<'_, PyAny>>,
        failure: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<CmpxchgResult> {
        let py = slf.py();
        let h = handle(slf)?;
        let e = h.int_arg(expected, "expected")?;
        let d = h.int_arg(desired, "desired")?;
        let (s, f) = (memory_order(success, "success")?, memory_order(failure, "failure")?);
        Ok(match h.cmpxchg(py, op, e, d, s, f)? {
            Ok(_) => CmpxchgResult::new(true, expected.clone()),
            Err(found) => CmpxchgResult::new(false, h.to_int(py, found)?),
        })
    }
}

/// The byte operations (`BYTES`): values are `bytes` of exactly `width` bytes.
#[pyclass(module = "atomics._native", name = "AtomicBytesBase", extends = AtomicBase, subclass, frozen)]
pub(crate) struct AtomicBytesBase;

#[pymethods]
impl AtomicBytesBase {
    #[new]
    #[pyo3(signature = (*_args, **_kwargs))]
    fn new(_args: &Bound<'_, PyTuple>, _kwargs: Option<&Bound<'_, PyDict>>) -> PyClassInitializer<Self> {
        PyClassInitializer::from(AtomicBase { handle: OnceLock::new() }).add_subclass(AtomicBytesBase)
    }

    fn __str__(slf: &Bound<'_, Self>) -> PyResult<String> {
        let value = Self::load(slf, None)?.str()?.to_string();
        AtomicBase::base_str(slf.as_super(), Some(value))
    }

    fn __bytes__<'py>(slf: &Bound<'py, Self>) -> PyResult<Bound<'py, PyAny>> {
        Self::load(slf, None)
    }

    /// Writes `desired`.
    #[pyo3(signature = (desired, order = None))]
    fn store(slf: &Bound<'_, Self>, desired: &Bound<'_, PyAny>, order: Option<&Bound<'_, PyAny>>) -> PyResult<()> {
        let py = slf.py();
        let h = handle(slf)?;
        h.check_supported(py, OpType::Store)?;
        let order = memory_order(order, "order")?;
        atomics_core::check_order(OpType::Store, order).map_err(|e| core_error(py, e))?;
        let bits = h.bytes_arg(desired, "desired")?;
        h.run(py, |r| r.store(bits, order))
    }

    /// Reads the value.
    #[pyo3(signature = (order = None))]
    fn load<'py>(slf: &Bound<'py, Self>, order: Option<&Bound<'_, PyAny>>) -> PyResult<Bound<'py, PyAny>> {
        let h = handle(slf)?;
        let order = memory_order(order, "order")?;
        let bits = h.run(slf.py(), |r| r.load(order))?;
        Ok(h.to_bytes(slf.py(), bits))
    }

    /// Writes `desired`, returning the previous value.
    #[pyo3(signature = (desired, order = None))]
    fn exchange<'py>(
        slf: &Bound<'py, Self>,
        desired: &Bound<'_, PyAny>,
        order: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let h = handle(slf)?;
        let bits = h.bytes_rmw(slf.py(), OpType::Exchange, Some(desired), order, "desired")?;
        Ok(h.to_bytes(slf.py(), bits))
    }

    /// Compare-exchange that may fail spuriously.
    #[pyo3(signature = (expected, desired, succ = None, fail = None))]
    fn cmpxchg_weak(
        slf: &Bound<'_, Self>,
        expected: &Bound<'_, PyAny>,
        desired: &Bound<'_, PyAny>,
        succ: Option<&Bound<'_, PyAny>>,
        fail: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<CmpxchgResult> {
        Self::cmpxchg(slf, OpType::CmpxchgWeak, expected, desired, succ, fail)
    }

    /// Compare-exchange that fails only when the value differs from `expected`.
    #[pyo3(signature = (expected, desired, succ = None, fail = None))]
    fn cmpxchg_strong(
        slf: &Bound<'_, Self>,
        expected: &Bound<'_, PyAny>,
        desired: &Bound<'_, PyAny>,
        succ: Option<&Bound<'_, PyAny>>,
        fail: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<CmpxchgResult> {
        Self::cmpxchg(slf, OpType::CmpxchgStrong, expected, desired, succ, fail)
    }

    /// Reads bit `index`.
    #[pyo3(signature = (index, order = None))]
    fn bit_test(slf: &Bound<'_, Self>, index: &Bound<'_, PyAny>, order: Option<&Bound<'_, PyAny>>) -> PyResult<bool> {
        handle(slf)?.bit_op(slf.py(), OpType::BitTest, index, order)
    }

    /// Complements bit `index`, returning its previous value.
    #[pyo3(signature = (index, order = None))]
    fn bit_test_compl(
        slf: &Bound<'_, Self>,
        index: &Bound<'_, PyAny>,
        order: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<bool> {
        handle(slf)?.bit_op(slf.py(), OpType::BitTestCompl, index, order)
    }

    /// Sets bit `index`, returning its previous value.
    #[pyo3(signature = (index, order = None))]
    fn bit_test_set(
        slf: &Bound<'_, Self>,
        index: &Bound<'_, PyAny>,
        order: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<bool> {
        handle(slf)?.bit_op(slf.py(), OpType::BitTestSet, index, order)
    }

    /// Clears bit `index`, returning its previous value.
    #[pyo3(signature = (index, order = None))]
    fn bit_test_reset(
        slf: &Bound<'_, Self>,
        index: &Bound<'_, PyAny>,
        order: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<bool> {
        handle(slf)?.bit_op(slf.py(), OpType::BitTestReset, index, order)
    }

    /// Bitwise or with `value`.
    #[pyo3(signature = (value, order = None))]
    fn bin_or(slf: &Bound<'_, Self>, value: &Bound<'_, PyAny>, order: Option<&Bound<'_, PyAny>>) -> PyResult<()> {
        handle(slf)?.bytes_rmw(slf.py(), OpType::Or, Some(value), order, "value").map(drop)
    }

    /// Bitwise exclusive or with `value`.
    #[pyo3(signature = (value, order = None))]
    fn bin_xor(slf: &Bound<'_, Self>, value: &Bound<'_, PyAny>, order: Option<&Bound<'_, PyAny>>) -> PyResult<()> {
        handle(slf)?.bytes_rmw(slf.py(), OpType::Xor, Some(value), order, "value").map(drop)
    }

    /// Bitwise and with `value`.
    #[pyo3(signature = (value, order = None))]
    fn bin_and(slf: &Bound<'_, Self>, value: &Bound<'_, PyAny>, order: Option<&Bound<'_, PyAny>>) -> PyResult<()> {
        handle(slf)?.bytes_rmw(slf.py(), OpType::And, Some(value), order, "value").map(drop)
    }

    /// Complements every bit.
    #[pyo3(signature = (order = None))]
    fn bin_not(slf: &Bound<'_, Self>, order: Option<&Bound<'_, PyAny>>) -> PyResult<()> {
        handle(slf)?.bytes_rmw(slf.py(), OpType::Not, None, order, "value").map(drop)
    }

    /// Bitwise or with `value`, returning the previous value.
    #[pyo3(signature = (value, order = None))]
    fn bin_fetch_or<'py>(
        slf: &Bound<'py, Self>,
        value: &Bound<'_, PyAny>,
        order: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let h = handle(slf)?;
        let previous = h.bytes_rmw(slf.py(), OpType::FetchOr, Some(value), order, "value")?;
        Ok(h.to_bytes(slf.py(), previous))
    }

    /// Bitwise exclusive or with `value`, returning the previous value.
    #[pyo3(signature = (value, order = None))]
    fn bin_fetch_xor<'py>(
        slf: &Bound<'py, Self>,
        value: &Bound<'_, PyAny>,
        order: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let h = handle(slf)?;
        let previous = h.bytes_rmw(slf.py(), OpType::FetchXor, Some(value), order, "value")?;
        Ok(h.to_bytes(slf.py(), previous))
    }

    /// Bitwise and with `value`, returning the previous value.
    #[pyo3(signature = (value, order = None))]
    fn bin_fetch_and<'py>(
        slf: &Bound<'py, Self>,
        value: &Bound<'_, PyAny>,
        order: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let h = handle(slf)?;
        let previous = h.bytes_rmw(slf.py(), OpType::FetchAnd, Some(value), order, "value")?;
        Ok(h.to_bytes(slf.py(), previous))
    }

    /// Complements every bit, returning the previous value.
    #[pyo3(signature = (order = None))]
    fn bin_fetch_not<'py>(slf: &Bound<'py, Self>, order: Option<&Bound<'_, PyAny>>) -> PyResult<Bound<'py, PyAny>> {
        let h = handle(slf)?;
        let previous = h.bytes_rmw(slf.py(), OpType::FetchNot, None, order, "value")?;
        Ok(h.to_bytes(slf.py(), previous))
    }
}

impl AtomicBytesBase {
    fn cmpxchg(
        slf: &Bound<'_, Self>,
        op: OpType,
        expected: &Bound<'_, PyAny>,
        desired: &Bound<'_, PyAny>,
        succ: Option<&Bound<'_, PyAny>>,
        fail: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<CmpxchgResult> {
        let py = slf.py();
        let h = handle(slf)?;
        h.check_supported(py, op)?;
        let e = bytes_to_bits(expected, h.width, "expected", true)?;
        let d = bytes_to_bits(desired, h.width, "desired", true)?;
        let (s, f) = (memory_order(succ, "succ")?, memory_order(fail, "fail")?);
        // A fresh `bytes` either way: the caller's object is never written to.
        Ok(match h.cmpxchg(py, op, e, d, s, f)? {
            Ok(previous) => CmpxchgResult::new(true, h.to_bytes(py, previous)),
            Err(found) => CmpxchgResult::new(false, h.to_bytes(py, found)),
        })
    }
}
