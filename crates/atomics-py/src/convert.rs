//! Python arguments to core values and back: integers, bytes, memory orders, widths.
//!
//! Every conversion runs before the atomic operation (it may run Python code, such as an
//! `__index__` method) and raises a `TypeError`, `ValueError` or `OverflowError` that names
//! the argument.

use std::ffi::c_longlong;

use atomics_core::{MemoryOrder, Width};
use pyo3::exceptions::{PyOverflowError, PyTypeError, PyValueError};
use pyo3::ffi;
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyInt};

use crate::compat;

fn type_name(obj: &Bound<'_, PyAny>) -> String {
    obj.get_type().name().map(|n| n.to_string()).unwrap_or_else(|_| "?".into())
}

/// `obj` as a Python int: ints (bool, IntEnum and other subclasses included) as they are,
/// other integer-like objects (numpy integers) through `__index__`; floats, strings, None and
/// the rest are refused.
#[inline(always)]
fn as_int<'py>(obj: &Bound<'py, PyAny>, name: &str) -> PyResult<Bound<'py, PyInt>> {
    if let Ok(int) = obj.cast::<PyInt>() {
        return Ok(int.clone());
    }
    // SAFETY: `obj` is a valid object; PyIndex_Check only reads its type.
    if unsafe { ffi::PyIndex_Check(obj.as_ptr()) } != 0 {
        // SAFETY: as above; the result is a new reference or NULL with an exception set.
        let index = unsafe { Bound::from_owned_ptr_or_err(obj.py(), ffi::PyNumber_Index(obj.as_ptr())) }?;
        return Ok(index.cast_into::<PyInt>()?);
    }
    Err(PyTypeError::new_err(format!("'{name}' must be an int, not '{}'", type_name(obj))))
}

fn too_big() -> PyErr {
    PyOverflowError::new_err("int too big to convert")
}

fn negative_unsigned() -> PyErr {
    PyOverflowError::new_err("can't convert negative int to unsigned")
}

/// The smallest and largest integers that fit `width` bytes, signed or not (for 16-byte
/// unsigned values, capped at `i128::MAX`: callers hold at most 64-bit numbers).
pub(crate) fn int_range(width: Width, signed: bool) -> (i128, i128) {
    let bits = width.bits();
    match (signed, bits) {
        (true, 128) => (i128::MIN, i128::MAX),
        (true, _) => (-(1i128 << (bits - 1)), (1i128 << (bits - 1)) - 1),
        (false, 128) => (0, i128::MAX),
        (false, _) => (0, (1i128 << bits) - 1),
    }
}

/// The `OverflowError` of `int_to_bits` for `value`, which does not fit.
pub(crate) fn out_of_range(value: i128, signed: bool) -> PyErr {
    if value < 0 && !signed {
        negative_unsigned()
    } else {
        too_big()
    }
}

/// The bit pattern of integer `obj` as a `width`-byte integer, signed or not. Out-of-range
/// values are refused (never wrapped) with the `OverflowError`s of `int.to_bytes`.
#[inline(always)]
pub(crate) fn int_to_bits(obj: &Bound<'_, PyAny>, width: Width, signed: bool, name: &str) -> PyResult<u128> {
    let int = as_int(obj, name)?;
    if width == Width::W16 {
        return int_to_bits_16(&int, signed);
    }
    let mut overflow = 0;
    // SAFETY: `int` is an int, so no Python code runs; -1 with overflow 0 may be an error
    // only for non-ints.
    let value: c_longlong = match unsafe { compat::int_value_of_two_digits(int.as_ptr()) } {
        Some(value) => value,
        // SAFETY: as above.
        None => unsafe { ffi::PyLong_AsLongLongAndOverflow(int.as_ptr(), &mut overflow) },
    };
    let bits = width.bits();
    if signed {
        // In range when sign-extending its low `bits` gives it back.
        let shift = 64 - bits;
        if overflow != 0 || (value << shift) >> shift != value {
            return Err(too_big());
        }
        Ok(u128::from(value as u64) & width.mask())
    } else {
        match overflow {
            0 if value < 0 => Err(negative_unsigned()),
            0 if (value as u128) > width.mask() => Err(too_big()),
            0 => Ok(value as u128),
            -1 => Err(negative_unsigned()),
            _ if width == Width::W8 => {
                // Between 2**63 and 2**64 - 1, or too big.
                // SAFETY: `int` is an int; on error an exception is set and cleared below.
                let value = unsafe { ffi::PyLong_AsUnsignedLongLong(int.as_ptr()) };
                // SAFETY: plain error-indicator calls with the thread attached.
                if value == u64::MAX && unsafe { !ffi::PyErr_Occurred().is_null() } {
                    // SAFETY: clears the error just detected, with the thread attached.
                    unsafe { ffi::PyErr_Clear() };
                    Err(too_big())
                } else {
                    Ok(u128::from(value))
                }
            }
            _ => Err(too_big()),
        }
    }
}

fn int_to_bits_16(int: &Bound<'_, PyInt>, signed: bool) -> PyResult<u128> {
    if signed {
        int.extract::<i128>().map(|v| v as u128).map_err(|_| too_big())
    } else if is_negative(int) {
        Err(negative_unsigned())
    } else {
        int.extract::<u128>().map_err(|_| too_big())
    }
}

/// The sign of an int, read from its value (an int subclass's `__lt__` is not consulted).
fn is_negative(int: &Bound<'_, PyInt>) -> bool {
    let mut overflow = 0;
    // SAFETY: `int` is an int, so no Python code runs and no error is set.
    let value = unsafe { ffi::PyLong_AsLongLongAndOverflow(int.as_ptr(), &mut overflow) };
    overflow < 0 || (overflow == 0 && value < 0)
}

/// The value of an int clamped to the i64 range (for indices, where anything beyond is out of
/// range anyway).
fn clamped_i64(int: &Bound<'_, PyInt>) -> i64 {
    let mut overflow = 0;
    // SAFETY: `int` is an int, so no Python code runs and no error is set.
    let value = unsafe { ffi::PyLong_AsLongLongAndOverflow(int.as_ptr(), &mut overflow) };
    match overflow {
        0 => value,
        o if o < 0 => i64::MIN,
        _ => i64::MAX,
    }
}

/// The Python int whose `width`-byte bit pattern is `bits`.
#[inline(always)]
pub(crate) fn bits_to_int(py: Python<'_>, bits: u128, width: Width, signed: bool) -> PyResult<Bound<'_, PyAny>> {
    if width == Width::W16 {
        let Ok(int) = if signed { (bits as i128).into_pyobject(py) } else { bits.into_pyobject(py) };
        return Ok(int.into_any());
    }
    // SAFETY: `ptr` is a new reference or NULL with an exception set.
    unsafe { Bound::from_owned_ptr_or_err(py, word_to_int(bits as u64, width, signed)) }
}

/// The Python int whose `width`-byte bit pattern is `bits` (`width` at most 8): a new
/// reference, or NULL with an exception set.
#[inline(always)]
pub(crate) fn word_to_int(bits: u64, width: Width, signed: bool) -> *mut ffi::PyObject {
    let shift = 64 - width.bits();
    let value = (bits << shift) as i64 >> shift;
    if signed && value < 0 {
        // SAFETY: plain constructor; returns a new reference or NULL with an exception set.
        unsafe { ffi::PyLong_FromLongLong(value) }
    } else {
        // The unsigned constructor, for every value it can take: it counts the digits of a
        // large value in fewer steps than the signed one (about 20 instructions fewer on 3.11).
        // SAFETY: as above.
        unsafe { ffi::PyLong_FromUnsignedLongLong(if signed { value as u64 } else { bits }) }
    }
}

/// A bit index: any int (out-of-range values, huge ones included, are the core's business).
pub(crate) fn bit_index(obj: &Bound<'_, PyAny>) -> PyResult<i64> {
    Ok(clamped_i64(&as_int(obj, "index")?))
}

/// A memory order argument: a `MemoryOrder` or the int value of one; absent means `SEQ_CST`.
#[inline(always)]
pub(crate) fn memory_order(obj: Option<&Bound<'_, PyAny>>, name: &str) -> PyResult<MemoryOrder> {
    match obj {
        None => Ok(MemoryOrder::SeqCst),
        Some(obj) => given_memory_order(obj, name),
    }
}

#[inline(always)]
fn given_memory_order(obj: &Bound<'_, PyAny>, name: &str) -> PyResult<MemoryOrder> {
    // A `MemoryOrder` member is an int (an `IntEnum`) whose value is the order's: read as any
    // int, from its digits.
    let Ok(int) = obj.cast::<PyInt>() else {
        return not_an_int_order(obj, name);
    };
    // SAFETY: `int` is an int.
    match unsafe { order_of_int(int.as_ptr()) } {
        Some(order) => Ok(order),
        None => large_int_order(int),
    }
}

/// The order whose value `int` holds, read from its digits; `None` for any other value.
///
/// # Safety
/// `int` is an exact or derived `int` (its layout is `PyLongObject`'s, so no Python code
/// runs); the thread is attached.
#[inline(always)]
pub(crate) unsafe fn order_of_int(int: *mut ffi::PyObject) -> Option<MemoryOrder> {
    // SAFETY: the caller's guarantee.
    unsafe { compat::int_value_of_one_digit(int) }.and_then(|value| MemoryOrder::from_value(value.into()))
}

/// [`given_memory_order`] of an int that is not the value of an order read from its digits.
#[cold]
fn large_int_order(int: &Bound<'_, PyInt>) -> PyResult<MemoryOrder> {
    let mut overflow = 0;
    // SAFETY: `int` is an int, so no Python code runs.
    let value = unsafe { ffi::PyLong_AsLongLongAndOverflow(int.as_ptr(), &mut overflow) };
    match MemoryOrder::from_value(value) {
        Some(order) if overflow == 0 => Ok(order),
        _ => Err(PyValueError::new_err(format!("{} is not a valid MemoryOrder", int))),
    }
}

/// [`given_memory_order`] of anything but an int: None means the default.
#[cold]
fn not_an_int_order(obj: &Bound<'_, PyAny>, name: &str) -> PyResult<MemoryOrder> {
    if obj.is_none() {
        return Ok(MemoryOrder::SeqCst);
    }
    Err(PyTypeError::new_err(format!("'{name}' must be a MemoryOrder, not '{}'", type_name(obj))))
}

/// The bit pattern of bytes-like `obj` (any C-contiguous buffer) of exactly `width` bytes.
/// With `any_iterable`, objects without a buffer are passed through `bytes()` first (as
/// `atomics` 1.0 does for compare-exchange).
pub(crate) fn bytes_to_bits(obj: &Bound<'_, PyAny>, width: Width, name: &str, any_iterable: bool) -> PyResult<u128> {
    let py = obj.py();
    let converted;
    let source = if let Ok(bytes) = obj.cast::<PyBytes>() {
        bytes
    } else {
        // SAFETY: `obj` is valid; PyObject_CheckBuffer only reads its type.
        let has_buffer = unsafe { ffi::PyObject_CheckBuffer(obj.as_ptr()) } != 0;
        if !has_buffer && !any_iterable {
            return Err(PyTypeError::new_err(format!(
                "'{name}' must be a bytes-like object, not '{}'",
                type_name(obj)
            )));
        }
        // SAFETY: `obj` is valid; the result is a new reference or NULL with an exception set.
        converted = unsafe { Bound::from_owned_ptr_or_err(py, ffi::PyBytes_FromObject(obj.as_ptr())) }?
            .cast_into::<PyBytes>()?;
        &converted
    };
    let data = source.as_bytes();
    if data.len() != width.bytes() {
        return Err(length_error(name));
    }
    Ok(width.from_ne_bytes(data))
}

fn length_error(name: &str) -> PyErr {
    PyValueError::new_err(format!("'{name}' object length does not match width."))
}

/// Checks, without converting it, that compare-exchange operand `obj` holds `width` bytes:
/// `bytes` and other buffers by their size in bytes, any other object by `len()` (whose
/// `TypeError` for an object without a length is `atomics` 1.0's), except an iterator
/// (which 1.0 refused so), measured when converted.
#[inline(always)]
pub(crate) fn check_bytes_length(obj: &Bound<'_, PyAny>, width: Width, name: &str) -> PyResult<()> {
    // The usual operand, a `bytes` of the width, in a few instructions.
    // SAFETY: `obj` is a bytes object, whose size is its length (PyBytes_GET_SIZE).
    if obj.is_exact_instance_of::<PyBytes>() && (unsafe { ffi::Py_SIZE(obj.as_ptr()) }) as usize == width.bytes() {
        return Ok(());
    }
    measure_bytes_length(obj, width, name)
}

fn measure_bytes_length(obj: &Bound<'_, PyAny>, width: Width, name: &str) -> PyResult<()> {
    let len = if obj.is_instance_of::<PyBytes>() {
        // SAFETY: `obj` is a bytes object, whose size is its length (PyBytes_GET_SIZE).
        (unsafe { ffi::Py_SIZE(obj.as_ptr()) }) as usize
    } else if has_buffer(obj) {
        buffer_size(obj)?
    } else {
        // SAFETY: `obj` is valid; the checks only read its type's slots, as len() and iter() do.
        let (has_len, has_iter) = unsafe {
            let class = ffi::Py_TYPE(obj.as_ptr());
            let (sequence, mapping) = ((*class).tp_as_sequence, (*class).tp_as_mapping);
            let has_len = (!sequence.is_null() && (*sequence).sq_length.is_some())
                || (!mapping.is_null() && (*mapping).mp_length.is_some());
            (has_len, (*class).tp_iter.is_some())
        };
        if !has_len && has_iter {
            return Ok(());
        }
        obj.len()?
    };
    if len == width.bytes() {
        Ok(())
    } else {
        Err(length_error(name))
    }
}

fn has_buffer(obj: &Bound<'_, PyAny>) -> bool {
    // SAFETY: `obj` is valid; PyObject_CheckBuffer only reads its type.
    unsafe { ffi::PyObject_CheckBuffer(obj.as_ptr()) != 0 }
}

/// The size in bytes of `obj`'s buffer, of any layout.
fn buffer_size(obj: &Bound<'_, PyAny>) -> PyResult<usize> {
    let mut view = std::mem::MaybeUninit::<ffi::Py_buffer>::uninit();
    // SAFETY: `obj` is valid and `view` is writable; on success the view is filled and must
    // be released once, below.
    if unsafe { ffi::PyObject_GetBuffer(obj.as_ptr(), view.as_mut_ptr(), ffi::PyBUF_FULL_RO) } != 0 {
        return Err(PyErr::fetch(obj.py()));
    }
    // SAFETY: filled by the successful call above.
    let mut view = unsafe { view.assume_init() };
    let len = view.len as usize;
    // SAFETY: acquired above, released exactly once.
    unsafe { ffi::PyBuffer_Release(&mut view) };
    Ok(len)
}

/// A fresh `bytes` holding the `width` native-endian bytes of `bits`.
pub(crate) fn bits_to_bytes(py: Python<'_>, bits: u128, width: Width) -> Bound<'_, PyBytes> {
    PyBytes::new(py, &width.to_ne_bytes(bits)[..width.bytes()])
}

/// A width argument, checked as `atomics` 1.0 checks it: an int, not negative, fitting
/// `size_t` (32 bits on 32-bit platforms). Whether the width is supported is checked by
/// whoever uses it.
pub(crate) fn width(obj: &Bound<'_, PyAny>) -> PyResult<usize> {
    let Ok(int) = obj.cast::<PyInt>() else {
        return Err(PyTypeError::new_err("Keyword argument 'width' must have type 'int'."));
    };
    if is_negative(int) {
        return Err(PyValueError::new_err("Negative width"));
    }
    int.extract::<usize>().map_err(|_| PyOverflowError::new_err((int.clone().unbind(), "Value would overflow size_t")))
}

/// A `timeout` argument in seconds: None (no limit), or a non-negative number; infinity means
/// no limit.
pub(crate) fn timeout(obj: Option<&Bound<'_, PyAny>>) -> PyResult<Option<std::time::Duration>> {
    let Some(obj) = obj.filter(|o| !o.is_none()) else { return Ok(None) };
    if obj.cast::<pyo3::types::PyBool>().is_ok()
        || (obj.cast::<PyInt>().is_err() && obj.cast::<pyo3::types::PyFloat>().is_err())
    {
        return Err(PyTypeError::new_err(format!("'timeout' must be a number or None, not '{}'", type_name(obj))));
    }
    let seconds: f64 = obj.extract()?;
    if seconds.is_nan() || seconds < 0.0 {
        return Err(PyValueError::new_err("'timeout' must be a non-negative number"));
    }
    Ok(std::time::Duration::try_from_secs_f64(seconds).ok())
}

/// A float argument: a float, an int, or an object with `__float__`/`__index__` (numpy
/// scalars); strings, bytes and None are refused.
pub(crate) fn float_arg(obj: &Bound<'_, PyAny>, name: &str) -> PyResult<f64> {
    if let Ok(f) = obj.cast::<pyo3::types::PyFloat>() {
        return Ok(f.value());
    }
    // SAFETY: `obj` is valid and the thread attached.
    if !unsafe { compat::has_float_or_index(obj.as_ptr()) } {
        return Err(PyTypeError::new_err(format!("'{name}' must be a float, not '{}'", type_name(obj))));
    }
    obj.extract::<f64>()
}
