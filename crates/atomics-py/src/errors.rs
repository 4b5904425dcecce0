//! Core errors as the Python exceptions of `atomics.exc`, with the enums of `atomics` as
//! their attributes.
//!
//! The exception classes and enums are Python (`atomics/exc.py`, `atomics/_enums.py`); they
//! are looked up once, on first use, after the package has finished importing.

use std::any::Any;

use atomics_core::{Error, MemoryOrder, OpType};
use pyo3::exceptions::PyValueError;
use pyo3::panic::PanicException;
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyDict, PyString};

/// A Python object imported once: `module.name`.
pub(crate) struct Imported {
    module: &'static str,
    name: &'static str,
    cell: PyOnceLock<Py<PyAny>>,
}

impl Imported {
    pub(crate) const fn new(module: &'static str, name: &'static str) -> Self {
        Imported { module, name, cell: PyOnceLock::new() }
    }

    pub(crate) fn get<'py>(&self, py: Python<'py>) -> PyResult<&Bound<'py, PyAny>> {
        self.cell
            .get_or_try_init(py, || Ok::<_, PyErr>(py.import(self.module)?.getattr(self.name)?.unbind()))
            .map(|obj| obj.bind(py))
    }
}

static OP_TYPE: Imported = Imported::new("atomics._enums", "OpType");
static MEMORY_ORDER: Imported = Imported::new("atomics._enums", "MemoryOrder");
static UNSUPPORTED_WIDTH: Imported = Imported::new("atomics.exc", "UnsupportedWidthException");
static UNSUPPORTED_OPERATION: Imported = Imported::new("atomics.exc", "UnsupportedOperationException");
static MEMORY_ORDER_ERROR: Imported = Imported::new("atomics.exc", "MemoryOrderError");
static ALIGNMENT_ERROR: Imported = Imported::new("atomics.exc", "AlignmentError");

/// The `atomics.OpType` member of `op`.
pub(crate) fn py_op_type(py: Python<'_>, op: OpType) -> PyResult<Bound<'_, PyAny>> {
    OP_TYPE.get(py)?.call1((op.value(),))
}

fn py_memory_order(py: Python<'_>, order: MemoryOrder) -> PyResult<Bound<'_, PyAny>> {
    MEMORY_ORDER.get(py)?.call1((order.value(),))
}

/// The Python exception for a core error.
pub(crate) fn core_error(py: Python<'_>, error: Error) -> PyErr {
    build(py, error).unwrap_or_else(|failure| failure)
}

fn build(py: Python<'_>, error: Error) -> PyResult<PyErr> {
    let kwargs = PyDict::new(py);
    let exception = match error {
        Error::UnsupportedWidth { width, readonly } => {
            kwargs.set_item("readonly", readonly)?;
            UNSUPPORTED_WIDTH.get(py)?.call((width,), Some(&kwargs))?
        }
        Error::UnsupportedOperation { op, width, readonly } => {
            kwargs.set_item("readonly", readonly)?;
            UNSUPPORTED_OPERATION.get(py)?.call((py_op_type(py, op)?, width), Some(&kwargs))?
        }
        Error::MemoryOrder { op, order, is_fail } => {
            kwargs.set_item("is_fail", is_fail)?;
            let args = (py_op_type(py, op)?, py_memory_order(py, order)?);
            MEMORY_ORDER_ERROR.get(py)?.call(args, Some(&kwargs))?
        }
        Error::Alignment { width, address } => {
            kwargs.set_item("using_recommended", true)?;
            ALIGNMENT_ERROR.get(py)?.call((width, address), Some(&kwargs))?
        }
        Error::BitIndex => return Ok(PyValueError::new_err(error.to_string())),
        Error::Operand { .. } => return Ok(pyo3::exceptions::PySystemError::new_err(error.to_string())),
        Error::Overflow { .. } => return Ok(pyo3::exceptions::PyOverflowError::new_err(error.to_string())),
        Error::WaitUnsupported { .. } => {
            return Ok(pyo3::exceptions::PyNotImplementedError::new_err(error.to_string()))
        }
        Error::Index { .. } => return Ok(pyo3::exceptions::PyIndexError::new_err(error.to_string())),
        Error::ArraySize { .. } | Error::Length { .. } => return Ok(PyValueError::new_err(error.to_string())),
    };
    Ok(PyErr::from_value(exception))
}

/// `UnsupportedWidthException(width, readonly=False)` for widths the CPU cannot handle.
pub(crate) fn unsupported_width(py: Python<'_>, width: usize) -> PyErr {
    core_error(py, Error::UnsupportedWidth { width, readonly: false })
}

/// A Rust panic caught at the border with C, as the `PanicException` raised in its place (a
/// panic never unwinds into CPython).
pub(crate) fn panic_error(panic: Box<dyn Any + Send>) -> PyErr {
    let message = panic
        .downcast_ref::<String>()
        .cloned()
        .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
        .unwrap_or_else(|| "panic in atomics".into());
    PanicException::new_err(message)
}

/// `s` as a Python str, or `MemoryError` when it cannot be allocated (PyO3's conversion of a
/// returned `String` panics then).
pub(crate) fn text<'py>(py: Python<'py>, s: &str) -> PyResult<Bound<'py, PyString>> {
    PyString::from_bytes(py, s.as_bytes())
}
