//! How each family of atomics turns Python values into bit patterns and back: integers for
//! `INTEGRAL`/`INT`/`UINT`, `bytes` for `BYTES`. Everything else about an operation is the
//! same for both families (see `handle.rs`).

use atomics_core::Width;
use pyo3::prelude::*;

use pyo3::exceptions::PyTypeError;

use crate::bulk::Number;
use crate::convert::{
    bits_to_bytes, bits_to_int, bytes_to_bits, check_bytes_length, float_arg, int_range, int_to_bits, out_of_range,
};

/// The value conversions of one family.
pub(crate) trait Values {
    /// Whether the supported-operation and order checks run before argument conversion (as
    /// in `atomics` 1.0's bytes family) rather than after it (its integer family).
    const CHECKS_BEFORE_CONVERSION: bool;

    /// Whether values are IEEE floats (arithmetic is then float arithmetic).
    const FLOAT: bool = false;

    /// Whether values are raw bytes.
    const BYTES: bool = false;

    /// The parameters of `cmpxchg_weak`/`cmpxchg_strong` on an array's element; an atomic's
    /// are the same without `index` (atomics 1.0 names the orders `success`/`failure` for
    /// integers, `succ`/`fail` for bytes).
    const CMPXCHG_PARAMS: &'static [&'static str];

    /// Checks that compare-exchange operand `obj` (argument `name`) has `width`'s length
    /// before it is converted; only where checks come before conversion.
    fn check_length(_obj: &Bound<'_, PyAny>, _width: Width, _name: &str) -> PyResult<()> {
        Ok(())
    }

    /// The bit pattern of argument `name`. `cmpxchg` is true for compare-exchange operands,
    /// which `atomics` 1.0 accepts in more forms.
    fn parse(obj: &Bound<'_, PyAny>, width: Width, signed: bool, name: &str, cmpxchg: bool) -> PyResult<u128>;

    /// The conversion of numbers read from a buffer (bulk operations) for `width`: each
    /// number's bit pattern, refused as `parse` would refuse the same number. Everything
    /// that depends only on the width is computed once, outside the per-item function.
    fn from_numbers(width: Width, signed: bool, name: &str) -> impl Fn(Number) -> PyResult<u128> + '_;

    /// The Python value of a bit pattern.
    fn build<'py>(py: Python<'py>, bits: u128, width: Width, signed: bool) -> PyResult<Bound<'py, PyAny>>;

    /// The `expected` of a successful compare-exchange: the object passed in for integers, a
    /// fresh `bytes` for bytes (the caller's object is never handed back to be mutated).
    fn expected_on_success<'py>(
        passed: &Bound<'py, PyAny>,
        bits: u128,
        width: Width,
        signed: bool,
    ) -> PyResult<Bound<'py, PyAny>>;
}

/// Integers, range-checked on input, sign-extended on output.
pub(crate) enum Ints {}

impl Values for Ints {
    const CHECKS_BEFORE_CONVERSION: bool = false;
    const CMPXCHG_PARAMS: &'static [&'static str] = &["index", "expected", "desired", "success", "failure"];

    #[inline(always)]
    fn parse(obj: &Bound<'_, PyAny>, width: Width, signed: bool, name: &str, _cmpxchg: bool) -> PyResult<u128> {
        int_to_bits(obj, width, signed, name)
    }

    #[inline(always)]
    fn build<'py>(py: Python<'py>, bits: u128, width: Width, signed: bool) -> PyResult<Bound<'py, PyAny>> {
        bits_to_int(py, bits, width, signed)
    }

    fn from_numbers(width: Width, signed: bool, name: &str) -> impl Fn(Number) -> PyResult<u128> + '_ {
        let (min, max) = int_range(width, signed);
        let mask = width.mask();
        move |number| match number {
            Number::Int(value) if min <= value && value <= max => Ok(value as u128 & mask),
            Number::Int(value) => Err(out_of_range(value, signed)),
            Number::Float(_) => Err(PyTypeError::new_err(format!("'{name}' must hold integers, not floats"))),
        }
    }

    fn expected_on_success<'py>(
        passed: &Bound<'py, PyAny>,
        _bits: u128,
        _width: Width,
        _signed: bool,
    ) -> PyResult<Bound<'py, PyAny>> {
        Ok(passed.clone())
    }
}

/// `bytes` of exactly the width, in native byte order.
pub(crate) enum Bytes {}

impl Values for Bytes {
    const CHECKS_BEFORE_CONVERSION: bool = true;
    const CMPXCHG_PARAMS: &'static [&'static str] = &["index", "expected", "desired", "succ", "fail"];

    const BYTES: bool = true;

    #[inline(always)]
    fn check_length(obj: &Bound<'_, PyAny>, width: Width, name: &str) -> PyResult<()> {
        check_bytes_length(obj, width, name)
    }

    #[inline(always)]
    fn parse(obj: &Bound<'_, PyAny>, width: Width, _signed: bool, name: &str, cmpxchg: bool) -> PyResult<u128> {
        bytes_to_bits(obj, width, name, cmpxchg)
    }

    fn from_numbers(_width: Width, _signed: bool, name: &str) -> impl Fn(Number) -> PyResult<u128> + '_ {
        move |_| Err(PyTypeError::new_err(format!("'{name}' must hold bytes")))
    }

    fn build<'py>(py: Python<'py>, bits: u128, width: Width, _signed: bool) -> PyResult<Bound<'py, PyAny>> {
        Ok(bits_to_bytes(py, bits, width).into_any())
    }

    fn expected_on_success<'py>(
        passed: &Bound<'py, PyAny>,
        bits: u128,
        width: Width,
        signed: bool,
    ) -> PyResult<Bound<'py, PyAny>> {
        Self::build(passed.py(), bits, width, signed)
    }
}

/// IEEE floats of 4 (`f32`) or 8 (`f64`) bytes; compare-exchange and `wait` compare bits.
pub(crate) enum Floats {}

impl Values for Floats {
    const CHECKS_BEFORE_CONVERSION: bool = false;
    const FLOAT: bool = true;
    const CMPXCHG_PARAMS: &'static [&'static str] = &["index", "expected", "desired", "success", "failure"];

    fn parse(obj: &Bound<'_, PyAny>, width: Width, _signed: bool, name: &str, _cmpxchg: bool) -> PyResult<u128> {
        let value = float_arg(obj, name)?;
        Ok(float_bits(value, width))
    }

    fn from_numbers(width: Width, _signed: bool, _name: &str) -> impl Fn(Number) -> PyResult<u128> + '_ {
        move |number| {
            Ok(float_bits(
                match number {
                    Number::Int(i) => i as f64,
                    Number::Float(f) => f,
                },
                width,
            ))
        }
    }

    fn build<'py>(py: Python<'py>, bits: u128, width: Width, _signed: bool) -> PyResult<Bound<'py, PyAny>> {
        let value =
            if width == Width::W4 { f64::from(f32::from_bits(bits as u32)) } else { f64::from_bits(bits as u64) };
        Ok(pyo3::types::PyFloat::new(py, value).into_any())
    }

    fn expected_on_success<'py>(
        passed: &Bound<'py, PyAny>,
        bits: u128,
        width: Width,
        signed: bool,
    ) -> PyResult<Bound<'py, PyAny>> {
        Self::build(passed.py(), bits, width, signed)
    }
}

/// The bits of `value` as a float of `width` (4: rounded to `f32`).
#[inline]
fn float_bits(value: f64, width: Width) -> u128 {
    if width == Width::W4 {
        u128::from((value as f32).to_bits())
    } else {
        u128::from(value.to_bits())
    }
}
