//! `Alignment`: the alignment rules of a width, and checks of buffers against them.

use atomics_core::Width;
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;

use crate::convert;
use crate::errors::unsupported_width;
use crate::memory::buffer_extent;

/// The alignment an address must have for atomic operations of `width` bytes: `recommended`
/// is the width itself (natural alignment); `minimum` and `size_within` keep the values
/// `atomics` 1.0 reports (1 and 0), and no constructor uses them.
#[pyclass(module = "atomics", name = "Alignment", subclass)]
pub(crate) struct Alignment {
    #[pyo3(get, set)]
    width: Py<PyAny>,
    #[pyo3(get, set)]
    recommended: Py<PyAny>,
    #[pyo3(get, set)]
    minimum: Py<PyAny>,
    #[pyo3(get, set)]
    size_within: Py<PyAny>,
}

#[pymethods]
impl Alignment {
    #[new]
    fn new(py: Python<'_>, width: &Bound<'_, PyAny>) -> PyResult<Self> {
        let bytes = convert::width(width)?;
        let checked = Width::supported(bytes).ok_or_else(|| unsupported_width(py, bytes))?;
        let int = |n: usize| n.into_pyobject(py).map(|i| i.into_any().unbind());
        Ok(Alignment {
            width: int(bytes)?,
            recommended: int(checked.alignment())?,
            minimum: int(1)?,
            size_within: int(0)?,
        })
    }

    /// Whether `buffer`'s address meets the recommended (or, with
    /// `using_recommended=False`, the minimum) alignment. Raises `ValueError` when the buffer
    /// is not exactly `width` bytes.
    #[pyo3(signature = (buffer, *, using_recommended = true))]
    fn is_valid(&self, py: Python<'_>, buffer: &Bound<'_, PyAny>, using_recommended: bool) -> PyResult<bool> {
        let (address, len) = buffer_extent(buffer, "Positional argument")?;
        let width: usize = self.width.extract(py)?;
        if len != width {
            return Err(PyValueError::new_err(format!(
                "Positional argument 'buffer' does not have matching width of {width}."
            )));
        }
        if using_recommended {
            let recommended: usize = self.recommended.extract(py)?;
            Ok(recommended != 0 && address % recommended == 0)
        } else {
            let minimum: usize = self.minimum.extract(py)?;
            let size_within: usize = self.size_within.extract(py)?;
            Ok(minimum != 0
                && address % minimum == 0
                && (size_within == 0 || address % size_within + width <= size_within))
        }
    }

    /// `is_valid(buffer, using_recommended=True)`.
    fn is_valid_recommended(&self, py: Python<'_>, buffer: &Bound<'_, PyAny>) -> PyResult<bool> {
        self.is_valid(py, buffer, true)
    }

    /// `is_valid(buffer, using_recommended=False)`.
    fn is_valid_minimum(&self, py: Python<'_>, buffer: &Bound<'_, PyAny>) -> PyResult<bool> {
        self.is_valid(py, buffer, false)
    }

    fn __str__(&self, py: Python<'_>) -> PyResult<String> {
        Ok(format!(
            "Alignment(width={}, recommended={}, minimum={}, size_within={})",
            self.width.bind(py).str()?,
            self.recommended.bind(py).str()?,
            self.minimum.bind(py).str()?,
            self.size_within.bind(py).str()?
        ))
    }
}
