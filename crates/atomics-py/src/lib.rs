//! `atomics._native`: the Python binding of `atomics-core`.
//!
//! Each method parses its arguments, makes one call into the core and maps the result or the
//! error; the Python package `atomics` subclasses these classes under the `atomics` 1.0
//! names. The GIL is not needed: every operation is a hardware atomic, and the only shared
//! mutable state (whether a buffer was released) is guarded in `guard.rs`.

use atomics_core::MemoryOrder;
use pyo3::prelude::*;

mod alignment;
mod array;
mod atomic;
mod buffer;
mod bulk;
mod cmpxchg;
mod compat;
mod context;
mod convert;
mod errors;
mod fast;
mod fastcall;
mod guard;
mod handle;
mod memory;
mod names;
mod operations;
mod shared;
mod sleepers;
mod slot;
mod target;
mod values;

#[pymodule(gil_used = false)]
fn _native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    compat::init(m.py())?;
    fast::init(m.py());
    m.add_class::<atomic::AtomicCore>()?;
    m.add_class::<context::ViewContextBase>()?;
    m.add_class::<atomic::AtomicMemoryBase>()?;
    m.add_class::<atomic::AtomicBase>()?;
    m.add_class::<atomic::AtomicIntegralBase>()?;
    m.add_class::<atomic::AtomicBytesBase>()?;
    m.add_class::<atomic::AtomicFloatBase>()?;
    m.add_class::<array::AtomicArrayBase>()?;
    m.add_class::<array::AtomicIntegralArrayBase>()?;
    m.add_class::<array::AtomicBytesArrayBase>()?;
    m.add_class::<array::AtomicFloatArrayBase>()?;
    cmpxchg::add_type(m)?;
    m.add_class::<alignment::Alignment>()?;
    m.add_class::<shared::SharedSegment>()?;
    m.add_function(wrap_pyfunction!(shared::unlink_created_segments, m)?)?;
    m.add_function(wrap_pyfunction!(operations::install_operations, m)?)?;
    m.add_function(wrap_pyfunction!(atomic::new_atomic, m)?)?;
    m.add_function(wrap_pyfunction!(context::new_view_context, m)?)?;
    m.add_function(wrap_pyfunction!(is_valid_store_order, m)?)?;
    m.add_function(wrap_pyfunction!(is_valid_load_order, m)?)?;
    m.add_function(wrap_pyfunction!(is_valid_fail_order, m)?)?;
    Ok(())
}

/// Whether a store may use the order of value `order` (for `MemoryOrder`).
#[pyfunction]
fn is_valid_store_order(order: i64) -> bool {
    MemoryOrder::from_value(order).is_some_and(MemoryOrder::is_valid_store_order)
}

/// Whether a load may use the order of value `order` (for `MemoryOrder`).
#[pyfunction]
fn is_valid_load_order(order: i64) -> bool {
    MemoryOrder::from_value(order).is_some_and(MemoryOrder::is_valid_load_order)
}

/// Whether `fail` may be the failure order of a compare-exchange with success order `succ`.
#[pyfunction]
fn is_valid_fail_order(fail: i64, succ: i64) -> bool {
    match (MemoryOrder::from_value(fail), MemoryOrder::from_value(succ)) {
        (Some(fail), Some(succ)) => fail.is_valid_fail_order(succ),
        _ => false,
    }
}
