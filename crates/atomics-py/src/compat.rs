//! The uses of the C API that differ between the CPython versions and builds the binding
//! supports (3.9 to 3.15, with the GIL or free-threaded), all in one place: every other C-API
//! call in the binding means the same on all of them. (The free-threaded build's other
//! difference, how memory is kept alive while an operation uses it, is `guard.rs`.)
//!
//! Checked against each version: built and tested on 3.9-3.15 and free-threaded 3.13t;
//! type-checked for free-threaded 3.14t and 3.15t (`tools/test.sh`).

use std::sync::atomic::{AtomicPtr, Ordering};

use pyo3::ffi;

/// A new strong reference to `object`: `Py_NewRef`, a function from 3.10 on (PyO3's
/// `compat` spells it out on 3.9).
///
/// # Safety
/// `object` is a valid object and the thread is attached.
#[inline(always)]
pub(crate) unsafe fn new_ref(object: *mut ffi::PyObject) -> *mut ffi::PyObject {
    // SAFETY: guaranteed by the caller.
    unsafe { ffi::compat::Py_NewRef(object) }
}

/// The object pointer in an object member field (`Py_T_OBJECT_EX`), read without taking a
/// reference, for comparing only. With the GIL, CPython's member descriptor writes the field
/// under the GIL, which the reader holds too; free-threaded (3.13t on), it writes with a release
/// store inside the object's critical section, which this acquire load pairs with. The
/// pointer must not be dereferenced: the object may be dropped as soon as it is replaced.
///
/// # Safety
/// `field` points to an object member field of a live object, and the thread is attached.
#[inline(always)]
pub(crate) unsafe fn peek_object_member(field: *mut *mut ffi::PyObject) -> *mut ffi::PyObject {
    // SAFETY: the field is a pointer-sized, aligned word of a live object that every writer
    // stores atomically (free-threaded) or under the GIL this thread holds.
    unsafe { AtomicPtr::from_ptr(field) }.load(Ordering::Acquire)
}

/// Whether the type of `object` converts to a float (`nb_float`) or an index (`nb_index`).
/// Read from the type object itself: `PyType_GetSlot` refuses static types (numpy's scalar
/// types among them) before 3.10.
///
/// # Safety
/// `object` is a valid object and the thread is attached.
#[inline(always)]
pub(crate) unsafe fn has_float_or_index(object: *mut ffi::PyObject) -> bool {
    // SAFETY: a live object's type is a live type object; `tp_as_number` is NULL or points to
    // its number slots.
    unsafe {
        let number = (*ffi::Py_TYPE(object)).tp_as_number;
        !number.is_null() && ((*number).nb_float.is_some() || (*number).nb_index.is_some())
    }
}
