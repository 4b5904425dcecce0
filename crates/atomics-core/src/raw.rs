//! Pointer-level atomic operations, one implementation per width.
//!
//! Everything here is `unsafe`: the caller guarantees what each function's `# Safety` lists.
//! The safe entry point is [`crate::Region`], which checks those guarantees once.
//!
//! Widths 1 to 8 use Rust's `AtomicU8`..`AtomicU64` through `from_ptr` (never a Rust
//! reference to the bytes: other threads, processes and Python code change them). Width 16
//! uses the architecture backend (`cmpxchg16b` on x86_64; `caspal` or `ldaxp`/`stlxp`, and
//! `ldp`/`stp` with FEAT_LSE2, on aarch64): every read-modify-write is a compare-exchange loop.

use core::sync::atomic::{AtomicU16, AtomicU32, AtomicU64, AtomicU8};

use crate::arch;
use crate::{MemoryOrder, Width};

/// A read-modify-write that hardware (or one CAS loop) performs atomically.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Rmw {
    Swap,
    Add,
    Sub,
    And,
    Or,
    Xor,
    /// Two's complement negation; the operand is ignored.
    Neg,
}

impl Rmw {
    fn apply(self, current: u128, operand: u128) -> u128 {
        match self {
            Rmw::Swap => operand,
            Rmw::Add => current.wrapping_add(operand),
            Rmw::Sub => current.wrapping_sub(operand),
            Rmw::And => current & operand,
            Rmw::Or => current | operand,
            Rmw::Xor => current ^ operand,
            Rmw::Neg => current.wrapping_neg(),
        }
    }
}

/// The operations of one width on raw pointers. Values travel as `u128` bit patterns whose
/// bits above the width are zero.
///
/// # Safety (for every function taking `ptr`)
/// - `ptr` is aligned to the width and valid for reads (and, for anything but `load`,
///   writes) of `WIDTH` bytes for the duration of the call;
/// - every concurrent access to those bytes is atomic and of the same width;
/// - for width 16, the CPU has the instruction the function needs (`arch::has_cas16`, or
///   `arch::has_load16` for a load that must not write).
pub(crate) trait Word {
    /// The width of this word.
    const WIDTH: Width;
    /// The width in bytes.
    const BYTES: usize = Self::WIDTH.bytes();

    unsafe fn load(ptr: *mut u8, order: MemoryOrder) -> u128;
    unsafe fn store(ptr: *mut u8, value: u128, order: MemoryOrder);
    unsafe fn compare_exchange(
        ptr: *mut u8,
        expected: u128,
        desired: u128,
        weak: bool,
        success: MemoryOrder,
        failure: MemoryOrder,
    ) -> Result<u128, u128>;
    /// Applies `rmw` with `operand`, returning the previous value.
    unsafe fn fetch(ptr: *mut u8, rmw: Rmw, operand: u128, order: MemoryOrder) -> u128;
    /// Replaces the value `v` by `f(v)` in a CAS loop until that succeeds (`Ok(previous)`) or
    /// `f` refuses (`Err(current)`, nothing written).
    unsafe fn update(ptr: *mut u8, order: MemoryOrder, f: impl FnMut(u128) -> Option<u128>) -> Result<u128, u128>;
}

macro_rules! native_word {
    ($name:ident, $atomic:ident, $int:ty, $width:ident) => {
        pub(crate) enum $name {}

        impl $name {
            /// # Safety
            /// As for [`Word`]: `ptr` is aligned, valid and only accessed atomically.
            #[inline(always)]
            unsafe fn atomic<'a>(ptr: *mut u8) -> &'a $atomic {
                debug_assert!(ptr as usize % core::mem::align_of::<$atomic>() == 0);
                // SAFETY: the caller guarantees alignment, validity and that every concurrent
                // access is atomic, which is what `from_ptr` requires.
                unsafe { $atomic::from_ptr(ptr.cast()) }
            }
        }

        impl Word for $name {
            const WIDTH: Width = Width::$width;

            #[inline(always)]
            unsafe fn load(ptr: *mut u8, order: MemoryOrder) -> u128 {
                // SAFETY: forwarded from the caller.
                u128::from(unsafe { Self::atomic(ptr) }.load(order.ordering()))
            }

            #[inline(always)]
            unsafe fn store(ptr: *mut u8, value: u128, order: MemoryOrder) {
                // SAFETY: forwarded from the caller.
                unsafe { Self::atomic(ptr) }.store(value as $int, order.ordering())
            }

            #[inline(always)]
            unsafe fn compare_exchange(
                ptr: *mut u8,
                expected: u128,
                desired: u128,
                weak: bool,
                success: MemoryOrder,
                failure: MemoryOrder,
            ) -> Result<u128, u128> {
                // SAFETY: forwarded from the caller.
                let atomic = unsafe { Self::atomic(ptr) };
                let (expected, desired) = (expected as $int, desired as $int);
                let (s, f) = (success.ordering(), failure.ordering());
                let result = if weak {
                    atomic.compare_exchange_weak(expected, desired, s, f)
                } else {
                    atomic.compare_exchange(expected, desired, s, f)
                };
                result.map(u128::from).map_err(u128::from)
            }

            #[inline(always)]
            unsafe fn fetch(ptr: *mut u8, rmw: Rmw, operand: u128, order: MemoryOrder) -> u128 {
                // SAFETY: forwarded from the caller.
                let atomic = unsafe { Self::atomic(ptr) };
                let (v, o) = (operand as $int, order.ordering());
                let previous = match rmw {
                    Rmw::Swap => atomic.swap(v, o),
                    Rmw::Add => atomic.fetch_add(v, o),
                    Rmw::Sub => atomic.fetch_sub(v, o),
                    Rmw::And => atomic.fetch_and(v, o),
                    Rmw::Or => atomic.fetch_or(v, o),
                    Rmw::Xor => atomic.fetch_xor(v, o),
                    Rmw::Neg => {
                        let load = order.cas_loop_load_order().ordering();
                        match atomic.fetch_update(o, load, |x| Some(x.wrapping_neg())) {
                            Ok(previous) | Err(previous) => previous,
                        }
                    }
                };
                u128::from(previous)
            }

            unsafe fn update(
                ptr: *mut u8,
                order: MemoryOrder,
                mut f: impl FnMut(u128) -> Option<u128>,
            ) -> Result<u128, u128> {
                // SAFETY: forwarded from the caller.
                let atomic = unsafe { Self::atomic(ptr) };
                let load = order.cas_loop_load_order().ordering();
                atomic
                    .fetch_update(order.ordering(), load, |x| f(u128::from(x)).map(|new| new as $int))
                    .map(u128::from)
                    .map_err(u128::from)
            }
        }
    };
}

native_word!(Word1, AtomicU8, u8, W1);
native_word!(Word2, AtomicU16, u16, W2);
native_word!(Word4, AtomicU32, u32, W4);
native_word!(Word8, AtomicU64, u64, W8);

/// 16 bytes through the architecture backend, whose every operation is sequentially
/// consistent, so every order is honoured by the strongest one.
pub(crate) enum Word16 {}

impl Word16 {
    /// The current value, read with a true load where the CPU has one and with a CAS that
    /// writes back what it found otherwise.
    ///
    /// # Safety
    /// As for [`Word`], and: unless `arch::has_load16()`, the memory must be writable (the
    /// fallback CAS writes). `Region::new` refuses read-only 16-byte regions on such CPUs.
    unsafe fn read(ptr: *mut u8) -> u128 {
        if arch::has_load16() {
            // SAFETY: checked above; alignment and validity forwarded from the caller.
            unsafe { arch::load16(ptr) }
        } else {
            // SAFETY: forwarded from the caller; a CAS of 0 by 0 never changes the value.
            match unsafe { arch::cas16(ptr, 0, 0) } {
                Ok(v) | Err(v) => v,
            }
        }
    }
}

impl Word for Word16 {
    const WIDTH: Width = Width::W16;

    unsafe fn load(ptr: *mut u8, _order: MemoryOrder) -> u128 {
        // SAFETY: forwarded from the caller.
        unsafe { Self::read(ptr) }
    }

    unsafe fn store(ptr: *mut u8, value: u128, order: MemoryOrder) {
        if arch::has_store16() {
            // SAFETY: checked above; alignment and validity forwarded from the caller.
            unsafe { arch::store16(ptr, value) }
        } else {
            // SAFETY: forwarded from the caller.
            unsafe { Self::fetch(ptr, Rmw::Swap, value, order) };
        }
    }

    unsafe fn compare_exchange(
        ptr: *mut u8,
        expected: u128,
        desired: u128,
        _weak: bool,
        _success: MemoryOrder,
        _failure: MemoryOrder,
    ) -> Result<u128, u128> {
        // SAFETY: forwarded from the caller.
        unsafe { arch::cas16(ptr, expected, desired) }
    }

    unsafe fn fetch(ptr: *mut u8, rmw: Rmw, operand: u128, order: MemoryOrder) -> u128 {
        // SAFETY: forwarded from the caller.
        match unsafe { Self::update(ptr, order, |current| Some(rmw.apply(current, operand))) } {
            Ok(previous) | Err(previous) => previous,
        }
    }

    unsafe fn update(ptr: *mut u8, _order: MemoryOrder, mut f: impl FnMut(u128) -> Option<u128>) -> Result<u128, u128> {
        // SAFETY: forwarded from the caller.
        let mut current = unsafe { Self::read(ptr) };
        loop {
            let Some(new) = f(current) else { return Err(current) };
            // SAFETY: forwarded from the caller.
            match unsafe { arch::cas16(ptr, current, new) } {
                Ok(previous) => return Ok(previous),
                Err(actual) => current = actual,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rmw_apply_wraps() {
        assert_eq!(Rmw::Add.apply(u128::MAX, 1), 0);
        assert_eq!(Rmw::Sub.apply(0, 1), u128::MAX);
        assert_eq!(Rmw::Neg.apply(1, 0), u128::MAX);
        assert_eq!(Rmw::Swap.apply(5, 7), 7);
    }
}
