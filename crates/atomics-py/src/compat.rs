//! The uses of the C API that differ between the CPython versions and builds the binding
//! supports (3.9 to 3.15, with the GIL or free-threaded), all in one place: every other C-API
//! call in the binding means the same on all of them. (The free-threaded build's other
//! difference, how memory is kept alive while an operation uses it, is `guard.rs`.)
//!
//! Checked against each version: built and tested on 3.9-3.15 and free-threaded 3.13t;
//! type-checked for free-threaded 3.14t and 3.15t (`tools/test.sh`).

use std::mem::size_of;
use std::sync::atomic::{AtomicBool, AtomicPtr, Ordering};

use pyo3::ffi;
use pyo3::prelude::*;

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

/// Whether ints are stored as 30-bit digits in 32-bit words (`sys.int_info`), the layout that
/// [`int_value_of_two_digits`] reads. Every 64-bit build and every build from 3.11 on has it;
/// a 32-bit 3.9 or 3.10 may have 15-bit digits. Set once, when the module is made.
static THIRTY_BIT_DIGITS: AtomicBool = AtomicBool::new(false);

/// Looks up the layout of ints (see [`THIRTY_BIT_DIGITS`]).
pub(crate) fn init(py: Python<'_>) -> PyResult<()> {
    let info = py.import("sys")?.getattr("int_info")?;
    let bits: u32 = info.getattr("bits_per_digit")?.extract()?;
    let size: usize = info.getattr("sizeof_digit")?.extract()?;
    THIRTY_BIT_DIGITS.store(bits == 30 && size == size_of::<u32>(), Ordering::Relaxed);
    Ok(())
}

/// The value of `int` when it is 0 or a positive int of one digit (below 2**30), such as a
/// `MemoryOrder`, read from its layout (see [`int_value_of_two_digits`]); `None` otherwise.
///
/// # Safety
/// As for [`int_value_of_two_digits`].
#[inline(always)]
pub(crate) unsafe fn int_value_of_one_digit(int: *mut ffi::PyObject) -> Option<u32> {
    if !THIRTY_BIT_DIGITS.load(Ordering::Relaxed) {
        return None;
    }
    // The word before the digits of 0 and of one positive digit: `ob_size` up to 3.11; from
    // 3.12 on the tag, its bit 2 cleared (3.14 sets it on the cached small ints): zero's sign
    // is 1, a positive one's 0, the digits counted from bit 3.
    #[cfg(not(Py_3_12))]
    const ZERO_AND_ONE_DIGIT: (isize, isize, isize) = (0, 1, 0);
    #[cfg(Py_3_12)]
    const ZERO_AND_ONE_DIGIT: (isize, isize, isize) = (1, 1 << 3, 1 << 2);
    const ZERO: isize = ZERO_AND_ONE_DIGIT.0;
    const ONE_DIGIT: isize = ZERO_AND_ONE_DIGIT.1;
    const IGNORED: isize = ZERO_AND_ONE_DIGIT.2;
    // SAFETY: an int object is its object header, one word, then at least one digit (CPython
    // always allocates one).
    unsafe {
        let word_at = int.cast::<u8>().add(size_of::<ffi::PyObject>());
        match word_at.cast::<isize>().read() & !IGNORED {
            ZERO => Some(0),
            ONE_DIGIT => Some(word_at.add(size_of::<isize>()).cast::<u32>().read()),
            _ => None,
        }
    }
}

/// The value of `int` when it has at most two digits (|value| < 2**60), read from its digits;
/// `None` for larger ones, which the caller converts through the C API.
///
/// `PyLong_AsLongLongAndOverflow` converts one-digit ints at once but loops over the digits of
/// others, which costs a compare-exchange of two such values more than the exchange itself.
/// The layout read here is CPython's (`cpython/longintrepr.h`), the same from 3.9 to 3.15 but
/// for the word before the digits: up to 3.11 the signed number of digits (`ob_size`), from
/// 3.12 on a tag holding the number of digits above three bits of flags and the sign in the
/// lowest two (0 positive, 1 zero, 2 negative).
///
/// # Safety
/// `int` is an exact or derived `int` (its layout is `PyLongObject`'s) and the thread is
/// attached.
#[inline(always)]
pub(crate) unsafe fn int_value_of_two_digits(int: *mut ffi::PyObject) -> Option<i64> {
    if !THIRTY_BIT_DIGITS.load(Ordering::Relaxed) {
        return None;
    }
    // SAFETY: an int object is its object header, one word, then at least one digit (CPython
    // always allocates one); the second is read only when the word says there are two.
    unsafe {
        let word_at = int.cast::<u8>().add(size_of::<ffi::PyObject>());
        let word = word_at.cast::<isize>().read();
        let digits = word_at.add(size_of::<isize>()).cast::<u32>();
        #[cfg(not(Py_3_12))]
        let (count, negative) = (word.unsigned_abs(), word < 0);
        #[cfg(Py_3_12)]
        let (count, negative) = ((word as usize) >> 3, word & 3 == 2);
        let magnitude = match count {
            0 => 0,
            1 => i64::from(digits.read()),
            2 => i64::from(digits.read()) | i64::from(digits.add(1).read()) << 30,
            _ => return None,
        };
        Some(if negative { -magnitude } else { magnitude })
    }
}
