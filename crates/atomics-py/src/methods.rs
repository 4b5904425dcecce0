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

use std::ffi::{c_char, CStr};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::OnceLock;

use atomics_core::OpType;
use pyo3::exceptions::{PySystemError, PyTypeError};
use pyo3::ffi;
use pyo3::panic::PanicException;
use pyo3::prelude::*;
use pyo3::types::PyType;
use pyo3::Borrowed;

use crate::atomic::{AtomicBase, AtomicBytesBase, AtomicFloatBase, AtomicIntegralBase};
use crate::handle::{Handle, RmwArgs};
use crate::values::{Bytes, Floats, Ints, Values};

/// The most parameters an operation has (`expected, desired, success, failure`).
const MAX_PARAMS: usize = 4;

type Args<'a, 'py> = [Option<Borrowed<'a, 'py, PyAny>>; MAX_PARAMS];

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
fn given<'a, 'b, 'py>(arg: &'b Option<Borrowed<'a, 'py, PyAny>>) -> PyResult<&'b Bound<'py, PyAny>> {
    arg.as_deref().ok_or_else(|| PySystemError::new_err("required argument missing after binding"))
}

fn optional<'b, 'py>(arg: &'b Option<Borrowed<'_, 'py, PyAny>>) -> Option<&'b Bound<'py, PyAny>> {
    arg.as_deref()
}

/// The body shared by every method: bind, find the handle, run `body`, turn the result or
/// error (or a panic, which never crosses into C) into what CPython expects.
///
/// # Safety
/// `slf` is an instance of a class that subclasses `AtomicBase` (`install_operations` only
/// makes descriptors for such classes, and CPython checks `self` against the descriptor's
/// class before calling); the rest is as for [`bind`].
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
    body: impl for<'a, 'py> FnOnce(Python<'py>, &Handle, &Args<'a, 'py>) -> PyResult<Bound<'py, PyAny>>,
) -> *mut ffi::PyObject {
    // SAFETY: CPython calls methods with the thread attached. Nothing below drops a Python
    // reference on the success path (see the error path at the end).
    let py = unsafe { Python::assume_attached() };
    let result = catch_unwind(AssertUnwindSafe(|| {
        // SAFETY: guaranteed by the caller (see above).
        let args = unsafe { bind(py, fname, names, required, args, nargs, kwnames) }?;
        // SAFETY: `slf` is a valid instance whose layout starts with AtomicBase's (see above).
        let base = unsafe { Borrowed::from_ptr(py, slf).cast_unchecked::<AtomicBase>() };
        body(py, base.get().handle()?, &args).map(Bound::into_ptr)
    }));
    // The fast path above never drops a Python reference. Errors do (PyO3 defers drops made
    // without its attach count to a pool), so they are raised inside a real attach, which
    // also drains that pool.
    let error = match result {
        Ok(Ok(ptr)) => return ptr,
        Ok(Err(error)) => error,
        Err(panic) => {
            let message = panic
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_else(|| "panic in atomics".into());
            PanicException::new_err(message)
        }
    };
    Python::attach(|py| error.restore(py));
    std::ptr::null_mut()
}

/// Declares one method: its Rust name, Python name, parameters (the first `required` of
/// them required) and body, generic over the value family `V`.
macro_rules! method {
    ($rust:ident, $name:literal, $names:expr, $required:literal,
     |$py:ident, $h:ident, $a:ident, $v:ident| $body:expr) => {
        unsafe extern "C" fn $rust<$v: Values>(
            slf: *mut ffi::PyObject,
            args: *const *mut ffi::PyObject,
            nargs: ffi::Py_ssize_t,
            kwnames: *mut ffi::PyObject,
        ) -> *mut ffi::PyObject {
            // SAFETY: installed only by `install_operations`, which makes this a method of
            // a subclass of AtomicBase called by CPython with fastcall arguments.
            unsafe { call(slf, args, nargs, kwnames, $name, $names, $required, |$py, $h, $a| $body) }
        }
    };
}

const VALUE_ORDER: &[&str] = &["value", "order"];
const DESIRED_ORDER: &[&str] = &["desired", "order"];
const INDEX_ORDER: &[&str] = &["index", "order"];
const ORDER: &[&str] = &["order"];

fn none(py: Python<'_>) -> Bound<'_, PyAny> {
    py.None().into_bound(py)
}

/// A read-modify-write whose result is dropped (`add`, `bin_or`, `inc`, ...).
#[inline(always)]
fn apply<'py, V: Values>(
    py: Python<'py>,
    h: &Handle,
    op: OpType,
    a: &Args<'_, 'py>,
    operand: bool,
) -> PyResult<Bound<'py, PyAny>> {
    let (operand, order) = if operand { (Some(given(&a[0])?), optional(&a[1])) } else { (None, optional(&a[0])) };
    h.values::<V>().rmw(py, op, RmwArgs { operand, order, name: "value" })?;
    Ok(none(py))
}

/// A read-modify-write returning the previous value (`fetch_add`, `exchange`, ...).
#[inline(always)]
fn fetch<'py, V: Values>(
    py: Python<'py>,
    h: &Handle,
    op: OpType,
    a: &Args<'_, 'py>,
    operand: Option<&'static str>,
) -> PyResult<Bound<'py, PyAny>> {
    let family = h.values::<V>();
    let (value, order) = match operand {
        Some(_) => (Some(given(&a[0])?), optional(&a[1])),
        None => (None, optional(&a[0])),
    };
    let previous = family.rmw(py, op, RmwArgs { operand: value, order, name: operand.unwrap_or("value") })?;
    family.build(py, previous)
}

/// Signed-aware arithmetic returning a value (previous or new, per operation).
#[inline(always)]
fn arith<'py, V: Values>(
    py: Python<'py>,
    h: &Handle,
    op: OpType,
    a: &Args<'_, 'py>,
    operand: bool,
) -> PyResult<Bound<'py, PyAny>> {
    let family = h.values::<V>();
    let (value, order) = if operand { (Some(given(&a[0])?), optional(&a[1])) } else { (None, optional(&a[0])) };
    let result = family.arithmetic(py, op, RmwArgs { operand: value, order, name: "value" })?;
    family.build(py, result)
}

#[inline(always)]
fn bit<'py>(py: Python<'py>, h: &Handle, op: OpType, a: &Args<'_, 'py>) -> PyResult<Bound<'py, PyAny>> {
    let set = h.bit_op(py, op, given(&a[0])?, optional(&a[1]))?;
    Ok(pyo3::types::PyBool::new(py, set).to_owned().into_any())
}

fn cmpxchg<'py, V: Values>(py: Python<'py>, h: &Handle, op: OpType, a: &Args<'_, 'py>) -> PyResult<Bound<'py, PyAny>> {
    let names = (V::CMPXCHG_PARAMS[2], V::CMPXCHG_PARAMS[3]);
    let result =
        h.values::<V>().cmpxchg(py, op, given(&a[0])?, given(&a[1])?, optional(&a[2]), optional(&a[3]), names)?;
    Ok(Bound::new(py, result)?.into_any())
}

method!(store, "store", DESIRED_ORDER, 1, |py, h, a, V| {
    h.values::<V>().store(py, given(&a[0])?, optional(&a[1]))?;
    Ok(none(py))
});
method!(load, "load", ORDER, 0, |py, h, a, V| h.values::<V>().load(py, optional(&a[0])));
method!(exchange, "exchange", DESIRED_ORDER, 1, |py, h, a, V| fetch::<V>(py, h, OpType::Exchange, a, Some("desired")));
method!(cmpxchg_weak, "cmpxchg_weak", V::CMPXCHG_PARAMS, 2, |py, h, a, V| cmpxchg::<V>(py, h, OpType::CmpxchgWeak, a));
method!(cmpxchg_strong, "cmpxchg_strong", V::CMPXCHG_PARAMS, 2, |py, h, a, V| cmpxchg::<V>(
    py,
    h,
    OpType::CmpxchgStrong,
    a
));
method!(bit_test, "bit_test", INDEX_ORDER, 1, |py, h, a, V| bit(py, h, OpType::BitTest, a));
method!(bit_test_compl, "bit_test_compl", INDEX_ORDER, 1, |py, h, a, V| bit(py, h, OpType::BitTestCompl, a));
method!(bit_test_set, "bit_test_set", INDEX_ORDER, 1, |py, h, a, V| bit(py, h, OpType::BitTestSet, a));
method!(bit_test_reset, "bit_test_reset", INDEX_ORDER, 1, |py, h, a, V| bit(py, h, OpType::BitTestReset, a));
method!(bin_or, "bin_or", VALUE_ORDER, 1, |py, h, a, V| apply::<V>(py, h, OpType::Or, a, true));
method!(bin_xor, "bin_xor", VALUE_ORDER, 1, |py, h, a, V| apply::<V>(py, h, OpType::Xor, a, true));
method!(bin_and, "bin_and", VALUE_ORDER, 1, |py, h, a, V| apply::<V>(py, h, OpType::And, a, true));
method!(bin_not, "bin_not", ORDER, 0, |py, h, a, V| apply::<V>(py, h, OpType::Not, a, false));
method!(bin_fetch_or, "bin_fetch_or", VALUE_ORDER, 1, |py, h, a, V| fetch::<V>(
    py,
    h,
    OpType::FetchOr,
    a,
    Some("value")
));
method!(bin_fetch_xor, "bin_fetch_xor", VALUE_ORDER, 1, |py, h, a, V| fetch::<V>(
    py,
    h,
    OpType::FetchXor,
    a,
    Some("value")
));
method!(bin_fetch_and, "bin_fetch_and", VALUE_ORDER, 1, |py, h, a, V| fetch::<V>(
    py,
    h,
    OpType::FetchAnd,
    a,
    Some("value")
));
method!(bin_fetch_not, "bin_fetch_not", ORDER, 0, |py, h, a, V| fetch::<V>(py, h, OpType::FetchNot, a, None));
method!(fetch_max, "fetch_max", VALUE_ORDER, 1, |py, h, a, V| arith::<V>(py, h, OpType::FetchMax, a, true));
method!(fetch_min, "fetch_min", VALUE_ORDER, 1, |py, h, a, V| arith::<V>(py, h, OpType::FetchMin, a, true));
method!(add_fetch, "add_fetch", VALUE_ORDER, 1, |py, h, a, V| arith::<V>(py, h, OpType::AddFetch, a, true));
method!(sub_fetch, "sub_fetch", VALUE_ORDER, 1, |py, h, a, V| arith::<V>(py, h, OpType::SubFetch, a, true));
method!(inc_fetch, "inc_fetch", ORDER, 0, |py, h, a, V| arith::<V>(py, h, OpType::IncFetch, a, false));
method!(dec_fetch, "dec_fetch", ORDER, 0, |py, h, a, V| arith::<V>(py, h, OpType::DecFetch, a, false));
method!(checked_fetch_add, "checked_fetch_add", VALUE_ORDER, 1, |py, h, a, V| arith::<V>(
    py,
    h,
    OpType::CheckedFetchAdd,
    a,
    true
));
method!(checked_fetch_sub, "checked_fetch_sub", VALUE_ORDER, 1, |py, h, a, V| arith::<V>(
    py,
    h,
    OpType::CheckedFetchSub,
    a,
    true
));
method!(update, "update", &["fn"], 1, |py, h, a, V| {
    let (old, new) = h.values::<V>().update(py, given(&a[0])?)?;
    Ok(pyo3::types::PyTuple::new(py, [old, new])?.into_any())
});
method!(wait, "wait", &["old", "timeout"], 1, |py, h, a, V| {
    let changed = h.values::<V>().wait(py, given(&a[0])?, optional(&a[1]))?;
    Ok(pyo3::types::PyBool::new(py, changed).to_owned().into_any())
});
method!(notify_one, "notify_one", &[], 0, |py, h, _a, V| {
    h.notify(py, false)?;
    Ok(none(py))
});
method!(notify_all, "notify_all", &[], 0, |py, h, _a, V| {
    h.notify(py, true)?;
    Ok(none(py))
});
method!(add, "add", VALUE_ORDER, 1, |py, h, a, V| apply::<V>(py, h, OpType::Add, a, true));
method!(sub, "sub", VALUE_ORDER, 1, |py, h, a, V| apply::<V>(py, h, OpType::Sub, a, true));
method!(inc, "inc", ORDER, 0, |py, h, a, V| apply::<V>(py, h, OpType::Inc, a, false));
method!(dec, "dec", ORDER, 0, |py, h, a, V| apply::<V>(py, h, OpType::Dec, a, false));
method!(neg, "neg", ORDER, 0, |py, h, a, V| apply::<V>(py, h, OpType::Neg, a, false));
method!(fetch_add, "fetch_add", VALUE_ORDER, 1, |py, h, a, V| fetch::<V>(py, h, OpType::FetchAdd, a, Some("value")));
method!(fetch_sub, "fetch_sub", VALUE_ORDER, 1, |py, h, a, V| fetch::<V>(py, h, OpType::FetchSub, a, Some("value")));
method!(fetch_inc, "fetch_inc", ORDER, 0, |py, h, a, V| fetch::<V>(py, h, OpType::FetchInc, a, None));
method!(fetch_dec, "fetch_dec", ORDER, 0, |py, h, a, V| fetch::<V>(py, h, OpType::FetchDec, a, None));
method!(fetch_neg, "fetch_neg", ORDER, 0, |py, h, a, V| fetch::<V>(py, h, OpType::FetchNeg, a, None));

type Function = unsafe extern "C" fn(
    *mut ffi::PyObject,
    *const *mut ffi::PyObject,
    ffi::Py_ssize_t,
    *mut ffi::PyObject,
) -> *mut ffi::PyObject;

/// (Python name, function, docstring) of the float family's operations.
fn float_operations() -> Vec<(&'static CStr, Function, &'static CStr)> {
    type V = Floats;
    vec![
        (c"store", store::<V>, c"store(desired, order=SEQ_CST)\n--\n\nWrites the float `desired`."),
        (c"load", load::<V>, c"load(order=SEQ_CST)\n--\n\nReads the value."),
        (c"exchange", exchange::<V>, c"exchange(desired, order=SEQ_CST)\n--\n\nWrites `desired`, returning the previous value."),
        (c"cmpxchg_weak", cmpxchg_weak::<V>, c"Compare-exchange that may fail spuriously; compares bits (so -0.0 != 0.0 and a NaN\nmatches the same NaN)."),
        (c"cmpxchg_strong", cmpxchg_strong::<V>, c"Compare-exchange that compares bits (so -0.0 != 0.0 and a NaN matches the same NaN)."),
        (c"fetch_add", fetch_add::<V>, c"fetch_add(value, order=SEQ_CST)\n--\n\nAdds `value` (IEEE addition), returning the previous value."),
        (c"fetch_sub", fetch_sub::<V>, c"fetch_sub(value, order=SEQ_CST)\n--\n\nSubtracts `value`, returning the previous value."),
        (c"fetch_max", fetch_max::<V>, c"fetch_max(value, order=SEQ_CST)\n--\n\nStores max(current, value) (a NaN operand is ignored), returning the previous value."),
        (c"fetch_min", fetch_min::<V>, c"fetch_min(value, order=SEQ_CST)\n--\n\nStores min(current, value) (a NaN operand is ignored), returning the previous value."),
        (c"update", update::<V>, c"update(fn)\n--\n\nReplaces the value v by fn(v) atomically; returns (old, new)."),
        (c"wait", wait::<V>, c"wait(old, timeout=None)\n--\n\nBlocks while the value's bits equal those of `old`; True once they differ, False on timeout."),
        (c"notify_one", notify_one::<V>, c"notify_one()\n--\n\nWakes one thread or process blocked in wait()."),
        (c"notify_all", notify_all::<V>, c"notify_all()\n--\n\nWakes every thread and process blocked in wait()."),
    ]
}

/// (Python name, function, docstring) of every operation of family `V`; arithmetic only for
/// integers.
fn operations<V: Values>(arithmetic: bool) -> Vec<(&'static CStr, Function, &'static CStr)> {
    let mut ops: Vec<(&'static CStr, Function, &'static CStr)> = vec![
        (c"store", store::<V>, c"store(desired, order=SEQ_CST)\n--\n\nWrites `desired`."),
        (c"load", load::<V>, c"load(order=SEQ_CST)\n--\n\nReads the value."),
        (c"exchange", exchange::<V>, c"exchange(desired, order=SEQ_CST)\n--\n\nWrites `desired`, returning the previous value."),
        (c"cmpxchg_weak", cmpxchg_weak::<V>, c"Compare-exchange that may fail spuriously: if the value equals `expected`, writes `desired`.\nReturns CmpxchgResult(success, expected or the value found)."),
        (c"cmpxchg_strong", cmpxchg_strong::<V>, c"Compare-exchange that fails only when the value differs from `expected`.\nReturns CmpxchgResult(success, expected or the value found)."),
        (c"bit_test", bit_test::<V>, c"bit_test(index, order=SEQ_CST)\n--\n\nReads bit `index` (0 is the least significant)."),
        (c"bit_test_compl", bit_test_compl::<V>, c"bit_test_compl(index, order=SEQ_CST)\n--\n\nComplements bit `index`, returning its previous value."),
        (c"bit_test_set", bit_test_set::<V>, c"bit_test_set(index, order=SEQ_CST)\n--\n\nSets bit `index`, returning its previous value."),
        (c"bit_test_reset", bit_test_reset::<V>, c"bit_test_reset(index, order=SEQ_CST)\n--\n\nClears bit `index`, returning its previous value."),
        (c"bin_or", bin_or::<V>, c"bin_or(value, order=SEQ_CST)\n--\n\nBitwise or with `value`."),
        (c"bin_xor", bin_xor::<V>, c"bin_xor(value, order=SEQ_CST)\n--\n\nBitwise exclusive or with `value`."),
        (c"bin_and", bin_and::<V>, c"bin_and(value, order=SEQ_CST)\n--\n\nBitwise and with `value`."),
        (c"bin_not", bin_not::<V>, c"bin_not(order=SEQ_CST)\n--\n\nComplements every bit."),
        (c"bin_fetch_or", bin_fetch_or::<V>, c"bin_fetch_or(value, order=SEQ_CST)\n--\n\nBitwise or, returning the previous value."),
        (c"bin_fetch_xor", bin_fetch_xor::<V>, c"bin_fetch_xor(value, order=SEQ_CST)\n--\n\nBitwise exclusive or, returning the previous value."),
        (c"bin_fetch_and", bin_fetch_and::<V>, c"bin_fetch_and(value, order=SEQ_CST)\n--\n\nBitwise and, returning the previous value."),
        (c"bin_fetch_not", bin_fetch_not::<V>, c"bin_fetch_not(order=SEQ_CST)\n--\n\nComplements every bit, returning the previous value."),
        (c"wait", wait::<V>, c"wait(old, timeout=None)\n--\n\nBlocks while the value equals `old`: returns True once it differs (after a notify_one/notify_all\nfrom any thread or process), False if `timeout` seconds pass first. Releases the GIL while\nblocked; Ctrl-C interrupts it. Widths 1, 2, 4 and 8."),
        (c"notify_one", notify_one::<V>, c"notify_one()\n--\n\nWakes one thread or process blocked in wait() on this memory."),
        (c"update", update::<V>, c"update(fn)\n--\n\nReplaces the value v by fn(v) atomically (a compare-exchange loop that calls fn again\nwhenever another writer got there first); returns (old, new)."),
        (c"notify_all", notify_all::<V>, c"notify_all()\n--\n\nWakes every thread and process blocked in wait() on this memory."),
    ];
    if arithmetic {
        ops.extend([
            (c"add", add::<V> as Function, c"add(value, order=SEQ_CST)\n--\n\nAdds `value`, wrapping around." as &CStr),
            (c"sub", sub::<V>, c"sub(value, order=SEQ_CST)\n--\n\nSubtracts `value`, wrapping around."),
            (c"inc", inc::<V>, c"inc(order=SEQ_CST)\n--\n\nAdds 1, wrapping around."),
            (c"dec", dec::<V>, c"dec(order=SEQ_CST)\n--\n\nSubtracts 1, wrapping around."),
            (c"neg", neg::<V>, c"neg(order=SEQ_CST)\n--\n\nNegates (two's complement: the minimum stays the minimum)."),
            (
                c"fetch_add",
                fetch_add::<V>,
                c"fetch_add(value, order=SEQ_CST)\n--\n\nAdds `value`, returning the previous value.",
            ),
            (
                c"fetch_sub",
                fetch_sub::<V>,
                c"fetch_sub(value, order=SEQ_CST)\n--\n\nSubtracts `value`, returning the previous value.",
            ),
            (c"fetch_inc", fetch_inc::<V>, c"fetch_inc(order=SEQ_CST)\n--\n\nAdds 1, returning the previous value."),
            (
                c"fetch_dec",
                fetch_dec::<V>,
                c"fetch_dec(order=SEQ_CST)\n--\n\nSubtracts 1, returning the previous value.",
            ),
            (c"fetch_neg", fetch_neg::<V>, c"fetch_neg(order=SEQ_CST)\n--\n\nNegates, returning the previous value."),
            (c"fetch_max", fetch_max::<V>, c"fetch_max(value, order=SEQ_CST)\n--\n\nStores max(current, value), returning the previous value."),
            (c"fetch_min", fetch_min::<V>, c"fetch_min(value, order=SEQ_CST)\n--\n\nStores min(current, value), returning the previous value."),
            (c"add_fetch", add_fetch::<V>, c"add_fetch(value, order=SEQ_CST)\n--\n\nAdds `value`, wrapping around, returning the new value."),
            (c"sub_fetch", sub_fetch::<V>, c"sub_fetch(value, order=SEQ_CST)\n--\n\nSubtracts `value`, wrapping around, returning the new value."),
            (c"inc_fetch", inc_fetch::<V>, c"inc_fetch(order=SEQ_CST)\n--\n\nAdds 1, wrapping around, returning the new value."),
            (c"dec_fetch", dec_fetch::<V>, c"dec_fetch(order=SEQ_CST)\n--\n\nSubtracts 1, wrapping around, returning the new value."),
            (c"checked_fetch_add", checked_fetch_add::<V>, c"checked_fetch_add(value, order=SEQ_CST)\n--\n\nAdds `value`, returning the previous value; raises OverflowError, leaving the value\nunchanged, if the sum does not fit."),
            (c"checked_fetch_sub", checked_fetch_sub::<V>, c"checked_fetch_sub(value, order=SEQ_CST)\n--\n\nSubtracts `value`, returning the previous value; raises OverflowError, leaving the\nvalue unchanged, if the difference does not fit."),
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

fn table(defs: Vec<(&'static CStr, Function, &'static CStr)>) -> Table {
    Table(
        defs.into_iter()
            .map(|(name, function, doc)| ffi::PyMethodDef {
                ml_name: name.as_ptr(),
                ml_meth: ffi::PyMethodDefPointer { PyCFunctionFastWithKeywords: function },
                ml_flags: ffi::METH_FASTCALL | ffi::METH_KEYWORDS,
                ml_doc: doc.as_ptr() as *const c_char,
            })
            .collect(),
    )
}

static INTEGRAL: OnceLock<Table> = OnceLock::new();
static BYTES: OnceLock<Table> = OnceLock::new();
static FLOATS: OnceLock<Table> = OnceLock::new();

/// Gives class `cls` (a subclass of `AtomicIntegralBase` or `AtomicBytesBase`) its own
/// descriptors for every operation of its family.
#[pyfunction]
pub(crate) fn install_operations(cls: &Bound<'_, PyType>) -> PyResult<()> {
    let py = cls.py();
    let table = if cls.is_subclass_of::<AtomicIntegralBase>()? {
        INTEGRAL.get_or_init(|| table(operations::<Ints>(true)))
    } else if cls.is_subclass_of::<AtomicBytesBase>()? {
        BYTES.get_or_init(|| table(operations::<Bytes>(false)))
    } else if cls.is_subclass_of::<AtomicFloatBase>()? {
        FLOATS.get_or_init(|| table(float_operations()))
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
