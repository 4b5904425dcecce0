//! What an initialised atomic object holds, and the operations every family shares: parse
//! the arguments, make one call into the core, build the result.

use std::marker::PhantomData;

use std::time::{Duration, Instant};

use atomics_core::{check_fail_order, check_order, Arithmetic, Error, OpType, Region, WaitOutcome, Width};
use pyo3::prelude::*;

use crate::cmpxchg::new_result;
use crate::convert::{self, bit_index, memory_order};
use crate::errors::core_error;
use crate::memory::{Backing, InUse, Memory};
use crate::values::Values;

/// An atomic object's memory and how it reads it. Immutable once made.
pub(crate) struct Handle {
    pub(crate) memory: Memory,
    pub(crate) width: Width,
    pub(crate) readonly: bool,
    /// What arithmetic the value admits (which operations `ops_supported` lists).
    pub(crate) arithmetic: Arithmetic,
    /// Signedness as a bool, for conversions.
    pub(crate) signed: bool,
    /// Signedness as passed in (`atomics` 1.0 shows it raw: `signed=1`).
    pub(crate) signed_obj: Py<PyAny>,
}

/// The arguments of a read-modify-write: `operand` (if the operation takes one) and `order`.
pub(crate) struct RmwArgs<'a, 'py> {
    pub(crate) operand: Option<&'a Bound<'py, PyAny>>,
    pub(crate) order: Option<&'a Bound<'py, PyAny>>,
    pub(crate) name: &'static str,
}

impl Handle {
    pub(crate) fn new(
        py: Python<'_>,
        memory: Memory,
        arithmetic: Arithmetic,
        signed_obj: &Bound<'_, PyAny>,
    ) -> PyResult<Handle> {
        let region = memory.region()?;
        let (width, readonly) = (region.width(), region.readonly());
        if !arithmetic.has_width(width) {
            return Err(core_error(py, Error::UnsupportedWidth { width: width.bytes(), readonly }));
        }
        let signed = signed_obj.is_truthy()?;
        memory.backing().check_items(arithmetic, signed, width, "a buffer")?;
        Ok(Handle { memory, width, readonly, arithmetic, signed, signed_obj: signed_obj.clone().unbind() })
    }

    /// A second handle on the same memory.
    pub(crate) fn share(&self, py: Python<'_>) -> Handle {
        Handle { memory: self.memory.clone(), signed_obj: self.signed_obj.clone_ref(py), ..*self }
    }

    /// The operations on values of family `V`, or the released `ValueError`: checked here,
    /// before an operation looks at any argument, as `atomics` 1.0 does. One load of the flag;
    /// what keeps the memory valid is the later [`Backing::enter`], since converting the
    /// arguments can run Python code that releases it.
    #[inline(always)]
    pub(crate) fn values<V: Values>(&self) -> PyResult<Family<'_, V>> {
        let (region, backing) = self.memory.parts();
        backing.check_open()?;
        Ok(Family { region, backing, signed: self.signed, values: PhantomData })
    }
}

/// How long one sleep of `wait` lasts at most: signals (Ctrl-C) are checked between sleeps,
/// and a release of the memory waits for sleepers for at most this long.
const WAIT_SLICE: Duration = Duration::from_millis(50);

/// Maps a refused core operation to its Python exception.
fn refused(py: Python<'_>) -> impl FnOnce(Error) -> PyErr + '_ {
    move |error| core_error(py, error)
}

/// One atomic (a scalar's memory or an array's element) seen through the value conversions
/// of family `V`: every operation parses its arguments, makes one call into the core on the
/// region, and builds the result.
pub(crate) struct Family<'a, V> {
    region: Region,
    backing: &'a Backing,
    signed: bool,
    values: PhantomData<V>,
}

impl<'a, V: Values> Family<'a, V> {
    /// Element `region` of `backing`, whose values are signed when `signed`.
    #[inline(always)]
    pub(crate) fn new(region: Region, backing: &'a Backing, signed: bool) -> Self {
        Family { region, backing, signed, values: PhantomData }
    }
}

impl<V: Values> Family<'_, V> {
    /// The region for one core operation (or the released `ValueError`); see
    /// [`Backing::enter`]. Every operation is written
    /// `let outcome = self.enter()?.operation(...); outcome.map_err(refused(py))`: the region
    /// is given up at the end of the `let`, before mapping an error runs Python code, and the
    /// call is written out (not passed as a closure) so that the constant operation folds.
    #[inline(always)]
    fn enter(&self) -> PyResult<InUse<'_>> {
        self.backing.enter(self.region)
    }

    /// Fails unless `op` exists here, for checks that must precede argument conversion.
    /// (Released memory was refused when the family was made.)
    #[inline(always)]
    fn check_supported(&self, py: Python<'_>, op: OpType) -> PyResult<()> {
        self.region.check_supported(op).map_err(|e| core_error(py, e))
    }

    fn parse(&self, obj: &Bound<'_, PyAny>, name: &str, cmpxchg: bool) -> PyResult<u128> {
        V::parse(obj, self.region.width(), self.signed, name, cmpxchg)
    }

    /// The Python value of `bits`.
    #[inline(always)]
    pub(crate) fn build<'py>(&self, py: Python<'py>, bits: u128) -> PyResult<Bound<'py, PyAny>> {
        V::build(py, bits, self.region.width(), self.signed)
    }

    /// `notify_one` / `notify_all`.
    pub(crate) fn notify(&self, py: Python<'_>, all: bool) -> PyResult<()> {
        let outcome = if all { self.enter()?.notify_all() } else { self.enter()?.notify_one() };
        outcome.map_err(refused(py))
    }

    /// `bit_test` and its modifying forms; the bit's previous value.
    pub(crate) fn bit_op(
        &self,
        py: Python<'_>,
        op: OpType,
        index: &Bound<'_, PyAny>,
        order: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<bool> {
        // (bit_test's order is checked before anything else, by its method: see methods.rs)
        let order = memory_order(order, "order")?;
        self.check_supported(py, op)?;
        let index = bit_index(index)?;
        if op == OpType::BitTest {
            let outcome = self.enter()?.bit_test(index, order);
            outcome.map_err(refused(py))
        } else {
            let outcome = self.enter()?.bit_modify(op, index, order);
            outcome.map_err(refused(py))
        }
    }

    #[inline(always)]
    pub(crate) fn store(
        &self,
        py: Python<'_>,
        desired: &Bound<'_, PyAny>,
        order: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<()> {
        let h = self;
        let bits;
        let order = if V::CHECKS_BEFORE_CONVERSION {
            h.check_supported(py, OpType::Store)?;
            let order = memory_order(order, "order")?;
            check_order(OpType::Store, order).map_err(|e| core_error(py, e))?;
            bits = self.parse(desired, "desired", false)?;
            order
        } else {
            bits = self.parse(desired, "desired", false)?;
            memory_order(order, "order")?
        };
        let outcome = h.enter()?.store(bits, order);
        outcome.map_err(refused(py))
    }

    #[inline(always)]
    pub(crate) fn load<'py>(&self, py: Python<'py>, order: Option<&Bound<'_, PyAny>>) -> PyResult<Bound<'py, PyAny>> {
        let order = memory_order(order, "order")?;
        let outcome = self.enter()?.load(order);
        let bits = outcome.map_err(refused(py))?;
        self.build(py, bits)
    }

    /// A read-modify-write (`EXCHANGE`, binary and arithmetic operations); the previous value.
    #[inline(always)]
    pub(crate) fn rmw(&self, py: Python<'_>, op: OpType, args: RmwArgs<'_, '_>) -> PyResult<u128> {
        let h = self;
        if V::CHECKS_BEFORE_CONVERSION {
            h.check_supported(py, op)?;
        }
        let operand = match args.operand {
            Some(obj) => self.parse(obj, args.name, false)?,
            None => 0,
        };
        let order = memory_order(args.order, "order")?;
        let outcome = if V::FLOAT && op != OpType::Exchange {
            h.enter()?.float_arithmetic(op, operand, order)
        } else {
            h.enter()?.read_modify_write(op, operand, order)
        };
        outcome.map_err(refused(py))
    }

    /// `wait(old, timeout)`: true once the value differs from `old`, false when `timeout`
    /// seconds pass first. The GIL is released while sleeping; Ctrl-C raises
    /// `KeyboardInterrupt` within one slice.
    pub(crate) fn wait(
        &self,
        py: Python<'_>,
        old: &Bound<'_, PyAny>,
        timeout: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<bool> {
        let old = self.parse(old, "old", false)?;
        let deadline = convert::timeout(timeout)?.and_then(|t| Instant::now().checked_add(t));
        loop {
            let now = Instant::now();
            let slice_end = match deadline {
                Some(d) if d <= now + WAIT_SLICE => d,
                _ => now + WAIT_SLICE,
            };
            match self.backing.wait(py, self.region, old, slice_end)?.map_err(refused(py))? {
                WaitOutcome::Changed => return Ok(true),
                WaitOutcome::TimedOut if deadline.is_some_and(|d| Instant::now() >= d) => return Ok(false),
                WaitOutcome::TimedOut | WaitOutcome::Interrupted => py.check_signals()?,
            }
        }
    }

    /// The signed-aware arithmetic (`fetch_max`, `add_fetch`, `checked_fetch_add`, ...); the
    /// previous or new value as `Region::arithmetic` says.
    pub(crate) fn arithmetic(&self, py: Python<'_>, op: OpType, args: RmwArgs<'_, '_>) -> PyResult<u128> {
        let operand = match args.operand {
            Some(obj) => self.parse(obj, args.name, false)?,
            None => 0,
        };
        let order = memory_order(args.order, "order")?;
        if V::FLOAT {
            let outcome = self.enter()?.float_arithmetic(op, operand, order);
            return outcome.map_err(refused(py));
        }
        let outcome = self.enter()?.arithmetic(op, operand, order, self.signed);
        outcome.map_err(refused(py))
    }

    /// `update(fn)`: replaces the value `v` by `fn(v)` with a compare-exchange, calling `fn`
    /// again whenever another writer got there first; returns `(old, new)`.
    pub(crate) fn update<'py>(
        &self,
        py: Python<'py>,
        f: &Bound<'py, PyAny>,
    ) -> PyResult<(Bound<'py, PyAny>, Bound<'py, PyAny>)> {
        // Read-only memory can never be updated: refuse before calling the caller's `f`.
        self.check_supported(py, OpType::CmpxchgWeak)?;
        let outcome = self.enter()?.load(atomics_core::MemoryOrder::SeqCst);
        let mut current = outcome.map_err(refused(py))?;
        loop {
            let old = self.build(py, current)?;
            let new = f.call1((&old,))?; // Python code: no region is held here
            let bits = self.parse(&new, "fn result", false)?;
            let (s, fail) = (atomics_core::MemoryOrder::SeqCst, atomics_core::MemoryOrder::SeqCst);
            let outcome = self.enter()?.compare_exchange(OpType::CmpxchgWeak, current, bits, s, fail);
            match outcome.map_err(refused(py))? {
                Ok(_) => return Ok((old, new)),
                Err(found) => current = found,
            }
        }
    }

    /// `cmpxchg_weak` / `cmpxchg_strong`; `names` are the order parameters' names.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn cmpxchg<'py>(
        &self,
        py: Python<'py>,
        op: OpType,
        expected: &Bound<'py, PyAny>,
        desired: &Bound<'py, PyAny>,
        success: Option<&Bound<'py, PyAny>>,
        failure: Option<&Bound<'py, PyAny>>,
        names: (&str, &str),
    ) -> PyResult<Bound<'py, PyAny>> {
        let h = self;
        let orders = || -> PyResult<_> { Ok((memory_order(success, names.0)?, memory_order(failure, names.1)?)) };
        let checked_orders = if V::CHECKS_BEFORE_CONVERSION {
            // atomics 1.0's bytes order: support, the operands' lengths, the orders, and only
            // then the conversion of the operands (which may run their code).
            h.check_supported(py, op)?;
            V::check_length(expected, h.region.width(), "expected")?;
            V::check_length(desired, h.region.width(), "desired")?;
            let (s, f) = orders()?;
            check_fail_order(op, s, f).map_err(|e| core_error(py, e))?;
            Some((s, f))
        } else {
            None
        };
        let e = self.parse(expected, "expected", true)?;
        let d = self.parse(desired, "desired", true)?;
        let (s, f) = match checked_orders {
            Some(orders) => orders,
            None => orders()?,
        };
        let outcome = h.enter()?.compare_exchange(op, e, d, s, f);
        match outcome.map_err(refused(py))? {
            Ok(previous) => new_result(true, V::expected_on_success(expected, previous, h.region.width(), h.signed)?),
            Err(found) => new_result(false, self.build(py, found)?),
        }
    }
}
