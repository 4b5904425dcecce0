//! `AtomicViewContextBase`, the native base of the view contexts that
//! `atomicview(buffer, atype)` returns: it exports the buffer once (an `AtomicCore`), makes
//! the view over it, hands the view out on `__enter__` and releases the buffer on `__exit__`
//! or `release()`. The Python subclasses (`atomics.ctx`) keep the 1.0 names and keyword
//! constructors and name their view class (`_view_class`); everything a `with` statement
//! runs is here, in one native call each, and so is `atomicview()`'s making of a context
//! ([`new_view_context`]).

use std::sync::{Mutex, MutexGuard};

use pyo3::exceptions::PyValueError;
use pyo3::intern;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyTuple, PyType};

use crate::atomic::{class_flags, uninitialised, AtomicBase, AtomicCore};

/// Where a context is in its life: what it made, and which of enter, exit and release came.
#[derive(Default)]
struct State {
    made: Option<(Py<AtomicCore>, Py<AtomicBase>)>,
    entered: bool,
    exited: bool,
    released: bool,
}

#[pyclass(module = "atomics._native", name = "AtomicViewContextBase", subclass, frozen)]
pub(crate) struct ViewContextBase {
    state: Mutex<State>,
}

impl ViewContextBase {
    fn state(&self) -> MutexGuard<'_, State> {
        // A panic while the lock was held left the flags consistent (each is set alone).
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Updates the state with `change` (under the lock), then releases the memory `_init`
    /// exported, if any (without the lock: a release waits for the operations in flight).
    fn release_after(&self, py: Python<'_>, change: impl FnOnce(&mut State) -> PyResult<()>) -> PyResult<()> {
        let core = {
            let mut state = self.state();
            change(&mut state)?;
            state.made.as_ref().map(|(core, _)| core.clone_ref(py))
        };
        if let Some(core) = core {
            core.get().release(py);
        }
        Ok(())
    }
}

fn reinit_error() -> PyErr {
    PyValueError::new_err("AtomicViewContext object cannot be re-initialised.")
}

#[pymethods]
impl ViewContextBase {
    /// An empty context; the Python subclass's `__init__` gives it its buffer (`_init`).
    #[new]
    #[pyo3(signature = (*_args, **_kwargs))]
    fn new(_args: &Bound<'_, PyTuple>, _kwargs: Option<&Bound<'_, PyDict>>) -> Self {
        ViewContextBase { state: Mutex::new(State::default()) }
    }

    /// Exports `buffer` and makes the view (of the class's `_view_class`) over it now, so that
    /// a buffer the view refuses (a float view of other than 4 or 8 bytes) is refused here, and
    /// released at once, rather than by `__enter__`.
    fn _init(
        slf: &Bound<'_, Self>,
        buffer: &Bound<'_, PyAny>,
        is_integral: &Bound<'_, PyAny>,
        is_signed: &Bound<'_, PyAny>,
    ) -> PyResult<()> {
        let py = slf.py();
        if slf.get().state().made.is_some() {
            return Err(reinit_error());
        }
        let core = Bound::new(py, AtomicCore::new(buffer, is_integral, is_signed.clone().unbind())?)?;
        let made = (|| {
            let class = slf.get_type().getattr(intern!(py, "_view_class"))?;
            let view = uninitialised(class.cast::<PyType>()?)?.cast_into::<AtomicBase>()?;
            AtomicBase::_init_view(&view, core.as_any())?;
            let mut state = slf.get().state();
            if state.made.is_some() {
                return Err(reinit_error()); // another thread's `_init` came first
            }
            state.made = Some((core.clone().unbind(), view.unbind()));
            Ok(())
        })();
        if made.is_err() {
            core.get().release(py);
        }
        made
    }

    /// The exported memory (None before `_init`), as in atomics 1.0.
    #[getter]
    fn _core(&self, py: Python<'_>) -> Option<Py<AtomicCore>> {
        self.state().made.as_ref().map(|(core, _)| core.clone_ref(py))
    }

    /// The view, once: a context opens only once, and never after `release()`.
    fn __enter__(&self, py: Python<'_>) -> PyResult<Py<AtomicBase>> {
        let mut state = self.state();
        if state.entered {
            return Err(PyValueError::new_err("Cannot open context multiple times."));
        }
        if state.released {
            return Err(PyValueError::new_err("Cannot open context after calling 'release'."));
        }
        let Some((_, view)) = &state.made else {
            return Err(PyValueError::new_err("AtomicViewContext object was never initialised."));
        };
        let view = view.clone_ref(py);
        state.entered = true;
        Ok(view)
    }

    /// Releases the buffer, for the view and every copy of it.
    #[pyo3(signature = (exc_type, exc_val, exc_tb))]
    fn __exit__(
        &self,
        py: Python<'_>,
        exc_type: &Bound<'_, PyAny>,
        exc_val: &Bound<'_, PyAny>,
        exc_tb: &Bound<'_, PyAny>,
    ) -> PyResult<()> {
        let _ = (exc_type, exc_val, exc_tb);
        self.release_after(py, |state| {
            state.exited = true;
            state.released = true;
            Ok(())
        })
    }

    /// Releases the buffer now (for every view of this context). Not while open.
    fn release(&self, py: Python<'_>) -> PyResult<()> {
        self.release_after(py, |state| {
            if state.entered && !state.exited {
                return Err(PyValueError::new_err("Cannot call 'release' while context is open."));
            }
            state.released = true;
            Ok(())
        })
    }
}

/// A context of class `cls` over `buffer`: what `cls(buffer=buffer)` makes, in one native call
/// (`atomicview()` for the atypes that take no keywords); its `__init__` does not run (see
/// `class_flags`).
#[pyfunction]
pub(crate) fn new_view_context<'py>(
    cls: &Bound<'py, PyType>,
    buffer: &Bound<'py, PyAny>,
) -> PyResult<Bound<'py, ViewContextBase>> {
    let (is_integral, is_signed) = class_flags(cls)?;
    let context = uninitialised(cls)?.cast_into::<ViewContextBase>()?;
    ViewContextBase::_init(&context, buffer, &is_integral, &is_signed)?;
    Ok(context)
}
