//! `Alignment`: the alignment rules of a width, and checks of buffers against them.

use atomics_core::Width;
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;

use crate::buffer::buffer_extent;
use crate::convert;
use crate::errors::unsupported_width;
use crate::slot::Slot;

/// The alignment an address must have for atomic operations of `width` bytes: `recommended`
/// is the width itself (natural alignment); `minimum` and `size_within` keep the values
/// `atomics` 1.0 reports (1 and 0), and no constructor uses them.
#[pyclass(module = "atomics", name = "Alignment", subclass, frozen)]
pub(crate) struct Alignment {
    width: Slot,
    recommended: Slot,
    minimum: Slot,
    size_within: Slot,
}

#[pymethods]
impl Alignment {
    #[new]
    fn new(py: Python<'_>, width: &Bound<'_, PyAny>) -> PyResult<Self> {
        let bytes = convert::width(width)?;
        let checked = Width::supported(bytes).ok_or_else(|| unsupported_width(py, bytes))?;
        let int = |n: usize| n.into_pyobject(py).map(|i| i.into_any().unbind());
        Ok(Alignment {
            width: Slot::new(int(bytes)?),
            recommended: Slot::new(int(checked.alignment())?),
            minimum: Slot::new(int(1)?),
            size_within: Slot::new(int(0)?),
        })
    }

    /// The width in bytes.
    #[getter]
    fn width(&self, py: Python<'_>) -> Py<PyAny> {
        self.width.get(py)
    }

    #[setter]
    fn set_width(&self, value: Py<PyAny>) {
        self.width.set(value)
    }

    /// The alignment constructors require: the width itself.
    #[getter]
    fn recommended(&self, py: Python<'_>) -> Py<PyAny> {
        self.recommended.get(py)
    }

    #[setter]
    fn set_recommended(&self, value: Py<PyAny>) {
        self.recommended.set(value)
    }

    /// 1, as `atomics` 1.0 reports it.
    #[getter]
    fn minimum(&self, py: Python<'_>) -> Py<PyAny> {
        self.minimum.get(py)
    }

    #[setter]
    fn set_minimum(&self, value: Py<PyAny>) {
        self.minimum.set(value)
    }

    /// 0, as `atomics` 1.0 reports it.
    #[getter]
    fn size_within(&self, py: Python<'_>) -> Py<PyAny> {
        self.size_within.get(py)
    }

    #[setter]
    fn set_size_within(&self, value: Py<PyAny>) {
        self.size_within.set(value)
    }

    /// Whether `buffer`'s address meets the recommended (or, with
    /// `using_recommended=False`, the minimum) alignment. Raises `ValueError` when the buffer
    /// is not exactly `width` bytes.
    #[pyo3(signature = (buffer, *, using_recommended = true))]
    fn is_valid(&self, py: Python<'_>, buffer: &Bound<'_, PyAny>, using_recommended: bool) -> PyResult<bool> {
        let (address, len) = buffer_extent(buffer, "Positional argument")?;
        let width: usize = self.width.get(py).extract(py)?;
        if len != width {
            return Err(PyValueError::new_err(format!(
                "Positional argument 'buffer' does not have matching width of {width}."
            )));
        }
        if using_recommended {
            let recommended: usize = self.recommended.get(py).extract(py)?;
            Ok(recommended != 0 && address % recommended == 0)
        } else {
            let minimum: usize = self.minimum.get(py).extract(py)?;
            let size_within: usize = self.size_within.get(py).extract(py)?;
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
            self.width.get(py).bind(py).str()?,
            self.recommended.get(py).bind(py).str()?,
            self.minimum.get(py).bind(py).str()?,
            self.size_within.get(py).bind(py).str()?
        ))
    }
}
