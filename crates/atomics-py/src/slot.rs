//! A writable attribute of a frozen pyclass.

use std::sync::Mutex;

use pyo3::prelude::*;

/// A writable attribute of a frozen class: the value behind a lock, so that threads may set
/// and read it concurrently. The old value is dropped after the lock is given back (its
/// `__del__` may read the attribute again).
pub(crate) struct Slot(Mutex<Py<PyAny>>);

impl Slot {
    pub(crate) fn new(value: Py<PyAny>) -> Self {
        Slot(Mutex::new(value))
    }

    pub(crate) fn get(&self, py: Python<'_>) -> Py<PyAny> {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).clone_ref(py)
    }

    pub(crate) fn set(&self, value: Py<PyAny>) {
        let old = std::mem::replace(&mut *self.0.lock().unwrap_or_else(|e| e.into_inner()), value);
        drop(old);
    }
}
