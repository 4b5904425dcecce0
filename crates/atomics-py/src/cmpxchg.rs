//! `CmpxchgResult`: what a compare-exchange returns. Native so that returning one costs no
//! Python frame.

use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyTuple, PyType};

/// The outcome of a compare-exchange: `success`, and `expected`, the value passed in on
/// success or the value found in memory on failure. True when it succeeded; unpacks as
/// `(success, expected)`.
#[pyclass(module = "atomics", name = "CmpxchgResult", subclass)]
pub(crate) struct CmpxchgResult {
    #[pyo3(get, set)]
    success: Py<PyAny>,
    #[pyo3(get, set)]
    expected: Py<PyAny>,
}

impl CmpxchgResult {
    pub(crate) fn new(success: bool, expected: Bound<'_, PyAny>) -> Self {
        let py = expected.py();
        CmpxchgResult { success: PyBool::new(py, success).to_owned().into_any().unbind(), expected: expected.unbind() }
    }
}

#[pymethods]
impl CmpxchgResult {
    #[new]
    #[pyo3(signature = (success, expected))]
    fn py_new(success: Py<PyAny>, expected: Py<PyAny>) -> Self {
        CmpxchgResult { success, expected }
    }

    fn __bool__(&self, py: Python<'_>) -> PyResult<bool> {
        let success = self.success.bind(py);
        match success.cast::<PyBool>() {
            Ok(b) => Ok(b.is_true()),
            Err(_) => Err(PyTypeError::new_err(format!(
                "__bool__ should return bool, returned {}",
                success.get_type().name()?
            ))),
        }
    }

    fn __iter__<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        Ok(PyTuple::new(py, [self.success.clone_ref(py), self.expected.clone_ref(py)])?.try_iter()?.into_any())
    }

    fn __repr__(slf: &Bound<'_, Self>) -> PyResult<String> {
        let this = slf.borrow();
        let py = slf.py();
        Ok(format!(
            "{}(success={}, expected={})",
            slf.get_type().name()?,
            this.success.bind(py).str()?,
            this.expected.bind(py).str()?
        ))
    }

    /// `CmpxchgResult[int]`, `CmpxchgResult[bytes]`: a generic alias, as for `typing.Generic`.
    #[classmethod]
    fn __class_getitem__<'py>(cls: &Bound<'py, PyType>, item: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyAny>> {
        let py = cls.py();
        py.import("types")?.getattr("GenericAlias")?.call1((cls, item))
    }
}
