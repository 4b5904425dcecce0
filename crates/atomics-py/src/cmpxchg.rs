//! `CmpxchgResult`: what a compare-exchange returns. Native so that returning one costs no
//! Python frame.

use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyTuple, PyType};

use crate::slot::Slot;

/// The outcome of a compare-exchange: `success`, and `expected`, the value passed in on
/// success or the value found in memory on failure. True when it succeeded; unpacks as
/// `(success, expected)`.
#[pyclass(module = "atomics", name = "CmpxchgResult", subclass, frozen, freelist = 64)]
pub(crate) struct CmpxchgResult {
    success: Slot,
    expected: Slot,
}

impl CmpxchgResult {
    pub(crate) fn new(success: bool, expected: Bound<'_, PyAny>) -> Self {
        let py = expected.py();
        let success = PyBool::new(py, success).to_owned().into_any().unbind();
        CmpxchgResult { success: Slot::new(success), expected: Slot::new(expected.unbind()) }
    }
}

#[pymethods]
impl CmpxchgResult {
    #[new]
    #[pyo3(signature = (success, expected))]
    fn py_new(success: Py<PyAny>, expected: Py<PyAny>) -> Self {
        CmpxchgResult { success: Slot::new(success), expected: Slot::new(expected) }
    }

    /// Whether the exchange happened.
    #[getter]
    fn success(&self, py: Python<'_>) -> Py<PyAny> {
        self.success.get(py)
    }

    #[setter]
    fn set_success(&self, value: Py<PyAny>) {
        self.success.set(value)
    }

    /// The value passed in (on success) or found in memory (on failure).
    #[getter]
    fn expected(&self, py: Python<'_>) -> Py<PyAny> {
        self.expected.get(py)
    }

    #[setter]
    fn set_expected(&self, value: Py<PyAny>) {
        self.expected.set(value)
    }

    fn __bool__(&self, py: Python<'_>) -> PyResult<bool> {
        let success = self.success.get(py).into_bound(py);
        match success.cast::<PyBool>() {
            Ok(b) => Ok(b.is_true()),
            Err(_) => Err(PyTypeError::new_err(format!(
                "__bool__ should return bool, returned {}",
                success.get_type().name()?
            ))),
        }
    }

    fn __iter__<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        Ok(PyTuple::new(py, [self.success.get(py), self.expected.get(py)])?.try_iter()?.into_any())
    }

    fn __repr__(slf: &Bound<'_, Self>) -> PyResult<String> {
        let py = slf.py();
        let this = slf.get();
        Ok(format!(
            "{}(success={}, expected={})",
            slf.get_type().name()?,
            this.success.get(py).bind(py).str()?,
            this.expected.get(py).bind(py).str()?
        ))
    }

    /// `CmpxchgResult[int]`, `CmpxchgResult[bytes]`: a generic alias, as for `typing.Generic`.
    #[classmethod]
    fn __class_getitem__<'py>(cls: &Bound<'py, PyType>, item: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyAny>> {
        let py = cls.py();
        py.import("types")?.getattr("GenericAlias")?.call1((cls, item))
    }
}
