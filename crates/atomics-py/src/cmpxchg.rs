//! `CmpxchgResult`: what a compare-exchange returns.
//!
//! Written against the C API rather than with `#[pyclass]`, because every compare-exchange
//! makes one and drops it: PyO3's allocation, initialisation and deallocation trampolines cost
//! about 300 instructions per result, three times the compare-exchange itself. Here a result
//! is one `PyObject_Malloc` and two stored references, and its deallocation two decrefs and a
//! free.
//!
//! The attributes are plain member descriptors (`Py_T_OBJECT_EX`), writable and deletable as
//! the attributes of 1.0's class were; CPython makes their reads and writes safe between
//! threads on free-threaded builds. The class may be subclassed, pickles and copies as
//! `CmpxchgResult(success, expected)`, and `CmpxchgResult[int]` is a generic alias.

use std::ffi::{c_char, c_int, c_void, CStr};
use std::mem::{offset_of, size_of};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::ptr::{null, null_mut};
use std::sync::atomic::{AtomicPtr, Ordering};

use pyo3::ffi;
use pyo3::prelude::*;

use crate::compat::{new_ref, peek_object_member};
use crate::errors::panic_error;

/// The object's memory: the header, then the two attributes (strong references, or NULL once
/// deleted).
#[repr(C)]
struct ResultObject {
    header: ffi::PyObject,
    success: *mut ffi::PyObject,
    expected: *mut ffi::PyObject,
}

/// The type, made once when the module is initialised (it lives as long as the process:
/// `TYPE` keeps one reference).
static TYPE: AtomicPtr<ffi::PyTypeObject> = AtomicPtr::new(null_mut());

/// The type's spec (see `create_spec`), never freed.
static SPEC: AtomicPtr<ffi::PyType_Spec> = AtomicPtr::new(null_mut());

const DOC: &CStr = c"CmpxchgResult(success, expected)
--

The outcome of a compare-exchange: `success`, and `expected`, the value passed in on
success or the value found in memory on failure. True when it succeeded; unpacks as
`(success, expected)`.";

/// Makes the type and adds it to module `m` as `CmpxchgResult`.
pub(crate) fn add_type(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = m.py();
    let tp = TYPE.load(Ordering::Acquire);
    let tp = if tp.is_null() { create_type(py)? } else { tp };
    // SAFETY: `tp` is a live type object (TYPE holds a reference); the new reference is owned.
    let object = unsafe { Bound::from_borrowed_ptr(py, tp.cast()) };
    m.add("CmpxchgResult", object)
}

fn create_type(py: Python<'_>) -> PyResult<*mut ffi::PyTypeObject> {
    let spec = match SPEC.load(Ordering::Acquire) {
        spec if spec.is_null() => create_spec(),
        spec => spec,
    };
    // SAFETY: `spec` and everything it points to is valid and lives forever.
    let tp = unsafe { ffi::PyType_FromSpec(spec) };
    if tp.is_null() {
        return Err(PyErr::fetch(py));
    }
    TYPE.store(tp.cast(), Ordering::Release);
    Ok(tp.cast())
}

/// The type's spec, made once per process (and kept in `SPEC`, where leak checkers see it:
/// nothing else refers to it once the type is made).
fn create_spec() -> *mut ffi::PyType_Spec {
    // The members, methods, slots and spec must outlive the type (CPython 3.9-3.11 keep
    // pointers into them): they are made once per process and never freed.
    let member = |name: &'static CStr, offset: usize, doc: &'static CStr| ffi::PyMemberDef {
        name: name.as_ptr(),
        type_code: ffi::Py_T_OBJECT_EX,
        offset: offset as ffi::Py_ssize_t,
        flags: 0,
        doc: doc.as_ptr(),
    };
    let members: &'static mut [ffi::PyMemberDef] = Box::leak(Box::new([
        member(c"success", offset_of!(ResultObject, success), c"Whether the exchange happened."),
        member(
            c"expected",
            offset_of!(ResultObject, expected),
            c"The value passed in (on success) or found in memory (on failure).",
        ),
        // SAFETY: an all-zero PyMemberDef is the sentinel that ends the array.
        unsafe { std::mem::zeroed() },
    ]));
    let methods: &'static mut [ffi::PyMethodDef] = Box::leak(Box::new([
        ffi::PyMethodDef {
            ml_name: c"__class_getitem__".as_ptr(),
            ml_meth: ffi::PyMethodDefPointer { PyCFunction: class_getitem },
            ml_flags: ffi::METH_O | ffi::METH_CLASS,
            ml_doc: c"`CmpxchgResult[int]`, `CmpxchgResult[bytes]`: a generic alias.".as_ptr(),
        },
        ffi::PyMethodDef {
            ml_name: c"__reduce__".as_ptr(),
            ml_meth: ffi::PyMethodDefPointer { PyCFunction: reduce },
            ml_flags: ffi::METH_NOARGS,
            ml_doc: c"Pickles and copies as `CmpxchgResult(success, expected)`.".as_ptr(),
        },
        // SAFETY: an all-zero PyMethodDef is the sentinel that ends the array.
        unsafe { std::mem::zeroed() },
    ]));
    let slot = |slot: c_int, pfunc: *mut c_void| ffi::PyType_Slot { slot, pfunc };
    let slots: &'static mut [ffi::PyType_Slot] = Box::leak(Box::new([
        slot(ffi::Py_tp_doc, DOC.as_ptr() as *mut c_void),
        slot(ffi::Py_tp_new, tp_new as *mut c_void),
        slot(ffi::Py_tp_dealloc, tp_dealloc as *mut c_void),
        slot(ffi::Py_tp_repr, tp_repr as *mut c_void),
        slot(ffi::Py_tp_iter, tp_iter as *mut c_void),
        slot(ffi::Py_nb_bool, nb_bool as *mut c_void),
        slot(ffi::Py_tp_members, members.as_mut_ptr().cast()),
        slot(ffi::Py_tp_methods, methods.as_mut_ptr().cast()),
        slot(0, null_mut()),
    ]));
    let spec: &'static mut ffi::PyType_Spec = Box::leak(Box::new(ffi::PyType_Spec {
        name: c"atomics.CmpxchgResult".as_ptr(),
        basicsize: size_of::<ResultObject>() as c_int,
        itemsize: 0,
        flags: (ffi::Py_TPFLAGS_DEFAULT | ffi::Py_TPFLAGS_BASETYPE) as _,
        slots: slots.as_mut_ptr(),
    }));
    SPEC.store(spec, Ordering::Release);
    spec
}

/// A new `CmpxchgResult(success, expected)`: the fast path of every compare-exchange.
#[inline]
pub(crate) fn new_result<'py>(success: bool, expected: Bound<'py, PyAny>) -> PyResult<Bound<'py, PyAny>> {
    let py = expected.py();
    // SAFETY: `expected` is a new reference, which the result takes.
    let object = unsafe { new_result_object(success, expected.into_ptr()) };
    // SAFETY: a new reference, or NULL with an exception set.
    unsafe { Bound::from_owned_ptr_or_err(py, object) }
}

/// [`new_result`] for callers of the C API: takes the reference `expected`; returns a new
/// reference, or NULL with `MemoryError` set (having dropped `expected`).
///
/// # Safety
/// `expected` is an owned reference to a valid object; the thread is attached.
#[inline(always)]
pub(crate) unsafe fn new_result_object(success: bool, expected: *mut ffi::PyObject) -> *mut ffi::PyObject {
    let tp = TYPE.load(Ordering::Acquire);
    if tp.is_null() {
        // SAFETY: `expected` is owned; the error indicator is set with the thread attached.
        unsafe {
            ffi::Py_DECREF(expected);
            ffi::PyErr_SetString(
                ffi::PyExc_SystemError,
                c"CmpxchgResult is made when the module is initialised".as_ptr(),
            );
        }
        return null_mut();
    }
    // SAFETY: `tp` is the live, exact type, whose instances are `ResultObject`s that are not
    // garbage-collected, so `PyObject_Malloc` (or a freed one's memory) + `PyObject_Init` is
    // how CPython itself makes one (`PyObject_Init` takes the reference to a heap type that
    // the instance holds). Both fields are set before the object is visible to anyone.
    unsafe {
        let mut object = free_list::take();
        if object.is_null() {
            object = ffi::PyObject_Malloc(size_of::<ResultObject>()).cast::<ResultObject>();
        }
        if object.is_null() {
            ffi::Py_DECREF(expected);
            return ffi::PyErr_NoMemory();
        }
        ffi::PyObject_Init(object.cast(), tp);
        let flag = if success { ffi::Py_True() } else { ffi::Py_False() };
        (*object).success = new_ref(flag);
        (*object).expected = expected;
        object.cast()
    }
}

/// `CmpxchgResult(success, expected)`, positional or by keyword, for this type or a subclass.
unsafe extern "C" fn tp_new(
    subtype: *mut ffi::PyTypeObject,
    args: *mut ffi::PyObject,
    kwargs: *mut ffi::PyObject,
) -> *mut ffi::PyObject {
    let mut keywords: [*const c_char; 3] = [c"success".as_ptr(), c"expected".as_ptr(), null()];
    let (mut success, mut expected) = (null_mut(), null_mut());
    // SAFETY: CPython passes a tuple and NULL or a dict; "OO" stores two borrowed references.
    let parsed = unsafe {
        ffi::PyArg_ParseTupleAndKeywords(
            args,
            kwargs,
            c"OO:CmpxchgResult".as_ptr(),
            keywords.as_mut_ptr().cast(),
            &mut success as *mut *mut ffi::PyObject,
            &mut expected as *mut *mut ffi::PyObject,
        )
    };
    if parsed == 0 {
        return null_mut();
    }
    // SAFETY: `subtype` is this type or a subclass, so its `tp_alloc` makes a zeroed object
    // at least as large as `ResultObject` (or returns NULL with an exception set).
    unsafe {
        let Some(alloc) = (*subtype).tp_alloc else { return null_mut() };
        let object = alloc(subtype, 0).cast::<ResultObject>();
        if !object.is_null() {
            (*object).success = new_ref(success);
            (*object).expected = new_ref(expected);
        }
        object.cast()
    }
}

unsafe extern "C" fn tp_dealloc(object: *mut ffi::PyObject) {
    // SAFETY: `object` is a `ResultObject` (or a subclass's instance, which starts with one)
    // whose last reference is gone. The fields are emptied before their objects are dropped,
    // since dropping one may run Python code; the memory goes back through the object's own
    // type, which gives up the reference its instances hold.
    unsafe {
        let tp = ffi::Py_TYPE(object);
        let this = object.cast::<ResultObject>();
        let success = std::mem::replace(&mut (*this).success, null_mut());
        let expected = std::mem::replace(&mut (*this).expected, null_mut());
        ffi::Py_XDECREF(success);
        ffi::Py_XDECREF(expected);
        let exact = tp == TYPE.load(Ordering::Relaxed);
        if !(exact && free_list::keep(this)) {
            if let Some(free) = (*tp).tp_free {
                free(object.cast());
            }
        }
        ffi::Py_DECREF(tp.cast());
    }
}

/// Freed results of the exact type, kept for the next ones, as CPython keeps freed floats
/// and tuples: a compare-exchange then costs no allocation. GIL builds only, where the GIL
/// orders every use of the list (results are made and freed only by attached threads, and
/// the module refuses subinterpreters, which could run under a GIL of their own).
/// Free-threaded builds allocate each result.
#[cfg(not(Py_GIL_DISABLED))]
mod free_list {
    use std::cell::UnsafeCell;
    use std::ptr::null_mut;

    use super::ResultObject;

    const CAPACITY: usize = 16;

    struct List {
        len: usize,
        items: [*mut ResultObject; CAPACITY],
    }

    struct Shared(UnsafeCell<List>);

    // SAFETY: the list is only used by threads holding the GIL (see the module comment).
    unsafe impl Sync for Shared {}

    static LIST: Shared = Shared(UnsafeCell::new(List { len: 0, items: [null_mut(); CAPACITY] }));

    /// The memory of a freed result (its fields stale, its reference count zero), or NULL.
    ///
    /// # Safety
    /// The GIL is held.
    #[inline(always)]
    pub(super) unsafe fn take() -> *mut ResultObject {
        // SAFETY: the GIL is held: no other use of the list runs meanwhile.
        let list = unsafe { &mut *LIST.0.get() };
        if list.len == 0 {
            return null_mut();
        }
        list.len -= 1;
        list.items[list.len]
    }

    /// Keeps `object`, a deallocated result of the exact type allocated by `PyObject_Malloc`,
    /// unless the list is full; false when the caller must free it.
    ///
    /// # Safety
    /// The GIL is held.
    #[inline(always)]
    pub(super) unsafe fn keep(object: *mut ResultObject) -> bool {
        // SAFETY: as for `take`.
        let list = unsafe { &mut *LIST.0.get() };
        if list.len == CAPACITY {
            return false;
        }
        list.items[list.len] = object;
        list.len += 1;
        true
    }
}

#[cfg(Py_GIL_DISABLED)]
mod free_list {
    use super::ResultObject;

    /// # Safety
    /// None (the signature of the GIL builds' list).
    #[inline(always)]
    pub(super) unsafe fn take() -> *mut ResultObject {
        std::ptr::null_mut()
    }

    /// # Safety
    /// None (as above).
    #[inline(always)]
    pub(super) unsafe fn keep(_object: *mut ResultObject) -> bool {
        false
    }
}

/// The object's `success` attribute (looked up through its type, so that a subclass may
/// override it, and read by CPython's member code, which is safe between threads).
fn success<'py>(object: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyAny>> {
    object.getattr(pyo3::intern!(object.py(), "success"))
}

/// The object's `expected` attribute, as for [`success`].
fn expected<'py>(object: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyAny>> {
    object.getattr(pyo3::intern!(object.py(), "expected"))
}

/// Runs `body` on the borrowed `object` inside a real attach (so that references and errors
/// dropped in it are released at once, not deferred), turning an error or a panic into
/// CPython's convention: the exception set, and `error` returned.
///
/// # Safety
/// `object` is a valid object, borrowed for the call.
unsafe fn with_object<T>(
    object: *mut ffi::PyObject,
    error: T,
    body: impl for<'py> FnOnce(&Bound<'py, PyAny>) -> PyResult<T>,
) -> T {
    Python::attach(|py| {
        // SAFETY: guaranteed by the caller.
        let object = unsafe { Bound::from_borrowed_ptr(py, object) };
        let result = catch_unwind(AssertUnwindSafe(|| body(&object))).unwrap_or_else(|panic| Err(panic_error(panic)));
        result.unwrap_or_else(|e| {
            e.restore(py);
            error
        })
    })
}

/// `__bool__`: `success`, which must be a bool, as 1.0's `__bool__` returned it.
unsafe extern "C" fn nb_bool(object: *mut ffi::PyObject) -> c_int {
    // SAFETY: CPython calls this slot with a live instance and the thread attached.
    unsafe {
        if ffi::Py_TYPE(object) == TYPE.load(Ordering::Relaxed) {
            // The exact type: compare the field with the two bools without taking a
            // reference (a pointer comparison reads no object).
            let success = peek_object_member(&raw mut (*object.cast::<ResultObject>()).success);
            if success == ffi::Py_True() {
                return 1;
            }
            if success == ffi::Py_False() {
                return 0;
            }
        }
        with_object(object, -1, |object| {
            let flag = success(object)?;
            match flag.cast::<pyo3::types::PyBool>() {
                Ok(b) => Ok(c_int::from(b.is_true())),
                Err(_) => Err(pyo3::exceptions::PyTypeError::new_err(format!(
                    "__bool__ should return bool, returned {}",
                    flag.get_type().name()?
                ))),
            }
        })
    }
}

/// `__iter__`: `success`, then `expected`.
unsafe extern "C" fn tp_iter(object: *mut ffi::PyObject) -> *mut ffi::PyObject {
    // SAFETY: CPython calls this slot with a live instance and the thread attached.
    unsafe {
        with_object(object, null_mut(), |object| {
            let pair = (success(object)?, expected(object)?);
            Ok(pair.into_pyobject(object.py())?.try_iter()?.into_ptr())
        })
    }
}

/// `__repr__` (and `str`): `CmpxchgResult(success=True, expected=99)`, the fields by `str()`
/// and the name of the object's own class.
unsafe extern "C" fn tp_repr(object: *mut ffi::PyObject) -> *mut ffi::PyObject {
    // SAFETY: CPython calls this slot with a live instance and the thread attached.
    unsafe {
        with_object(object, null_mut(), |object| {
            let text = format!(
                "{}(success={}, expected={})",
                object.get_type().name()?,
                success(object)?.str()?,
                expected(object)?.str()?
            );
            Ok(pyo3::types::PyString::new(object.py(), &text).into_ptr())
        })
    }
}

/// `__reduce__`: `(type(self), (success, expected))`.
unsafe extern "C" fn reduce(object: *mut ffi::PyObject, _unused: *mut ffi::PyObject) -> *mut ffi::PyObject {
    // SAFETY: CPython calls this method with a live instance and the thread attached.
    unsafe {
        with_object(object, null_mut(), |object| {
            let fields = (success(object)?, expected(object)?);
            Ok((object.get_type(), fields).into_pyobject(object.py())?.into_ptr())
        })
    }
}

/// `CmpxchgResult[item]`: a `types.GenericAlias`, as for a `typing.Generic` class.
unsafe extern "C" fn class_getitem(cls: *mut ffi::PyObject, item: *mut ffi::PyObject) -> *mut ffi::PyObject {
    // SAFETY: CPython passes the class and the subscript, both live.
    unsafe { ffi::Py_GenericAlias(cls, item) }
}
