//! Calls from CPython into the operations: raw `METH_FASTCALL | METH_KEYWORDS` functions,
//! their arguments bound to parameter names with CPython's messages for the mistakes, and
//! their results, errors and panics turned into what CPython expects.
//!
//! Why not `#[pymethods]`: CPython specializes a method call (skipping the generic call path
//! and its subtype check) only when the method descriptor belongs to the object's exact
//! class. The user's objects are instances of Python classes (`AtomicInt`, ...) that subclass
//! the native bases, so methods defined on a native base are never specialized. A descriptor
//! made for each concrete class (`operations::install_operations`), over a function that
//! binds its arguments with a fast path for the common no-keyword call, is what makes
//! `a.inc()` cost about as much as `lst.clear()`.

use std::panic::{catch_unwind, AssertUnwindSafe};

use pyo3::exceptions::{PySystemError, PyTypeError};
use pyo3::ffi;
use pyo3::prelude::*;
use pyo3::Borrowed;

use crate::errors::panic_error;

/// The signature of a method CPython calls with fastcall arguments and keywords.
pub(crate) type Function = unsafe extern "C" fn(
    *mut ffi::PyObject,
    *const *mut ffi::PyObject,
    ffi::Py_ssize_t,
    *mut ffi::PyObject,
) -> *mut ffi::PyObject;

/// The most parameters an operation has (`index, expected, desired, success, failure`).
pub(crate) const MAX_PARAMS: usize = 5;

pub(crate) type Arg<'a, 'py> = Option<Borrowed<'a, 'py, PyAny>>;
pub(crate) type Args<'a, 'py> = [Arg<'a, 'py>; MAX_PARAMS];

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
pub(crate) fn given<'a, 'b, 'py>(arg: &'b Arg<'a, 'py>) -> PyResult<&'b Bound<'py, PyAny>> {
    arg.as_deref().ok_or_else(|| PySystemError::new_err("required argument missing after binding"))
}

pub(crate) fn optional<'b, 'py>(arg: &'b Arg<'_, 'py>) -> Option<&'b Bound<'py, PyAny>> {
    arg.as_deref()
}

/// The body shared by every method: bind, run `body` on the object, turn the result or
/// error (or a panic, which never crosses into C) into what CPython expects.
///
/// # Safety
/// As for [`bind`]; `slf` is a valid object.
#[inline(always)]
#[allow(clippy::too_many_arguments)]
pub(crate) unsafe fn call(
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
    // The fast path above never drops a Python reference; errors do (see `raise`).
    match result {
        Ok(Ok(ptr)) => ptr,
        Ok(Err(error)) => raise(error),
        Err(panic) => raise(panic_error(panic)),
    }
}

/// Raises `error`: sets it as the current exception and returns the NULL that says so.
/// Errors drop Python references (PyO3 defers drops made without its attach count to a
/// pool), so they are raised inside a real attach, which also drains that pool.
#[cold]
fn raise(error: PyErr) -> *mut ffi::PyObject {
    Python::attach(|py| error.restore(py));
    std::ptr::null_mut()
}
