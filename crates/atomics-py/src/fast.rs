//! The common calls of an integer atomic's operations, in as few instructions as they take:
//! the operands by position, each an exact `int` within two of CPython's digits, and the
//! orders, if any, after them or by name (`a.load()`, `a.fetch_add(1)`,
//! `a.cmpxchg_strong(e, d)`, `a.bit_test_set(3)`, `a.store(v, MemoryOrder.RELEASE)`,
//! `a.load(order=m)`). The call without orders, the most common, is apart and has its
//! orders constant.
//!
//! Every method of a single integer atomic tries [`try_operation`] first. It reads and checks
//! without side effects, and gives up (`None`) on anything else: an operand by name, a
//! missing or extra argument, an operand of another type or size, an order that is not one,
//! released memory, width 16, an operation or order the memory or the core refuses. The
//! method then takes the general way (`target.rs`), which does everything again and raises
//! what `atomics` 1.0 raises. Once the operation has run, this path answers whatever
//! happens: an error building the result is raised, never retried.
//!
//! What it saves is the general way's scaffolding: binding parameter names, the unwind guard,
//! results and errors passed as `PyResult`s, the conversions' slower cases. It is written
//! against the C API, returns new references or NULL with an exception set, and never panics.

use std::sync::OnceLock;

use atomics_core::{Core, MemoryOrder, OpType, Operand, Outcome, Param, Returns, Width};
use pyo3::ffi;
use pyo3::prelude::*;
use pyo3::types::PyString;
use pyo3::Borrowed;

use crate::atomic::AtomicMemoryBase;
use crate::cmpxchg::new_result_object;
use crate::compat;
use crate::convert::{order_of_int, word_to_int};
use crate::values::Values;

/// Operation `OP` (the `OpType`'s value) on the single integer atomic `slf`, called with the
/// `nargs` positional arguments `args` then one per name of `kwnames` (NULL: none); `None`
/// when this is not a common call.
///
/// # Safety
/// `slf` is an instance of a subclass of `AtomicMemoryBase` of family `V` (an integer
/// family); `args`, `nargs` and `kwnames` are what CPython passed to a `METH_FASTCALL |
/// METH_KEYWORDS` function; the thread is attached.
#[inline(always)]
pub(crate) unsafe fn try_operation<V: Values, const OP: u8>(
    slf: *mut ffi::PyObject,
    args: *const *mut ffi::PyObject,
    nargs: ffi::Py_ssize_t,
    kwnames: *mut ffi::PyObject,
) -> Option<*mut ffi::PyObject> {
    const SEQ_CST: MemoryOrder = MemoryOrder::SeqCst;
    let op = (const { OpType::from_value(OP as i64) })?;
    if kwnames.is_null() && nargs as usize == operands(op) {
        // SAFETY: forwarded from the caller; the operands are the positional arguments.
        unsafe { apply::<V>(op, slf, args, SEQ_CST, SEQ_CST) }
    } else {
        // SAFETY: forwarded from the caller.
        unsafe { try_with_orders::<V>(op, slf, args, nargs as usize, kwnames) }
    }
}

/// [`try_operation`] of a call that gives orders: by position after the operands, or by name
/// in the order of the parameters (`order`; `success`, or `success` then `failure`). Other
/// forms (names out of that order, an order by position and another by name) take the
/// general way.
///
/// # Safety
/// As for [`try_operation`].
#[inline(always)]
unsafe fn try_with_orders<V: Values>(
    op: OpType,
    slf: *mut ffi::PyObject,
    args: *const *mut ffi::PyObject,
    nargs: usize,
    kwnames: *mut ffi::PyObject,
) -> Option<*mut ffi::PyObject> {
    let (params, operands) = (op.params(), operands(op));
    let given = if kwnames.is_null() {
        nargs.checked_sub(operands)?
    } else if nargs == operands {
        // SAFETY: `kwnames` is a tuple of str, whose values follow the positional ones.
        let keywords = unsafe { ffi::PyTuple_GET_SIZE(kwnames) } as usize;
        for (k, &param) in params[operands..].iter().take(keywords).enumerate() {
            // Compared by identity: the names in a call's `kwnames` are interned by the
            // compiler, as are these; any other string leaves the call to the general way.
            // SAFETY: `k` is in range; the item is a borrowed str.
            if unsafe { ffi::PyTuple_GET_ITEM(kwnames, k as ffi::Py_ssize_t) } != order_name(param)? {
                return None;
            }
        }
        keywords
    } else {
        return None;
    };
    // SAFETY: the `given` orders follow the operands, each a valid object; `i < given`.
    let order = |i: usize| unsafe { small_order(*args.add(operands + i)) };
    let (order, failure) = match (given, params.len() - operands) {
        (1, 1 | 2) => (order(0)?, MemoryOrder::SeqCst),
        (2, 2) => (order(0)?, order(1)?),
        _ => return None,
    };
    // SAFETY: forwarded from the caller; the operands are the first positional arguments.
    unsafe { apply::<V>(op, slf, args, order, failure) }
}

/// The interned names of the integer family's order parameters (`order`, `success`,
/// `failure`), made once, when the module is made ([`init`]): read here without a
/// once-cell's initialisation on the path.
static ORDER_NAMES: OnceLock<[Py<PyString>; 3]> = OnceLock::new();

/// Makes [`ORDER_NAMES`].
pub(crate) fn init(py: Python<'_>) {
    let _ = ORDER_NAMES.set(["order", "success", "failure"].map(|name| PyString::intern(py, name).unbind()));
}

/// The interned name of an order parameter of the integer family, if `param` is one.
#[inline(always)]
fn order_name(param: Param) -> Option<*mut ffi::PyObject> {
    let names = ORDER_NAMES.get()?;
    Some(match param {
        Param::Order => names[0].as_ptr(),
        Param::SuccessOrder => names[1].as_ptr(),
        Param::FailureOrder => names[2].as_ptr(),
        _ => return None,
    })
}

/// The order whose value the int `obj` holds (a `MemoryOrder` is an `IntEnum`), read from its
/// digits: no Python code runs.
///
/// # Safety
/// `obj` is a valid object; the thread is attached.
unsafe fn small_order(obj: *mut ffi::PyObject) -> Option<MemoryOrder> {
    // SAFETY: `obj` is a valid object; its digits are read only if it is an int.
    unsafe { (ffi::PyLong_Check(obj) != 0).then(|| order_of_int(obj)) }.flatten()
}

/// Operation `op` with the operands `args` (by position, as many as it requires) in `order`
/// (and `failure` for a compare-exchange); `None`, having changed nothing, when this is not
/// a common call.
///
/// # Safety
/// As for [`try_operation`], with at least as many positional arguments as `op` requires.
#[inline(always)]
unsafe fn apply<V: Values>(
    op: OpType,
    slf: *mut ffi::PyObject,
    args: *const *mut ffi::PyObject,
    order: MemoryOrder,
    failure: MemoryOrder,
) -> Option<*mut ffi::PyObject> {
    // SAFETY: the caller's guarantee.
    let py = unsafe { Python::assume_attached() };
    // SAFETY: `slf` is an instance of a subclass of `AtomicMemoryBase` (the caller's guarantee).
    let memory = unsafe { Borrowed::from_ptr_or_opt(py, slf)?.cast_unchecked::<AtomicMemoryBase>() };
    let target = memory.get().try_handle()?.try_target::<V>()?;
    let (width, signed) = (target.width(), target.signed());
    if width == Width::W16 {
        return None;
    }
    // SAFETY: the operands are there, each a valid object (the caller's guarantee).
    let arg = |i: usize| unsafe { *args.add(i) };
    // SAFETY: as above.
    let int = |i: usize| unsafe { small_int(arg(i), width, signed) };
    let operand = match (op.core(), operands(op)) {
        (Core::CompareExchange { .. }, _) => Operand::Exchange { expected: int(0)?, desired: int(1)?, failure },
        // SAFETY: as above.
        (Core::BitTest | Core::BitModify(_), _) => Operand::Bit(unsafe { exact_small_int(arg(0)) }?),
        (_, 0) => Operand::None,
        (_, _) => Operand::Value(int(0)?),
    };
    let outcome = target.try_apply(op, operand, order)?;
    // From here on the operation has happened: answer, whatever it takes (a NULL result
    // carries the exception that CPython set).
    let int = |bits: u128| word_to_int(bits as u64, width, signed);
    Some(match (op.returns(), outcome) {
        // SAFETY: `None` is a valid object; a new reference is returned.
        (Returns::Nothing, _) => unsafe { compat::new_ref(ffi::Py_None()) },
        // SAFETY: `True` and `False` are valid objects; a new reference is returned.
        (_, Outcome::Bit(bit)) => unsafe { compat::new_ref(if bit { ffi::Py_True() } else { ffi::Py_False() }) },
        // SAFETY: argument 0 is `expected`, a valid int, of which the result takes a new
        // reference; the thread is attached.
        (_, Outcome::Exchanged(Ok(_))) => unsafe { new_result_object(true, compat::new_ref(arg(0))) },
        (_, Outcome::Exchanged(Err(found))) => match int(found) {
            found if found.is_null() => found,
            // SAFETY: `found` is a new reference, which the result takes.
            found => unsafe { new_result_object(false, found) },
        },
        (_, outcome) => int(outcome.bits()),
    })
}

/// How many operands `op` requires: its value, expected and desired, or a bit's index (its
/// other parameters are optional orders).
const fn operands(op: OpType) -> usize {
    let params = op.params();
    let (mut i, mut n) = (0, 0);
    while i < params.len() {
        if !params[i].is_optional() {
            n += 1;
        }
        i += 1;
    }
    n
}

/// The value of `obj` when it is an exact `int` of at most two digits: a bit index as it is
/// (the core refuses one out of range), an operand once [`small_int`] has checked its range.
///
/// # Safety
/// `obj` is a valid object; the thread is attached.
#[inline(always)]
unsafe fn exact_small_int(obj: *mut ffi::PyObject) -> Option<i64> {
    // SAFETY: `obj` is a valid object; the digits are read only from an exact int.
    unsafe { (ffi::PyLong_CheckExact(obj) != 0).then(|| compat::int_value_of_two_digits(obj)) }.flatten()
}

/// The bits of `obj` when it is an exact `int` of at most two digits that a `width`-byte
/// integer (signed or not) holds; `None` otherwise, for the general conversion to decide.
///
/// # Safety
/// `obj` is a valid object; the thread is attached.
#[inline(always)]
unsafe fn small_int(obj: *mut ffi::PyObject, width: Width, signed: bool) -> Option<u128> {
    // SAFETY: the caller's guarantee.
    let value = unsafe { exact_small_int(obj) }?;
    let shift = 64 - width.bits();
    let fits = if signed { (value << shift) >> shift == value } else { value >= 0 && value as u128 <= width.mask() };
    fits.then_some(u128::from(value as u64) & width.mask())
}
