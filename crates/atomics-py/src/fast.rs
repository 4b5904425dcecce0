//! The common call of an integer atomic's operation, in as few instructions as it takes: the
//! operands by position, each an exact `int` within two of CPython's digits, and the default
//! order (`a.load()`, `a.fetch_add(1)`, `a.cmpxchg_strong(e, d)`, `a.bit_test_set(3)`).
//!
//! Every method of a single integer atomic tries [`try_operation`] first. It reads and checks
//! without side effects, and gives up (`None`) on anything else: an order or any keyword, a
//! missing or extra argument, an operand of another type or size, released memory, width 16,
//! an operation the memory refuses. (Binding orders here too, by position and by name, made
//! the common call 80-110 instructions dearer and the calls with orders little cheaper.) The method then takes the general way (`target.rs`), which does everything
//! again and raises what `atomics` 1.0 raises. Once the operation has run, this path answers
//! whatever happens: an error building the result is raised, never retried.
//!
//! What it saves is the general way's scaffolding: binding parameter names, the unwind guard,
//! results and errors passed as `PyResult`s, the conversions' slower cases. It is written
//! against the C API, returns new references or NULL with an exception set, and never panics.

use atomics_core::{Core, MemoryOrder, OpType, Operand, Outcome, Returns, Width};
use pyo3::ffi;
use pyo3::prelude::*;
use pyo3::Borrowed;

use crate::atomic::AtomicMemoryBase;
use crate::cmpxchg::new_result_object;
use crate::compat;
use crate::convert::word_to_int;
use crate::values::Values;

/// Operation `op` on the single integer atomic `slf`, called with the `nargs` positional
/// arguments `args` then one per name of `kwnames` (NULL: none); `None` when this is not the
/// common call.
///
/// # Safety
/// `slf` is an instance of a subclass of `AtomicMemoryBase` of family `V` (an integer
/// family); `args`, `nargs` and `kwnames` are what CPython passed to a `METH_FASTCALL |
/// METH_KEYWORDS` function; the thread is attached.
#[inline(always)]
pub(crate) unsafe fn try_operation<V: Values>(
    op: OpType,
    slf: *mut ffi::PyObject,
    args: *const *mut ffi::PyObject,
    nargs: ffi::Py_ssize_t,
    kwnames: *mut ffi::PyObject,
) -> Option<*mut ffi::PyObject> {
    let operands = operands(op);
    if !kwnames.is_null() || nargs as usize != operands {
        return None;
    }
    // SAFETY: the caller's guarantee.
    let py = unsafe { Python::assume_attached() };
    // SAFETY: `slf` is an instance of a subclass of `AtomicMemoryBase` (the caller's guarantee).
    let memory = unsafe { Borrowed::from_ptr_or_opt(py, slf)?.cast_unchecked::<AtomicMemoryBase>() };
    let target = memory.get().try_handle()?.try_target::<V>()?;
    let (width, signed) = (target.width(), target.signed());
    if width == Width::W16 {
        return None;
    }
    // SAFETY: `nargs` (= `operands`) arguments are there, each a valid object.
    let arg = |i: usize| unsafe { *args.add(i) };
    // SAFETY: as above.
    let int = |i: usize| unsafe { small_int(arg(i), width, signed) };
    let operand = match (op.core(), operands) {
        (Core::CompareExchange { .. }, _) => {
            Operand::Exchange { expected: int(0)?, desired: int(1)?, failure: MemoryOrder::SeqCst }
        }
        // SAFETY: as above.
        (Core::BitTest | Core::BitModify(_), _) => Operand::Bit(unsafe { small_index(arg(0)) }?),
        (_, 0) => Operand::None,
        (_, _) => Operand::Value(int(0)?),
    };
    let outcome = target.try_apply(op, operand, MemoryOrder::SeqCst)?;
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

/// The value of `obj` as a bit index, when it is an exact `int` of at most two digits (the
/// core refuses an index out of range).
///
/// # Safety
/// `obj` is a valid object; the thread is attached.
#[inline(always)]
unsafe fn small_index(obj: *mut ffi::PyObject) -> Option<i64> {
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
    // SAFETY: `obj` is a valid object (the caller's guarantee).
    if unsafe { ffi::PyLong_CheckExact(obj) } == 0 {
        return None;
    }
    // SAFETY: `obj` is an exact int.
    let value = unsafe { compat::int_value_of_two_digits(obj) }?;
    let shift = 64 - width.bits();
    let fits = if signed { (value << shift) >> shift == value } else { value >= 0 && value as u128 <= width.mask() };
    fits.then_some(u128::from(value as u64) & width.mask())
}
