//! Architectures without a 16-byte atomic known to this crate: width 16 is unsupported, never
//! emulated with a lock.

pub(crate) fn has_cas16() -> bool {
    false
}

pub(crate) fn has_load16() -> bool {
    false
}

pub(crate) fn has_store16() -> bool {
    false
}

/// Never called: [`has_cas16`] is false.
///
/// # Safety
/// Must not be called.
pub(crate) unsafe fn cas16(_ptr: *mut u8, _old: u128, _new: u128) -> Result<u128, u128> {
    unreachable!("no 16-byte compare-exchange on this architecture")
}

/// Never called: [`has_load16`] is false.
///
/// # Safety
/// Must not be called.
pub(crate) unsafe fn load16(_ptr: *const u8) -> u128 {
    unreachable!("no 16-byte load on this architecture")
}

/// Never called: [`has_store16`] is false.
///
/// # Safety
/// Must not be called.
pub(crate) unsafe fn store16(_ptr: *mut u8, _value: u128) {
    unreachable!("no 16-byte store on this architecture")
}
