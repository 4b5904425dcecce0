//! 16-byte atomics on x86_64.
//!
//! - Compare-exchange: `lock cmpxchg16b`, present on every x86_64 CPU made since about 2008 but
//!   not on the first ones, so detected at run time (CPUID). It is a full barrier, which gives
//!   every memory order, `SeqCst` included.
//! - Load without writing: `vmovdqa` of an aligned 16 bytes is atomic on Intel and AMD CPUs
//!   that have AVX (Intel SDM vol. 3A §9.1.1, AMD APM vol. 2 §7.3.2). On other CPUs only a
//!   `cmpxchg16b` reads 16 bytes atomically, and it writes, so read-only memory of width 16 is
//!   then refused. x86 loads are acquire loads and every 16-byte write here is a locked
//!   instruction, so a plain load is also a `SeqCst` load.
//! - Store: a `cmpxchg16b` loop (`has_store16` is false), so that every 16-byte write is a
//!   locked instruction, which the plain load above relies on for `SeqCst`.
//!
//! Register use follows taiki-e/portable-atomic's `src/imp/atomic128/x86_64.rs`: `rbx` is
//! reserved by LLVM, so the low half of the new value is swapped into it around the
//! instruction.

use core::arch::asm;
use core::arch::x86_64::{__cpuid, __m128i};
use std::sync::OnceLock;

struct Features {
    cas16: bool,
    load16: bool,
}

fn features() -> &'static Features {
    static FEATURES: OnceLock<Features> = OnceLock::new();
    FEATURES.get_or_init(|| {
        let vendor = __cpuid(0); // leaf 0 exists on every x86_64 CPU
        let vendor_is = |name: &[u8; 12]| {
            let [b, d, c] = [vendor.ebx, vendor.edx, vendor.ecx].map(u32::to_le_bytes);
            [b, d, c].concat() == name
        };
        let intel_or_amd = vendor_is(b"GenuineIntel") || vendor_is(b"AuthenticAMD");
        let cas16 = std::arch::is_x86_feature_detected!("cmpxchg16b");
        let avx = std::arch::is_x86_feature_detected!("avx");
        Features { cas16, load16: cas16 && avx && intel_or_amd }
    })
}

pub(crate) fn has_cas16() -> bool {
    features().cas16
}

pub(crate) fn has_load16() -> bool {
    features().load16
}

pub(crate) fn has_store16() -> bool {
    false
}

/// Atomically replaces the 16 bytes at `ptr` by `new` if they equal `old`.
/// Returns `Ok(old)` on success and `Err(current)` on failure.
///
/// # Safety
/// - [`has_cas16`] is true;
/// - `ptr` is 16-byte aligned and valid for reads and writes of 16 bytes;
/// - every concurrent access to those bytes is atomic.
#[target_feature(enable = "cmpxchg16b")]
pub(crate) unsafe fn cas16(ptr: *mut u8, old: u128, new: u128) -> Result<u128, u128> {
    debug_assert!(ptr as usize % 16 == 0);
    let (prev_lo, prev_hi): (u64, u64);
    // cmpxchg16b takes the new low half in rbx, which LLVM may use for itself and which asm
    // cannot name as an operand; so it is swapped in and out around the instruction. Every
    // operand has an explicit register: a `reg` operand may be given rbx itself (the pointer
    // was, once, and the swap then replaced it by the new value).
    // SAFETY: the caller guarantees the CPU has cmpxchg16b and that `ptr` is valid and
    // aligned; rbx is restored before the block ends.
    unsafe {
        asm!(
            "xchg rdi, rbx",
            "lock cmpxchg16b xmmword ptr [rsi]",
            "mov rbx, rdi",
            in("rsi") ptr,
            inout("rdi") new as u64 => _,
            in("rcx") (new >> 64) as u64,
            inout("rax") old as u64 => prev_lo,
            inout("rdx") (old >> 64) as u64 => prev_hi,
            options(nostack),
        );
    }
    // On success rdx:rax keep `old`; on failure they hold the different current value.
    let prev = u128::from(prev_hi) << 64 | u128::from(prev_lo);
    if prev == old {
        Ok(prev)
    } else {
        Err(prev)
    }
}

/// Atomically reads the 16 bytes at `ptr` without writing them.
///
/// # Safety
/// - [`has_load16`] is true;
/// - `ptr` is 16-byte aligned and valid for reads of 16 bytes;
/// - every concurrent write to those bytes is atomic.
#[target_feature(enable = "avx")]
pub(crate) unsafe fn load16(ptr: *const u8) -> u128 {
    debug_assert!(ptr as usize % 16 == 0);
    let value: __m128i;
    // SAFETY: the caller guarantees AVX (so vmovdqa is a single atomic access on this CPU)
    // and that `ptr` is valid and aligned.
    unsafe {
        asm!(
            "vmovdqa {value}, xmmword ptr [{ptr}]",
            ptr = in(reg) ptr,
            value = out(xmm_reg) value,
            options(nostack, preserves_flags, readonly),
        );
    }
    // SAFETY: __m128i and u128 are both 16 plain bytes.
    unsafe { core::mem::transmute::<__m128i, u128>(value) }
}

/// Never called: [`has_store16`] is false.
///
/// # Safety
/// Must not be called.
pub(crate) unsafe fn store16(_ptr: *mut u8, _value: u128) {
    unreachable!("16-byte stores are cmpxchg16b loops on x86_64")
}
