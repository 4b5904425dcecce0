//! The operations as raw `METH_FASTCALL | METH_KEYWORDS` methods, installed on each Python
//! class by `install_operations`.
//!
//! Why not `#[pymethods]`: CPython specializes a method call (skipping the generic call path
//! and its subtype check) only when the method descriptor belongs to the object's exact
//! class. The user's objects are instances of Python classes (`AtomicInt`, ...) that subclass
//! the native bases, so methods defined on a native base are never specialized. Installing a
//! descriptor made for each concrete class, over a function that parses its arguments with a
//! fast path for the common no-keyword call, is what makes `a.inc()` cost about as much as
//! `lst.clear()`.
//!
//! Each function here only binds arguments and calls the shared operation code in
//! `handle.rs`; the two tables list which operations each family has.

use std::ffi::{c_char, CStr, CString};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::OnceLock;

use atomics_core::{check_order, OpType};
use pyo3::exceptions::{PySystemError, PyTypeError};
use pyo3::ffi;
use pyo3::prelude::*;
use pyo3::types::PyType;
use pyo3::Borrowed;

use crate::array::{AtomicArrayBase, AtomicBytesArrayBase, AtomicFloatArrayBase, AtomicIntegralArrayBase};
use crate::atomic::{AtomicBase, AtomicBytesBase, AtomicFloatBase, AtomicIntegralBase};
use crate::convert::memory_order;
use crate::errors::{core_error, panic_error};
use crate::handle::{Family, RmwArgs};
use crate::values::{Bytes, Floats, Ints, Values};

/// The most parameters an operation has (`index, expected, desired, success, failure`).
const MAX_PARAMS: usize = 5;

type Arg<'a, 'py> = Option<Borrowed<'a, 'py, PyAny>>;
type Args<'a, 'py> = [Arg<'a, 'py>; MAX_PARAMS];

/// Matches a vectorcall argument array to the parameter `names` of method `fname`, of which
/// the first `required` must be given; with CPython's messages for the mistakes.
///
/// # Safety
/// `args`, `nargs` and `kwnames` are what CPython passed to a `METH_FASTCALL | METH_KEYWORDS`
/// function: `nargs` positional values then one value per name in the `kwnames` tuple.
#[inline(always)]
unsafe fn bind<'a, 'py>(
    py: Python<'py>,
    fname: &str,
    names: &[&str],
    required: usize,
    args: *const *mut ffi::PyObject,
    nargs: ffi::Py_ssize_t,
    kwnames: *mut ffi::PyObject,
) -> PyResult<Args<'a, 'py>> {
    let mut bound: Args<'a, 'py> = [None; MAX_PARAMS];
    let nargs = nargs as usize;
    if nargs > names.len() {
        // SAFETY: `kwnames` is NULL or a tuple.
        let keywords = if kwnames.is_null() { 0 } else { (unsafe { ffi::PyTuple_GET_SIZE(kwnames) }) as usize };
        let given = nargs + keywords;
        return Err(PyTypeError::new_err(format!(
            "{fname}() takes at most {} argument{} ({given} given)",
            names.len(),
            if names.len() == 1 { "" } else { "s" }
        )));
    }
    for (i, slot) in bound.iter_mut().enumerate().take(nargs) {
        // SAFETY: CPython passes `nargs` valid borrowed references.
        *slot = Some(unsafe { Borrowed::from_ptr(py, *args.add(i)) });
    }
    if !kwnames.is_null() {
        // SAFETY: `kwnames` is a tuple of str whose values follow the positional ones.
        let keywords = unsafe { ffi::PyTuple_GET_SIZE(kwnames) } as usize;
        for k in 0..keywords {
            // SAFETY: `k` is in range; the item is a borrowed str.
            let key = unsafe { ffi::PyTuple_GET_ITEM(kwnames, k as ffi::Py_ssize_t) };
            let key = keyword(py, key)?;
            let Some(i) = names.iter().position(|name| name.as_bytes() == key) else {
                let key = String::from_utf8_lossy(key);
                return Err(PyTypeError::new_err(format!("{fname}() got an unexpected keyword argument '{key}'")));
            };
            if bound[i].is_some() {
                return Err(PyTypeError::new_err(format!(
                    "argument for {fname}() given by name ('{}') and position ({})",
                    names[i],
                    i + 1
                )));
            }
            // SAFETY: value `k` of the keywords follows the positional values.
            bound[i] = Some(unsafe { Borrowed::from_ptr(py, *args.add(nargs + k)) });
        }
    }
    if let Some(i) = (0..required).find(|&i| bound[i].is_none()) {
        return Err(PyTypeError::new_err(format!(
            "{fname}() missing required argument '{}' (pos {})",
            names[i],
            i + 1
        )));
    }
    Ok(bound)
}

/// The UTF-8 bytes of keyword name `key` (a str from a call's `kwnames`), without copying:
/// CPython keeps the UTF-8 form of ASCII strings.
fn keyword<'a>(py: Python<'_>, key: *mut ffi::PyObject) -> PyResult<&'a [u8]> {
    let mut len: ffi::Py_ssize_t = 0;
    // SAFETY: `key` is a str that outlives the call; the result is NULL with an exception
    // set, or a pointer to `len` bytes owned by `key`.
    let data = unsafe { ffi::PyUnicode_AsUTF8AndSize(key, &mut len) };
    if data.is_null() {
        return Err(PyErr::fetch(py));
    }
    // SAFETY: as above.
    Ok(unsafe { std::slice::from_raw_parts(data.cast::<u8>(), len as usize) })
}

/// A required argument (`bind` has checked that it is there).
fn given<'a, 'b, 'py>(arg: &'b Arg<'a, 'py>) -> PyResult<&'b Bound<'py, PyAny>> {
    arg.as_deref().ok_or_else(|| PySystemError::new_err("required argument missing after binding"))
}

fn optional<'b, 'py>(arg: &'b Arg<'_, 'py>) -> Option<&'b Bound<'py, PyAny>> {
    arg.as_deref()
}

/// The body shared by every method: bind, run `body` on the object, turn the result or
/// error (or a panic, which never crosses into C) into what CPython expects.
///
/// # Safety
/// As for [`bind`]; `slf` is a valid object.
#[inline(always)]
#[allow(clippy::too_many_arguments)]
unsafe fn call(
    slf: *mut ffi::PyObject,
    args: *const *mut ffi::PyObject,
    nargs: ffi::Py_ssize_t,
    kwnames: *mut ffi::PyObject,
    fname: &str,
    names: &[&str],
    required: usize,
    body: impl for<'a, 'py> FnOnce(Python<'py>, Borrowed<'a, 'py, PyAny>, &Args<'a, 'py>) -> PyResult<Bound<'py, PyAny>>,
) -> *mut ffi::PyObject {
    // SAFETY: CPython calls methods with the thread attached. Nothing below drops a Python
    // reference on the success path (see the error path at the end).
    let py = unsafe { Python::assume_attached() };
    let result = catch_unwind(AssertUnwindSafe(|| {
        // SAFETY: guaranteed by the caller (see above).
        let args = unsafe { bind(py, fname, names, required, args, nargs, kwnames) }?;
        // SAFETY: `slf` is a valid object, borrowed for the call.
        let slf = unsafe { Borrowed::from_ptr(py, slf) };
        body(py, slf, &args).map(Bound::into_ptr)
    }));
    // The fast path above never drops a Python reference. Errors do (PyO3 defers drops made
    // without its attach count to a pool), so they are raised inside a real attach, which
    // also drains that pool.
    let error = match result {
        Ok(Ok(ptr)) => return ptr,
        Ok(Err(error)) => error,
        Err(panic) => panic_error(panic),
    };
    Python::attach(|py| error.restore(py));
    std::ptr::null_mut()
}

/// Declares one operation as two methods in a module named `$op`: `scalar`, for atomics, and
/// `element`, for arrays, which takes the element's `index` first. `$names` are the
/// parameters of the array form, whose first is `index`; the scalar form has the others
/// (unless `$scalar_names` is given), the first `$required` of them required. The body sees
/// the atomic as a `Family` and the arguments after the index.
///
/// Released memory is refused when the `Family` is made, before the body (or, for arrays,
/// the index) looks at any argument, as `atomics` 1.0 does; `$first`, if given, checks the
/// arguments after the index before that (`bit_test`'s order, 1.0's one exception).
macro_rules! operation {
    ($op:ident, $name:literal, $names:expr, $required:literal,
     |$py:ident, $f:ident, $a:ident, $v:ident| $body:expr) => {
        operation!($op, $name, $names, &$names[1..], $required, |$py, $f, $a, $v| $body);
    };
    ($op:ident, $name:literal, $names:expr, $scalar_names:expr, $required:literal,
     |$py:ident, $f:ident, $a:ident, $v:ident| $body:expr) => {
        operation!($op, $name, $names, $scalar_names, $required, first: nothing_first, |$py, $f, $a, $v| $body);
    };
    ($op:ident, $name:literal, $names:expr, $scalar_names:expr, $required:literal, first: $first:expr,
     |$py:ident, $f:ident, $a:ident, $v:ident| $body:expr) => {
        mod $op {
            use super::*;

            pub(super) unsafe extern "C" fn scalar<$v: Values>(
                slf: *mut ffi::PyObject,
                args: *const *mut ffi::PyObject,
                nargs: ffi::Py_ssize_t,
                kwnames: *mut ffi::PyObject,
            ) -> *mut ffi::PyObject {
                let names: &[&str] = $scalar_names;
                // SAFETY: installed only by `install_operations`, which makes this a method of
                // a subclass of AtomicBase called by CPython with fastcall arguments; CPython
                // checked `slf` against the descriptor's class, so the cast holds.
                unsafe {
                    call(slf, args, nargs, kwnames, $name, names, $required, |$py, slf, a| {
                        $first($py, &a[..])?;
                        let base = slf.cast_unchecked::<AtomicBase>();
                        let $f = base.get().handle()?.values::<$v>()?;
                        let $a: &[Arg<'_, '_>] = &a[..];
                        $body
                    })
                }
            }

            pub(super) unsafe extern "C" fn element<$v: Values>(
                slf: *mut ffi::PyObject,
                args: *const *mut ffi::PyObject,
                nargs: ffi::Py_ssize_t,
                kwnames: *mut ffi::PyObject,
            ) -> *mut ffi::PyObject {
                // SAFETY: installed only by `install_operations`, which makes this a method of
                // a subclass of AtomicArrayBase called by CPython with fastcall arguments;
                // CPython checked `slf` against the descriptor's class, so the cast holds.
                unsafe {
                    call(slf, args, nargs, kwnames, $name, $names, $required + 1, |$py, slf, a| {
                        $first($py, &a[1..])?;
                        let base = slf.cast_unchecked::<AtomicArrayBase>();
                        let $f = base.get().handle()?.element::<$v>(given(&a[0])?)?;
                        let $a: &[Arg<'_, '_>] = &a[1..];
                        $body
                    })
                }
            }
        }
    };
}

const VALUE_ORDER: &[&str] = &["index", "value", "order"];
const DESIRED_ORDER: &[&str] = &["index", "desired", "order"];
const ORDER: &[&str] = &["index", "order"];
const BIT_ORDER: (&[&str], &[&str]) = (&["index", "bit", "order"], &["index", "order"]);

/// No check before the released one (every operation but `bit_test`).
#[inline(always)]
fn nothing_first(_py: Python<'_>, _a: &[Arg<'_, '_>]) -> PyResult<()> {
    Ok(())
}

/// `bit_test` checks its order (`a[1]`, after the bit) before anything else, released memory
/// included, as `atomics` 1.0 does.
fn bit_test_order_first(py: Python<'_>, a: &[Arg<'_, '_>]) -> PyResult<()> {
    let order = memory_order(optional(&a[1]), "order")?;
    check_order(OpType::BitTest, order).map_err(|e| core_error(py, e))
}

fn none(py: Python<'_>) -> Bound<'_, PyAny> {
    py.None().into_bound(py)
}

/// A read-modify-write whose result is dropped (`add`, `bin_or`, `inc`, ...).
#[inline(always)]
fn apply<'py, V: Values>(
    py: Python<'py>,
    f: Family<'_, V>,
    op: OpType,
    a: &[Arg<'_, 'py>],
    operand: bool,
) -> PyResult<Bound<'py, PyAny>> {
    let (operand, order) = if operand { (Some(given(&a[0])?), optional(&a[1])) } else { (None, optional(&a[0])) };
    f.rmw(py, op, RmwArgs { operand, order, name: "value" })?;
    Ok(none(py))
}

/// A read-modify-write returning the previous value (`fetch_add`, `exchange`, ...).
#[inline(always)]
fn fetch<'py, V: Values>(
    py: Python<'py>,
    f: Family<'_, V>,
    op: OpType,
    a: &[Arg<'_, 'py>],
    operand: Option<&'static str>,
) -> PyResult<Bound<'py, PyAny>> {
    let (value, order) = match operand {
        Some(_) => (Some(given(&a[0])?), optional(&a[1])),
        None => (None, optional(&a[0])),
    };
    let previous = f.rmw(py, op, RmwArgs { operand: value, order, name: operand.unwrap_or("value") })?;
    f.build(py, previous)
}

/// Signed-aware arithmetic returning a value (previous or new, per operation).
#[inline(always)]
fn arith<'py, V: Values>(
    py: Python<'py>,
    f: Family<'_, V>,
    op: OpType,
    a: &[Arg<'_, 'py>],
    operand: bool,
) -> PyResult<Bound<'py, PyAny>> {
    let (value, order) = if operand { (Some(given(&a[0])?), optional(&a[1])) } else { (None, optional(&a[0])) };
    let result = f.arithmetic(py, op, RmwArgs { operand: value, order, name: "value" })?;
    f.build(py, result)
}

#[inline(always)]
fn bit<'py, V: Values>(
    py: Python<'py>,
    f: Family<'_, V>,
    op: OpType,
    a: &[Arg<'_, 'py>],
) -> PyResult<Bound<'py, PyAny>> {
    let set = f.bit_op(py, op, given(&a[0])?, optional(&a[1]))?;
    Ok(pyo3::types::PyBool::new(py, set).to_owned().into_any())
}

fn cmpxchg<'py, V: Values>(
    py: Python<'py>,
    f: Family<'_, V>,
    op: OpType,
    a: &[Arg<'_, 'py>],
) -> PyResult<Bound<'py, PyAny>> {
    let names = (V::CMPXCHG_PARAMS[3], V::CMPXCHG_PARAMS[4]);
    f.cmpxchg(py, op, given(&a[0])?, given(&a[1])?, optional(&a[2]), optional(&a[3]), names)
}

operation!(store, "store", DESIRED_ORDER, 1, |py, f, a, V| {
    f.store(py, given(&a[0])?, optional(&a[1]))?;
    Ok(none(py))
});
operation!(load, "load", ORDER, 0, |py, f, a, V| f.load(py, optional(&a[0])));
operation!(exchange, "exchange", DESIRED_ORDER, 1, |py, f, a, V| fetch(py, f, OpType::Exchange, a, Some("desired")));
operation!(cmpxchg_weak, "cmpxchg_weak", V::CMPXCHG_PARAMS, 2, |py, f, a, V| cmpxchg(py, f, OpType::CmpxchgWeak, a));
operation!(cmpxchg_strong, "cmpxchg_strong", V::CMPXCHG_PARAMS, 2, |py, f, a, V| cmpxchg(
    py,
    f,
    OpType::CmpxchgStrong,
    a
));
operation!(bit_test, "bit_test", BIT_ORDER.0, BIT_ORDER.1, 1, first: bit_test_order_first, |py, f, a, V| bit(
    py,
    f,
    OpType::BitTest,
    a
));
operation!(bit_test_compl, "bit_test_compl", BIT_ORDER.0, BIT_ORDER.1, 1, |py, f, a, V| bit(
    py,
    f,
    OpType::BitTestCompl,
    a
));
operation!(bit_test_set, "bit_test_set", BIT_ORDER.0, BIT_ORDER.1, 1, |py, f, a, V| bit(py, f, OpType::BitTestSet, a));
operation!(bit_test_reset, "bit_test_reset", BIT_ORDER.0, BIT_ORDER.1, 1, |py, f, a, V| bit(
    py,
    f,
    OpType::BitTestReset,
    a
));
operation!(bin_or, "bin_or", VALUE_ORDER, 1, |py, f, a, V| apply(py, f, OpType::Or, a, true));
operation!(bin_xor, "bin_xor", VALUE_ORDER, 1, |py, f, a, V| apply(py, f, OpType::Xor, a, true));
operation!(bin_and, "bin_and", VALUE_ORDER, 1, |py, f, a, V| apply(py, f, OpType::And, a, true));
operation!(bin_not, "bin_not", ORDER, 0, |py, f, a, V| apply(py, f, OpType::Not, a, false));
operation!(bin_fetch_or, "bin_fetch_or", VALUE_ORDER, 1, |py, f, a, V| fetch(py, f, OpType::FetchOr, a, Some("value")));
operation!(bin_fetch_xor, "bin_fetch_xor", VALUE_ORDER, 1, |py, f, a, V| fetch(
    py,
    f,
    OpType::FetchXor,
    a,
    Some("value")
));
operation!(bin_fetch_and, "bin_fetch_and", VALUE_ORDER, 1, |py, f, a, V| fetch(
    py,
    f,
    OpType::FetchAnd,
    a,
    Some("value")
));
operation!(bin_fetch_not, "bin_fetch_not", ORDER, 0, |py, f, a, V| fetch(py, f, OpType::FetchNot, a, None));
operation!(fetch_max, "fetch_max", VALUE_ORDER, 1, |py, f, a, V| arith(py, f, OpType::FetchMax, a, true));
operation!(fetch_min, "fetch_min", VALUE_ORDER, 1, |py, f, a, V| arith(py, f, OpType::FetchMin, a, true));
operation!(add_fetch, "add_fetch", VALUE_ORDER, 1, |py, f, a, V| arith(py, f, OpType::AddFetch, a, true));
operation!(sub_fetch, "sub_fetch", VALUE_ORDER, 1, |py, f, a, V| arith(py, f, OpType::SubFetch, a, true));
operation!(inc_fetch, "inc_fetch", ORDER, 0, |py, f, a, V| arith(py, f, OpType::IncFetch, a, false));
operation!(dec_fetch, "dec_fetch", ORDER, 0, |py, f, a, V| arith(py, f, OpType::DecFetch, a, false));
operation!(checked_fetch_add, "checked_fetch_add", VALUE_ORDER, 1, |py, f, a, V| arith(
    py,
    f,
    OpType::CheckedFetchAdd,
    a,
    true
));
operation!(checked_fetch_sub, "checked_fetch_sub", VALUE_ORDER, 1, |py, f, a, V| arith(
    py,
    f,
    OpType::CheckedFetchSub,
    a,
    true
));
operation!(update, "update", &["index", "fn"], 1, |py, f, a, V| {
    let (old, new) = f.update(py, given(&a[0])?)?;
    Ok(pyo3::types::PyTuple::new(py, [old, new])?.into_any())
});
operation!(wait, "wait", &["index", "old", "timeout"], 1, |py, f, a, V| {
    let changed = f.wait(py, given(&a[0])?, optional(&a[1]))?;
    Ok(pyo3::types::PyBool::new(py, changed).to_owned().into_any())
});
operation!(notify_one, "notify_one", &["index"], 0, |py, f, _a, V| {
    f.notify(py, false)?;
    Ok(none(py))
});
operation!(notify_all, "notify_all", &["index"], 0, |py, f, _a, V| {
    f.notify(py, true)?;
    Ok(none(py))
});
operation!(add, "add", VALUE_ORDER, 1, |py, f, a, V| apply(py, f, OpType::Add, a, true));
operation!(sub, "sub", VALUE_ORDER, 1, |py, f, a, V| apply(py, f, OpType::Sub, a, true));
operation!(inc, "inc", ORDER, 0, |py, f, a, V| apply(py, f, OpType::Inc, a, false));
operation!(dec, "dec", ORDER, 0, |py, f, a, V| apply(py, f, OpType::Dec, a, false));
operation!(neg, "neg", ORDER, 0, |py, f, a, V| apply(py, f, OpType::Neg, a, false));
operation!(fetch_add, "fetch_add", VALUE_ORDER, 1, |py, f, a, V| fetch(py, f, OpType::FetchAdd, a, Some("value")));
operation!(fetch_sub, "fetch_sub", VALUE_ORDER, 1, |py, f, a, V| fetch(py, f, OpType::FetchSub, a, Some("value")));
operation!(fetch_inc, "fetch_inc", ORDER, 0, |py, f, a, V| fetch(py, f, OpType::FetchInc, a, None));
operation!(fetch_dec, "fetch_dec", ORDER, 0, |py, f, a, V| fetch(py, f, OpType::FetchDec, a, None));
operation!(fetch_neg, "fetch_neg", ORDER, 0, |py, f, a, V| fetch(py, f, OpType::FetchNeg, a, None));

type Function = unsafe extern "C" fn(
    *mut ffi::PyObject,
    *const *mut ffi::PyObject,
    ffi::Py_ssize_t,
    *mut ffi::PyObject,
) -> *mut ffi::PyObject;

/// One operation: Python name, the method of atomics, the method of arrays (which takes the
/// element's index first), and the atomic's docstring.
type Operation = (&'static CStr, Function, Function, &'static CStr);

/// (Python name, function, docstring) of the float family's operations.
fn float_operations() -> Vec<Operation> {
    type V = Floats;
    vec![
        (c"store", store::scalar::<V>, store::element::<V>, c"store(desired, order=SEQ_CST)\n--\n\nWrites the float `desired`."),
        (c"load", load::scalar::<V>, load::element::<V>, c"load(order=SEQ_CST)\n--\n\nReads the value."),
        (c"exchange", exchange::scalar::<V>, exchange::element::<V>, c"exchange(desired, order=SEQ_CST)\n--\n\nWrites `desired`, returning the previous value."),
        (c"cmpxchg_weak", cmpxchg_weak::scalar::<V>, cmpxchg_weak::element::<V>, c"Compare-exchange that may fail spuriously; compares bits (so -0.0 != 0.0 and a NaN\nmatches the same NaN)."),
        (c"cmpxchg_strong", cmpxchg_strong::scalar::<V>, cmpxchg_strong::element::<V>, c"Compare-exchange that compares bits (so -0.0 != 0.0 and a NaN matches the same NaN)."),
        (c"fetch_add", fetch_add::scalar::<V>, fetch_add::element::<V>, c"fetch_add(value, order=SEQ_CST)\n--\n\nAdds `value` (IEEE addition), returning the previous value."),
        (c"fetch_sub", fetch_sub::scalar::<V>, fetch_sub::element::<V>, c"fetch_sub(value, order=SEQ_CST)\n--\n\nSubtracts `value`, returning the previous value."),
        (c"fetch_max", fetch_max::scalar::<V>, fetch_max::element::<V>, c"fetch_max(value, order=SEQ_CST)\n--\n\nStores max(current, value) (a NaN operand is ignored), returning the previous value."),
        (c"fetch_min", fetch_min::scalar::<V>, fetch_min::element::<V>, c"fetch_min(value, order=SEQ_CST)\n--\n\nStores min(current, value) (a NaN operand is ignored), returning the previous value."),
        (c"update", update::scalar::<V>, update::element::<V>, c"update(fn)\n--\n\nReplaces the value v by fn(v) atomically; returns (old, new)."),
        (c"wait", wait::scalar::<V>, wait::element::<V>, c"wait(old, timeout=None)\n--\n\nBlocks while the value's bits equal those of `old`; True once they differ, False on timeout."),
        (c"notify_one", notify_one::scalar::<V>, notify_one::element::<V>, c"notify_one()\n--\n\nWakes one thread or process blocked in wait()."),
        (c"notify_all", notify_all::scalar::<V>, notify_all::element::<V>, c"notify_all()\n--\n\nWakes every thread and process blocked in wait()."),
    ]
}

/// (Python name, function, docstring) of every operation of family `V`; arithmetic only for
/// integers.
fn operations<V: Values>(arithmetic: bool) -> Vec<Operation> {
    let mut ops: Vec<Operation> = vec![
        (c"store", store::scalar::<V>, store::element::<V>, c"store(desired, order=SEQ_CST)\n--\n\nWrites `desired`."),
        (c"load", load::scalar::<V>, load::element::<V>, c"load(order=SEQ_CST)\n--\n\nReads the value."),
        (c"exchange", exchange::scalar::<V>, exchange::element::<V>, c"exchange(desired, order=SEQ_CST)\n--\n\nWrites `desired`, returning the previous value."),
        (c"cmpxchg_weak", cmpxchg_weak::scalar::<V>, cmpxchg_weak::element::<V>, c"Compare-exchange that may fail spuriously: if the value equals `expected`, writes `desired`.\nReturns CmpxchgResult(success, expected or the value found)."),
        (c"cmpxchg_strong", cmpxchg_strong::scalar::<V>, cmpxchg_strong::element::<V>, c"Compare-exchange that fails only when the value differs from `expected`.\nReturns CmpxchgResult(success, expected or the value found)."),
        (c"bit_test", bit_test::scalar::<V>, bit_test::element::<V>, c"bit_test(index, order=SEQ_CST)\n--\n\nReads bit `index` (0 is the least significant)."),
        (c"bit_test_compl", bit_test_compl::scalar::<V>, bit_test_compl::element::<V>, c"bit_test_compl(index, order=SEQ_CST)\n--\n\nComplements bit `index`, returning its previous value."),
        (c"bit_test_set", bit_test_set::scalar::<V>, bit_test_set::element::<V>, c"bit_test_set(index, order=SEQ_CST)\n--\n\nSets bit `index`, returning its previous value."),
        (c"bit_test_reset", bit_test_reset::scalar::<V>, bit_test_reset::element::<V>, c"bit_test_reset(index, order=SEQ_CST)\n--\n\nClears bit `index`, returning its previous value."),
        (c"bin_or", bin_or::scalar::<V>, bin_or::element::<V>, c"bin_or(value, order=SEQ_CST)\n--\n\nBitwise or with `value`."),
        (c"bin_xor", bin_xor::scalar::<V>, bin_xor::element::<V>, c"bin_xor(value, order=SEQ_CST)\n--\n\nBitwise exclusive or with `value`."),
        (c"bin_and", bin_and::scalar::<V>, bin_and::element::<V>, c"bin_and(value, order=SEQ_CST)\n--\n\nBitwise and with `value`."),
        (c"bin_not", bin_not::scalar::<V>, bin_not::element::<V>, c"bin_not(order=SEQ_CST)\n--\n\nComplements every bit."),
        (c"bin_fetch_or", bin_fetch_or::scalar::<V>, bin_fetch_or::element::<V>, c"bin_fetch_or(value, order=SEQ_CST)\n--\n\nBitwise or, returning the previous value."),
        (c"bin_fetch_xor", bin_fetch_xor::scalar::<V>, bin_fetch_xor::element::<V>, c"bin_fetch_xor(value, order=SEQ_CST)\n--\n\nBitwise exclusive or, returning the previous value."),
        (c"bin_fetch_and", bin_fetch_and::scalar::<V>, bin_fetch_and::element::<V>, c"bin_fetch_and(value, order=SEQ_CST)\n--\n\nBitwise and, returning the previous value."),
        (c"bin_fetch_not", bin_fetch_not::scalar::<V>, bin_fetch_not::element::<V>, c"bin_fetch_not(order=SEQ_CST)\n--\n\nComplements every bit, returning the previous value."),
        (c"wait", wait::scalar::<V>, wait::element::<V>, c"wait(old, timeout=None)\n--\n\nBlocks while the value equals `old`: returns True once it differs (after a notify_one/notify_all\nfrom any thread or process), False if `timeout` seconds pass first. Releases the GIL while\nblocked; Ctrl-C interrupts it. Widths 1, 2, 4 and 8."),
        (c"notify_one", notify_one::scalar::<V>, notify_one::element::<V>, c"notify_one()\n--\n\nWakes one thread or process blocked in wait() on this memory."),
        (c"update", update::scalar::<V>, update::element::<V>, c"update(fn)\n--\n\nReplaces the value v by fn(v) atomically (a compare-exchange loop that calls fn again\nwhenever another writer got there first); returns (old, new)."),
        (c"notify_all", notify_all::scalar::<V>, notify_all::element::<V>, c"notify_all()\n--\n\nWakes every thread and process blocked in wait() on this memory."),
    ];
    if arithmetic {
        ops.extend([
            (c"add", add::scalar::<V> as Function, add::element::<V> as Function, c"add(value, order=SEQ_CST)\n--\n\nAdds `value`, wrapping around." as &CStr),
            (c"sub", sub::scalar::<V>, sub::element::<V>, c"sub(value, order=SEQ_CST)\n--\n\nSubtracts `value`, wrapping around."),
            (c"inc", inc::scalar::<V>, inc::element::<V>, c"inc(order=SEQ_CST)\n--\n\nAdds 1, wrapping around."),
            (c"dec", dec::scalar::<V>, dec::element::<V>, c"dec(order=SEQ_CST)\n--\n\nSubtracts 1, wrapping around."),
            (c"neg", neg::scalar::<V>, neg::element::<V>, c"neg(order=SEQ_CST)\n--\n\nNegates (two's complement: the minimum stays the minimum)."),
            (c"fetch_add", fetch_add::scalar::<V>, fetch_add::element::<V>,
                c"fetch_add(value, order=SEQ_CST)\n--\n\nAdds `value`, returning the previous value.",
            ),
            (c"fetch_sub", fetch_sub::scalar::<V>, fetch_sub::element::<V>,
                c"fetch_sub(value, order=SEQ_CST)\n--\n\nSubtracts `value`, returning the previous value.",
            ),
            (c"fetch_inc", fetch_inc::scalar::<V>, fetch_inc::element::<V>, c"fetch_inc(order=SEQ_CST)\n--\n\nAdds 1, returning the previous value."),
            (c"fetch_dec", fetch_dec::scalar::<V>, fetch_dec::element::<V>,
                c"fetch_dec(order=SEQ_CST)\n--\n\nSubtracts 1, returning the previous value.",
            ),
            (c"fetch_neg", fetch_neg::scalar::<V>, fetch_neg::element::<V>, c"fetch_neg(order=SEQ_CST)\n--\n\nNegates, returning the previous value."),
            (c"fetch_max", fetch_max::scalar::<V>, fetch_max::element::<V>, c"fetch_max(value, order=SEQ_CST)\n--\n\nStores max(current, value), returning the previous value."),
            (c"fetch_min", fetch_min::scalar::<V>, fetch_min::element::<V>, c"fetch_min(value, order=SEQ_CST)\n--\n\nStores min(current, value), returning the previous value."),
            (c"add_fetch", add_fetch::scalar::<V>, add_fetch::element::<V>, c"add_fetch(value, order=SEQ_CST)\n--\n\nAdds `value`, wrapping around, returning the new value."),
            (c"sub_fetch", sub_fetch::scalar::<V>, sub_fetch::element::<V>, c"sub_fetch(value, order=SEQ_CST)\n--\n\nSubtracts `value`, wrapping around, returning the new value."),
            (c"inc_fetch", inc_fetch::scalar::<V>, inc_fetch::element::<V>, c"inc_fetch(order=SEQ_CST)\n--\n\nAdds 1, wrapping around, returning the new value."),
            (c"dec_fetch", dec_fetch::scalar::<V>, dec_fetch::element::<V>, c"dec_fetch(order=SEQ_CST)\n--\n\nSubtracts 1, wrapping around, returning the new value."),
            (c"checked_fetch_add", checked_fetch_add::scalar::<V>, checked_fetch_add::element::<V>, c"checked_fetch_add(value, order=SEQ_CST)\n--\n\nAdds `value`, returning the previous value; raises OverflowError, leaving the value\nunchanged, if the sum does not fit."),
            (c"checked_fetch_sub", checked_fetch_sub::scalar::<V>, checked_fetch_sub::element::<V>, c"checked_fetch_sub(value, order=SEQ_CST)\n--\n\nSubtracts `value`, returning the previous value; raises OverflowError, leaving the\nvalue unchanged, if the difference does not fit."),
        ]);
    }
    ops
}

/// A method table with a stable address for the life of the process (descriptors keep
/// pointers into it).
struct Table(Vec<ffi::PyMethodDef>);

// SAFETY: the table is written once, before it is shared, and only read afterwards.
unsafe impl Send for Table {}
// SAFETY: as above.
unsafe impl Sync for Table {}

/// The method table of atomics (`element` false) or of arrays (`element` true).
fn table(defs: Vec<Operation>, element: bool) -> Table {
    Table(
        defs.into_iter()
            .map(|(name, scalar, on_element, doc)| ffi::PyMethodDef {
                ml_name: name.as_ptr(),
                ml_meth: ffi::PyMethodDefPointer {
                    PyCFunctionFastWithKeywords: if element { on_element } else { scalar },
                },
                ml_flags: ffi::METH_FASTCALL | ffi::METH_KEYWORDS,
                ml_doc: if element { element_doc(name, doc) } else { doc }.as_ptr() as *const c_char,
            })
            .collect(),
    )
}

/// The docstring of an array's form of an operation, from the atomic's: `index` first in
/// the signature (and a bit operation's bit named `bit`), and a line on indexing.
fn element_doc(name: &CStr, doc: &CStr) -> &'static CStr {
    let (name, doc) = (name.to_str().expect("ASCII names"), doc.to_str().expect("UTF-8 docstrings"));
    let mut text = doc.to_owned();
    if name.starts_with("bit_test") {
        text = text.replacen("(index, ", "(index, bit, ", 1).replace("bit `index`", "bit `bit`");
    } else if text.starts_with(&format!("{name}()")) {
        text = text.replacen("()", "(index)", 1);
    } else if text.starts_with(&format!("{name}(")) {
        text = text.replacen('(', "(index, ", 1);
    }
    text.push_str("\n\nOn the atomic at `index` of the array (a negative index counts from the end).");
    Box::leak(CString::new(text).expect("no NUL in docstrings").into_boxed_c_str())
}

static INTEGRAL: OnceLock<Table> = OnceLock::new();
static BYTES: OnceLock<Table> = OnceLock::new();
static FLOATS: OnceLock<Table> = OnceLock::new();
static INTEGRAL_ARRAY: OnceLock<Table> = OnceLock::new();
static BYTES_ARRAY: OnceLock<Table> = OnceLock::new();
static FLOATS_ARRAY: OnceLock<Table> = OnceLock::new();

/// Gives class `cls` (a subclass of a family base of atomics or of arrays) its own
/// descriptors for every operation of its family.
#[pyfunction]
pub(crate) fn install_operations(cls: &Bound<'_, PyType>) -> PyResult<()> {
    let py = cls.py();
    let table = if cls.is_subclass_of::<AtomicIntegralBase>()? {
        INTEGRAL.get_or_init(|| table(operations::<Ints>(true), false))
    } else if cls.is_subclass_of::<AtomicBytesBase>()? {
        BYTES.get_or_init(|| table(operations::<Bytes>(false), false))
    } else if cls.is_subclass_of::<AtomicFloatBase>()? {
        FLOATS.get_or_init(|| table(float_operations(), false))
    } else if cls.is_subclass_of::<AtomicIntegralArrayBase>()? {
        INTEGRAL_ARRAY.get_or_init(|| table(operations::<Ints>(true), true))
    } else if cls.is_subclass_of::<AtomicBytesArrayBase>()? {
        BYTES_ARRAY.get_or_init(|| table(operations::<Bytes>(false), true))
    } else if cls.is_subclass_of::<AtomicFloatArrayBase>()? {
        FLOATS_ARRAY.get_or_init(|| table(float_operations(), true))
    } else {
        return Err(PyTypeError::new_err("install_operations() needs a subclass of an atomic family base"));
    };
    for def in &table.0 {
        // SAFETY: `def` lives in a static table; `cls` is a type object; the result is a new
        // reference or NULL with an exception set.
        let descr = unsafe {
            Bound::from_owned_ptr_or_err(py, ffi::PyDescr_NewMethod(cls.as_ptr().cast(), def as *const _ as *mut _))
        }?;
        // SAFETY: `ml_name` is a valid C string from the table.
        let name = unsafe { CStr::from_ptr(def.ml_name) }.to_str().expect("ASCII method names");
        cls.setattr(name, descr)?;
    }
    Ok(())
}
