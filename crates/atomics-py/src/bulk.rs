//! The arguments of the arrays' bulk operations: many indices or values in one Python object
//! (a numpy array or another buffer of numbers, or any sequence), read into native vectors
//! before any atomic is touched, so that Python code run by a conversion (an item's
//! `__index__`) never runs while memory is in use, and a bad item refuses the whole call.

use atomics_core::{Operands, Width};
use pyo3::exceptions::{PyIndexError, PyTypeError, PyValueError};
use pyo3::ffi;
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyFloat, PyInt};

use crate::buffer::{Export, ItemKind};
use crate::values::{Number, Values};

/// `obj`'s buffer, C-contiguous with its format, or None if `obj` has no buffer.
fn export_of(obj: &Bound<'_, PyAny>, name: &str) -> PyResult<Option<Export>> {
    if !Export::is_exporter(obj) {
        return Ok(None);
    }
    Export::new(obj, ffi::PyBUF_C_CONTIGUOUS | ffi::PyBUF_FORMAT).map(Some).map_err(|cause| {
        let error = PyValueError::new_err(format!("'{name}' must be a C-contiguous buffer or a sequence"));
        error.set_cause(obj.py(), Some(cause));
        error
    })
}

/// `convert` of every item of `export`, in order, or a `TypeError` naming `name` for items
/// other than native integers and floats. One pass, each item read with its own type.
fn collect<T>(export: &Export, name: &str, mut convert: impl FnMut(Number) -> PyResult<T>) -> PyResult<Vec<T>> {
    let unsupported = || PyTypeError::new_err(format!("'{name}' must hold integers or floats in native byte order"));
    let items = export.items();
    if !items.native {
        return Err(unsupported());
    }
    let size = items.size;
    let bytes = export.bytes();
    let mut out = Vec::with_capacity(bytes.len() / size.max(1));
    macro_rules! each {
        ($t:ty, $number:expr) => {
            for item in bytes.chunks_exact(size) {
                let value = <$t>::from_ne_bytes(item.try_into().expect("items of the type's size"));
                out.push(convert($number(value))?);
            }
        };
    }
    match (items.kind, size) {
        (Some(ItemKind::Float), 4) => each!(f32, |v: f32| Number::Float(f64::from(v))),
        (Some(ItemKind::Float), 8) => each!(f64, Number::Float),
        (Some(ItemKind::Int { signed: true }), 1) => each!(i8, |v: i8| Number::Int(i128::from(v))),
        (Some(ItemKind::Int { signed: true }), 2) => each!(i16, |v: i16| Number::Int(i128::from(v))),
        (Some(ItemKind::Int { signed: true }), 4) => each!(i32, |v: i32| Number::Int(i128::from(v))),
        (Some(ItemKind::Int { signed: true }), 8) => each!(i64, |v: i64| Number::Int(i128::from(v))),
        (Some(ItemKind::Int { signed: false } | ItemKind::Bool), 1) => each!(u8, |v: u8| Number::Int(i128::from(v))),
        (Some(ItemKind::Int { signed: false } | ItemKind::Bool), 2) => each!(u16, |v: u16| Number::Int(i128::from(v))),
        (Some(ItemKind::Int { signed: false } | ItemKind::Bool), 4) => each!(u32, |v: u32| Number::Int(i128::from(v))),
        (Some(ItemKind::Int { signed: false } | ItemKind::Bool), 8) => each!(u64, |v: u64| Number::Int(i128::from(v))),
        _ => return Err(unsupported()),
    }
    Ok(out)
}

/// Indices into an array of `len` atomics from `obj`: a buffer of integers (numpy's `intp`,
/// `int64`, ...) or a sequence of ints; negative ones count from the end.
pub(crate) fn indices(obj: &Bound<'_, PyAny>, len: usize) -> PyResult<Vec<usize>> {
    let place = |i: i128| -> PyResult<usize> {
        let at = if i < 0 { i + len as i128 } else { i };
        if (0..len as i128).contains(&at) {
            Ok(at as usize)
        } else {
            Err(PyIndexError::new_err(format!("index {i} is out of range for an array of {len} atomics")))
        }
    };
    if let Some(export) = export_of(obj, "indices")? {
        return collect(&export, "indices", |n| match n {
            Number::Int(i) => place(i),
            Number::Float(_) => Err(PyTypeError::new_err("'indices' must hold integers, not floats")),
        });
    }
    items(obj, "indices")?.iter().map(|item| place(index_value(item)?)).collect()
}

/// One index for an array of `len` atomics (negative counts from the end).
#[inline(always)]
pub(crate) fn element_index(obj: &Bound<'_, PyAny>, len: usize) -> PyResult<usize> {
    let i = if let Ok(int) = obj.cast::<PyInt>() {
        // SAFETY: `int` is an int: no Python code runs; -1 is ambiguous only on overflow,
        // which sets an error checked below.
        let value = unsafe { ffi::PyLong_AsSsize_t(int.as_ptr()) };
        if value == -1 {
            if let Some(error) = PyErr::take(obj.py()) {
                return Err(PyIndexError::new_err(format!("array index out of range ({error})")));
            }
        }
        value as i128
    } else {
        index_value(obj)?
    };
    let at = if i < 0 { i + len as i128 } else { i };
    if (0..len as i128).contains(&at) {
        Ok(at as usize)
    } else {
        Err(PyIndexError::new_err(format!("index {i} is out of range for an array of {len} atomics")))
    }
}

/// An index given as any integer-like object (`__index__`), as i128 (saturated). Objects
/// without `__index__` are refused with a `TypeError`; what `__index__` raises propagates.
fn index_value(obj: &Bound<'_, PyAny>) -> PyResult<i128> {
    // SAFETY: `obj` is valid; PyIndex_Check only reads its type.
    if unsafe { ffi::PyIndex_Check(obj.as_ptr()) } == 0 {
        return Err(PyTypeError::new_err(format!(
            "array indices must be integers, not {}",
            obj.get_type().name().map(|n| n.to_string()).unwrap_or_default()
        )));
    }
    // SAFETY: `obj` is valid; PyNumber_Index returns a new reference or NULL with an error.
    let int = unsafe { Bound::from_owned_ptr_or_err(obj.py(), ffi::PyNumber_Index(obj.as_ptr())) }?;
    Ok(int.extract::<i128>().unwrap_or(if int.lt(0)? { i128::MIN } else { i128::MAX }))
}

/// The items of a sequence or iterable `obj`.
fn items<'py>(obj: &Bound<'py, PyAny>, name: &str) -> PyResult<Vec<Bound<'py, PyAny>>> {
    let iter = obj.try_iter().map_err(|_| {
        PyTypeError::new_err(format!(
            "'{name}' must be a buffer of numbers or a sequence, not '{}'",
            obj.get_type().name().map(|n| n.to_string()).unwrap_or_default()
        ))
    })?;
    iter.collect()
}

/// Operands owned for the time of a bulk call.
pub(crate) enum Parsed {
    Same(u128),
    Each(Vec<u128>),
}

impl Parsed {
    pub(crate) fn operands(&self) -> Operands<'_> {
        match self {
            Parsed::Same(v) => Operands::Same(*v),
            Parsed::Each(each) => Operands::Each(each),
        }
    }
}

/// The operand(s) `obj` of a bulk operation on atomics of family `V`: one value for every
/// index, or one per index from a buffer (numbers; for bytes, `width` bytes per value) or a
/// sequence of values.
pub(crate) fn operands<V: Values>(obj: &Bound<'_, PyAny>, width: Width, signed: bool, name: &str) -> PyResult<Parsed> {
    let single = if V::FLOAT {
        obj.cast::<PyFloat>().is_ok() || obj.cast::<PyInt>().is_ok()
    } else if V::BYTES {
        obj.cast::<PyBytes>().is_ok_and(|b| b.as_bytes().len() == width.bytes())
    } else {
        obj.cast::<PyInt>().is_ok()
    };
    if single {
        return V::parse(obj, width, signed, name, false).map(Parsed::Same);
    }
    if let Some(export) = export_of(obj, name)? {
        if export.ndim() == 0 && !V::BYTES {
            // A numpy scalar (`np.int64(2)`, `np.float32(0.5)`): one value.
            drop(export);
            return V::parse(obj, width, signed, name, false).map(Parsed::Same);
        }
        if V::BYTES {
            let bytes = export.bytes();
            if bytes.len() == width.bytes() {
                return Ok(Parsed::Same(width.from_ne_bytes(bytes)));
            }
            if bytes.len() % width.bytes() != 0 {
                return Err(PyValueError::new_err(format!(
                    "'{name}' must hold whole values of {} bytes",
                    width.bytes()
                )));
            }
            return Ok(Parsed::Each(bytes.chunks_exact(width.bytes()).map(|b| width.from_ne_bytes(b)).collect()));
        }
        return collect(&export, name, V::from_numbers(width, signed, name)).map(Parsed::Each);
    }
    if !V::BYTES && !V::FLOAT && obj.hasattr("__index__")? {
        return V::parse(obj, width, signed, name, false).map(Parsed::Same);
    }
    if V::FLOAT && (obj.hasattr("__float__")? || obj.hasattr("__index__")?) {
        return V::parse(obj, width, signed, name, false).map(Parsed::Same);
    }
    let parsed: PyResult<Vec<u128>> =
        items(obj, name)?.iter().map(|item| V::parse(item, width, signed, name, false)).collect();
    parsed.map(Parsed::Each)
}
