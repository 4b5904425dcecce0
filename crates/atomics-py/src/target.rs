//! One atomic (a single atomic's memory or an array's element) as the methods see it: every
//! method binds its arguments, converts them with the family's [`Values`], makes one call
//! into the core and builds the result, in the order of checks `atomics` 1.0 has.

use std::marker::PhantomData;
use std::time::{Duration, Instant};

use atomics_core::{
    check_fail_order, check_order, Core, Error, Family, MemoryOrder, Method, OpType, Operand, Outcome, Param, Region,
    Returns, ValueKind, WaitOutcome,
};
use pyo3::exceptions::PySystemError;
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyTuple};

use crate::cmpxchg::new_result;
use crate::convert::{self, bit_index, memory_order};
use crate::errors::core_error;
use crate::fastcall::{optional, Arg};
use crate::memory::{Backing, InUse};
use crate::values::Values;

/// How long one sleep of `wait` lasts at most: signals (Ctrl-C) are checked between sleeps,
/// and a release of the memory waits for sleepers for at most this long.
const WAIT_SLICE: Duration = Duration::from_millis(50);

/// The argument given for parameter `param` of a method with parameters `params` (in the
/// table's order), if any.
#[inline(always)]
fn arg<'b, 'py>(params: &[Param], args: &'b [Arg<'_, 'py>], param: Param) -> Option<&'b Bound<'py, PyAny>> {
    let at = params.iter().position(|p| *p == param)?;
    optional(&args[at])
}

/// The Python name of parameter `param` for family `V` (on an array's element, a bit is `bit`).
pub(crate) const fn param_name<V: Values>(param: Param, element: bool) -> &'static str {
    match param {
        Param::Desired => "desired",
        Param::Value => "value",
        Param::Expected => "expected",
        Param::Bit if element => "bit",
        Param::Bit => "index",
        Param::Order => "order",
        Param::SuccessOrder => V::ORDER_NAMES.0,
        Param::FailureOrder => V::ORDER_NAMES.1,
        Param::Old => "old",
        Param::Timeout => "timeout",
        Param::Function => "fn",
    }
}

/// One atomic of family `V`: its region, what keeps it valid, and its kind of value.
pub(crate) struct Target<'a, V> {
    region: Region,
    backing: &'a Backing,
    kind: ValueKind,
    values: PhantomData<V>,
}

impl<'a, V: Values> Target<'a, V> {
    /// Element `region` of `backing`, holding values of `kind`.
    #[inline(always)]
    pub(crate) fn new(region: Region, backing: &'a Backing, kind: ValueKind) -> Self {
        // The family's kinds, spelled out so that the compiler knows them: every check that
        // depends only on the family then folds away.
        let kind = match V::FAMILY {
            Family::Bytes => ValueKind::Bytes,
            Family::Float => ValueKind::Float,
            Family::Int if kind == ValueKind::Int => ValueKind::Int,
            Family::Int => ValueKind::Uint,
        };
        Target { region, backing, kind, values: PhantomData }
    }
}

impl<V: Values> Target<'_, V> {
    /// The region for one core call (or the released `ValueError`); see [`Backing::enter`].
    /// Every call is written `let outcome = self.enter()?.call(...); outcome.map_err(...)`:
    /// the region is given up at the end of the `let`, before mapping an error runs Python
    /// code.
    #[inline(always)]
    fn enter(&self) -> PyResult<InUse<'_>> {
        self.backing.enter(self.region)
    }

    fn refused<'py>(&self, py: Python<'py>) -> impl FnOnce(Error) -> PyErr + 'py {
        move |error| core_error(py, error)
    }

    /// Fails unless `op` can run on this memory, for the checks that precede conversions.
    #[inline(always)]
    fn check_supported(&self, py: Python<'_>, op: OpType) -> PyResult<()> {
        self.region.check_supported(op).map_err(|e| core_error(py, e))
    }

    #[inline(always)]
    fn parse(&self, obj: &Bound<'_, PyAny>, name: &str, cmpxchg: bool) -> PyResult<u128> {
        V::parse(obj, self.region.width(), self.kind == ValueKind::Int, name, cmpxchg)
    }

    /// The Python value of `bits`.
    #[inline(always)]
    pub(crate) fn build<'py>(&self, py: Python<'py>, bits: u128) -> PyResult<Bound<'py, PyAny>> {
        V::build(py, bits, self.region.width(), self.kind == ValueKind::Int)
    }

    pub(crate) fn width(&self) -> atomics_core::Width {
        self.region.width()
    }

    pub(crate) fn signed(&self) -> bool {
        self.kind == ValueKind::Int
    }

    /// Operation `op` with `operand` in `order`, or `None`, having changed nothing, when the
    /// memory is released or the core refuses it (`fast.rs`).
    #[inline(always)]
    pub(crate) fn try_apply(&self, op: OpType, operand: Operand, order: MemoryOrder) -> Option<Outcome> {
        let outcome = self.backing.try_enter(self.region)?.apply(op, self.kind, operand, order);
        outcome.ok()
    }

    /// The value, read with the default order (`str()`, `int()`, `a[i]`).
    pub(crate) fn value<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        self.operate(py, OpType::Load, &[None])
    }

    /// Stores `value` with the default order (`a[i] = value`).
    pub(crate) fn set_value(&self, py: Python<'_>, value: &Bound<'_, PyAny>) -> PyResult<()> {
        self.operate(py, OpType::Store, &[Some(value.as_borrowed()), None]).map(drop)
    }

    /// Operation `op` with `args` in the order of its parameters in the table: the
    /// arguments converted, one call of `Region::apply`, the result as the table says.
    ///
    /// The order of checks is `atomics` 1.0's. Released memory was refused before (see
    /// `Handle::target`). The bit operations convert their order, check the memory, then the
    /// index. The bytes family checks the memory first (and a store its order, and a
    /// compare-exchange the lengths of its operands and its orders) before converting its
    /// operands, which may run their code; the others convert first. Everything else is
    /// checked by the core.
    #[inline(always)]
    pub(crate) fn operate<'py>(
        &self,
        py: Python<'py>,
        op: OpType,
        args: &[Arg<'_, 'py>],
    ) -> PyResult<Bound<'py, PyAny>> {
        let params = op.params();
        let arg = |param| arg(params, args, param);
        let name = |param| param_name::<V>(param, false);
        let (operand, order) = match op.core() {
            Core::BitTest | Core::BitModify(_) => {
                let order = memory_order(arg(Param::Order), "order")?;
                self.check_supported(py, op)?;
                (Operand::Bit(bit_index(given_arg(arg(Param::Bit))?)?), order)
            }
            Core::CompareExchange { .. } => {
                let (expected, desired) = (given_arg(arg(Param::Expected))?, given_arg(arg(Param::Desired))?);
                let orders = || -> PyResult<(MemoryOrder, MemoryOrder)> {
                    let success = memory_order(arg(Param::SuccessOrder), name(Param::SuccessOrder))?;
                    Ok((success, memory_order(arg(Param::FailureOrder), name(Param::FailureOrder))?))
                };
                let checked = if V::CHECKS_BEFORE_CONVERSION {
                    self.check_supported(py, op)?;
                    V::check_length(expected, self.region.width(), "expected")?;
                    V::check_length(desired, self.region.width(), "desired")?;
                    let (success, failure) = orders()?;
                    check_fail_order(op, success, failure).map_err(|e| core_error(py, e))?;
                    Some((success, failure))
                } else {
                    None
                };
                let expected_bits = self.parse(expected, "expected", true)?;
                let desired_bits = self.parse(desired, "desired", true)?;
                let (success, failure) = match checked {
                    Some(orders) => orders,
                    None => orders()?,
                };
                let exchange = Operand::Exchange { expected: expected_bits, desired: desired_bits, failure };
                let outcome = self.enter()?.apply(op, self.kind, exchange, success);
                return match outcome.map_err(self.refused(py))? {
                    Outcome::Exchanged(Ok(previous)) => new_result(
                        true,
                        V::expected_on_success(expected, previous, self.region.width(), self.kind == ValueKind::Int)?,
                    ),
                    found => new_result(false, self.build(py, found.bits())?),
                };
            }
            core => {
                let store_order = if V::CHECKS_BEFORE_CONVERSION {
                    self.check_supported(py, op)?;
                    if core == Core::Store {
                        let order = memory_order(arg(Param::Order), "order")?;
                        check_order(op, order).map_err(|e| core_error(py, e))?;
                        Some(order)
                    } else {
                        None
                    }
                } else {
                    None
                };
                let operand = match params.iter().find(|p| matches!(p, Param::Value | Param::Desired)) {
                    Some(&param) => Operand::Value(self.parse(given_arg(arg(param))?, name(param), false)?),
                    None => Operand::None,
                };
                let order = match store_order {
                    Some(order) => order,
                    None => memory_order(arg(Param::Order), "order")?,
                };
                (operand, order)
            }
        };
        let outcome = self.enter()?.apply(op, self.kind, operand, order).map_err(self.refused(py))?;
        match (op.returns(), outcome) {
            (Returns::Nothing, _) => Ok(py.None().into_bound(py)),
            (Returns::Bit, Outcome::Bit(bit)) => Ok(PyBool::new(py, bit).to_owned().into_any()),
            (_, outcome) => self.build(py, outcome.bits()),
        }
    }

    /// One of the methods beyond `OpType`, with `args` in the order of its parameters.
    pub(crate) fn call_method<'py>(
        &self,
        py: Python<'py>,
        method: Method,
        args: &[Arg<'_, 'py>],
    ) -> PyResult<Bound<'py, PyAny>> {
        let arg = |param| arg(method.params(), args, param);
        match method {
            Method::Wait => {
                let changed = self.wait(py, given_arg(arg(Param::Old))?, arg(Param::Timeout))?;
                Ok(PyBool::new(py, changed).to_owned().into_any())
            }
            Method::NotifyOne | Method::NotifyAll => {
                let outcome =
                    if method == Method::NotifyAll { self.enter()?.notify_all() } else { self.enter()?.notify_one() };
                outcome.map_err(self.refused(py))?;
                Ok(py.None().into_bound(py))
            }
            Method::Update => {
                let (old, new) = self.update(py, given_arg(arg(Param::Function))?)?;
                Ok(PyTuple::new(py, [old, new])?.into_any())
            }
        }
    }

    /// `wait(old, timeout)`: true once the value differs from `old`, false when `timeout`
    /// seconds pass first. The GIL is released while sleeping; Ctrl-C raises
    /// `KeyboardInterrupt` within one slice.
    fn wait(&self, py: Python<'_>, old: &Bound<'_, PyAny>, timeout: Option<&Bound<'_, PyAny>>) -> PyResult<bool> {
        let old = self.parse(old, "old", false)?;
        let deadline = convert::timeout(timeout)?.and_then(|t| Instant::now().checked_add(t));
        loop {
            let now = Instant::now();
            let slice_end = match deadline {
                Some(d) if d <= now + WAIT_SLICE => d,
                _ => now + WAIT_SLICE,
            };
            match self.backing.wait(py, self.region, old, slice_end)?.map_err(self.refused(py))? {
                WaitOutcome::Changed => return Ok(true),
                WaitOutcome::TimedOut if deadline.is_some_and(|d| Instant::now() >= d) => return Ok(false),
                WaitOutcome::TimedOut | WaitOutcome::Interrupted => py.check_signals()?,
            }
        }
    }

    /// `update(fn)`: replaces the value `v` by `fn(v)` with a compare-exchange, calling `fn`
    /// again whenever another writer got there first; returns `(old, new)`.
    fn update<'py>(&self, py: Python<'py>, f: &Bound<'py, PyAny>) -> PyResult<(Bound<'py, PyAny>, Bound<'py, PyAny>)> {
        // Read-only memory can never be updated: refuse before calling the caller's `f`.
        self.check_supported(py, OpType::CmpxchgWeak)?;
        let outcome = self.enter()?.load(MemoryOrder::SeqCst);
        let mut current = outcome.map_err(self.refused(py))?;
        loop {
            let old = self.build(py, current)?;
            let new = f.call1((&old,))?; // Python code: no region is held here
            let bits = self.parse(&new, "fn result", false)?;
            let (s, fail) = (MemoryOrder::SeqCst, MemoryOrder::SeqCst);
            let outcome = self.enter()?.compare_exchange(OpType::CmpxchgWeak, current, bits, s, fail);
            match outcome.map_err(self.refused(py))? {
                Ok(_) => return Ok((old, new)),
                Err(found) => current = found,
            }
        }
    }
}

/// A required argument, which binding made sure is there.
#[inline(always)]
fn given_arg<'b, 'py>(arg: Option<&'b Bound<'py, PyAny>>) -> PyResult<&'b Bound<'py, PyAny>> {
    arg.ok_or_else(|| PySystemError::new_err("required argument missing after binding"))
}
