//! 16-byte atomics on aarch64 (little-endian).
//!
//! Every aarch64 CPU can operate on 16 aligned bytes lock-free; which instructions do it
//! depends on the CPU, so they are chosen at run time, once, from what the kernel reports (on
//! Linux the `AT_HWCAP` auxiliary vector entry: `HWCAP_ATOMICS` for FEAT_LSE, `HWCAP_USCAT` for
//! FEAT_LSE2, read by the standard library's `is_aarch64_feature_detected!`):
//!
//! | operation | Armv8.0 | FEAT_LSE (Armv8.1) | FEAT_LSE2 (Armv8.4) |
//! |---|---|---|---|
//! | compare-exchange | `ldaxp`/`stlxp` loop | `caspal` | as without it |
//! | load | compare-exchange (writes) | compare-exchange (writes) | `ldar`, `ldp`, `dmb ishld` |
//! | store | compare-exchange loop | compare-exchange loop | `dmb ish`, `stp`, `dmb ish` |
//!
//! Atomicity (Arm Architecture Reference Manual for A-profile, DDI 0487, B2.2.1 "Requirements
//! for single-copy atomicity"): `caspal` is one single-copy atomic 16-byte access. A
//! load-exclusive pair is single-copy atomic only if the store-exclusive pair that follows it
//! succeeds, so the loop always ends with a successful `stlxp`: of the new value, or, when the
//! comparison fails, of the value it read. With FEAT_LSE2, `ldp` and `stp` of two 64-bit
//! registers at a 16-byte aligned address of Normal write-back memory (all memory a program
//! maps) are single-copy atomic. Without FEAT_LSE2 there is no 16-byte access that does not
//! write, so read-only memory of width 16 is refused there (see [`has_load16`]).
//!
//! Orders: every function is sequentially consistent, whatever order the caller asked for.
//! `caspal` and `ldaxp`/`stlxp` are acquire and release, and Arm's acquire and release are
//! RCsc (a store-release is never reordered with a later load-acquire): the mapping of a
//! `SeqCst` read-modify-write in Arm's C/C++ atomics ABI. The load and store fences are stated
//! at [`load16`] and [`store16`]. The choice of instructions and barriers follows
//! taiki-e/portable-atomic's `src/imp/atomic128/aarch64.rs`.
//!
//! The register loaded from the lower address holds the low half of the native-endian `u128`:
//! this file is used on little-endian aarch64 only (`arch/mod.rs`).

use core::arch::asm;
use std::sync::OnceLock;

struct Features {
    lse: bool,
    lse2: bool,
}

fn features() -> &'static Features {
    static FEATURES: OnceLock<Features> = OnceLock::new();
    FEATURES.get_or_init(|| Features {
        lse: std::arch::is_aarch64_feature_detected!("lse"),
        lse2: std::arch::is_aarch64_feature_detected!("lse2"),
    })
}

/// The low and high halves of `value`.
fn halves(value: u128) -> (u64, u64) {
    (value as u64, (value >> 64) as u64)
}

fn whole(lo: u64, hi: u64) -> u128 {
    u128::from(hi) << 64 | u128::from(lo)
}

/// Always true: `ldaxp`/`stlxp` exist on every aarch64 CPU.
pub(crate) fn has_cas16() -> bool {
    true
}

/// Whether 16 bytes can be read without writing them: FEAT_LSE2.
pub(crate) fn has_load16() -> bool {
    features().lse2
}

/// Whether 16 bytes can be stored with one plain store: FEAT_LSE2.
pub(crate) fn has_store16() -> bool {
    features().lse2
}

/// Atomically replaces the 16 bytes at `ptr` by `new` if they equal `old`.
/// Returns `Ok(old)` on success and `Err(current)` on failure. Writes even when it fails.
///
/// # Safety
/// - `ptr` is 16-byte aligned and valid for reads and writes of 16 bytes;
/// - every concurrent access to those bytes is atomic.
pub(crate) unsafe fn cas16(ptr: *mut u8, old: u128, new: u128) -> Result<u128, u128> {
    debug_assert!(ptr as usize % 16 == 0);
    let prev = if features().lse {
        // SAFETY: the CPU has FEAT_LSE (checked); the rest is forwarded from the caller.
        unsafe { cas_casp(ptr, old, new) }
    } else {
        // SAFETY: forwarded from the caller.
        unsafe { cas_ldxp_stxp(ptr, old, new) }
    };
    if prev == old {
        Ok(prev)
    } else {
        Err(prev)
    }
}

/// Compare-exchange with `caspal`; returns the value found.
///
/// # Safety
/// As [`cas16`], and the CPU has FEAT_LSE.
#[target_feature(enable = "lse")]
unsafe fn cas_casp(ptr: *mut u8, old: u128, new: u128) -> u128 {
    let (old_lo, old_hi) = halves(old);
    let (new_lo, new_hi) = halves(new);
    let (lo, hi): (u64, u64);
    // SAFETY: the caller guarantees FEAT_LSE and a valid, aligned, writable `ptr` accessed only
    // atomically. `caspal` compares the pair x0:x1 with memory, stores x2:x3 if equal, and
    // leaves the value it found in x0:x1 either way; both pairs start at an even register, as
    // the instruction requires. Order: acquire and release (RCsc), which is SeqCst for a
    // read-modify-write; a failed `caspal` is still an acquire load.
    unsafe {
        asm!(
            "caspal x0, x1, x2, x3, [{ptr}]",
            ptr = in(reg) ptr,
            inout("x0") old_lo => lo,
            inout("x1") old_hi => hi,
            in("x2") new_lo,
            in("x3") new_hi,
            options(nostack, preserves_flags),
        );
    }
    whole(lo, hi)
}

/// Compare-exchange with an `ldaxp`/`stlxp` loop (Armv8.0); returns the value found.
///
/// # Safety
/// As [`cas16`].
unsafe fn cas_ldxp_stxp(ptr: *mut u8, old: u128, new: u128) -> u128 {
    let (old_lo, old_hi) = halves(old);
    let (new_lo, new_hi) = halves(new);
    let (lo, hi): (u64, u64);
    // SAFETY: the caller guarantees a valid, aligned, writable `ptr` accessed only atomically.
    // The loop reads the pair exclusively, picks the pair to write back without branching
    // (`new` if both halves equal `old`, else the pair it read), and retries until the
    // store-exclusive succeeds, which is what makes the read single-copy atomic. Every operand
    // is an `out`, never a `lateout`, so no output shares a register with an input or with the
    // `stlxp` status (which must differ from the data and address registers). Order: `ldaxp`
    // is a load-acquire and `stlxp` a store-release (both RCsc): SeqCst for a read-modify-write.
    unsafe {
        asm!(
            "2:",
            "ldaxp {lo}, {hi}, [{ptr}]",
            "cmp {lo}, {old_lo}",
            "ccmp {hi}, {old_hi}, #0, eq",
            "csel {put_lo}, {new_lo}, {lo}, eq",
            "csel {put_hi}, {new_hi}, {hi}, eq",
            "stlxp {failed:w}, {put_lo}, {put_hi}, [{ptr}]",
            "cbnz {failed:w}, 2b",
            ptr = in(reg) ptr,
            old_lo = in(reg) old_lo,
            old_hi = in(reg) old_hi,
            new_lo = in(reg) new_lo,
            new_hi = in(reg) new_hi,
            lo = out(reg) lo,
            hi = out(reg) hi,
            put_lo = out(reg) _,
            put_hi = out(reg) _,
            failed = out(reg) _,
            options(nostack),
        );
    }
    whole(lo, hi)
}

/// Atomically reads the 16 bytes at `ptr` without writing them.
///
/// # Safety
/// - [`has_load16`] is true;
/// - `ptr` is 16-byte aligned and valid for reads of 16 bytes;
/// - every concurrent write to those bytes is atomic.
pub(crate) unsafe fn load16(ptr: *const u8) -> u128 {
    debug_assert!(ptr as usize % 16 == 0);
    let (lo, hi): (u64, u64);
    // SAFETY: the caller guarantees FEAT_LSE2 (so the `ldp` is single-copy atomic) and a valid,
    // aligned `ptr`; nothing is written. Order, SeqCst: the `ldar` of the first 8 bytes cannot
    // pass an earlier store-release (RCsc), the `ldp` cannot pass the `ldar` (acquire), and
    // `dmb ishld` keeps every later load and store after the `ldp` (acquire). Stores of this
    // backend end with `dmb ish`, so they stay before this load too.
    unsafe {
        asm!(
            "ldar {first}, [{ptr}]",
            "ldp {lo}, {hi}, [{ptr}]",
            "dmb ishld",
            ptr = in(reg) ptr,
            first = out(reg) _,
            lo = out(reg) lo,
            hi = out(reg) hi,
            options(nostack, preserves_flags),
        );
    }
    whole(lo, hi)
}

/// Atomically writes `value` to the 16 bytes at `ptr`.
///
/// # Safety
/// - [`has_store16`] is true;
/// - `ptr` is 16-byte aligned and valid for writes of 16 bytes;
/// - every concurrent access to those bytes is atomic.
pub(crate) unsafe fn store16(ptr: *mut u8, value: u128) {
    debug_assert!(ptr as usize % 16 == 0);
    let (lo, hi) = halves(value);
    // SAFETY: the caller guarantees FEAT_LSE2 (so the `stp` is single-copy atomic) and a valid,
    // aligned, writable `ptr`. Order, SeqCst: the first `dmb ish` keeps every earlier load and
    // store before the `stp` (release); the second keeps the `stp` before every later load and
    // store, a later load-acquire or `ldp` of a SeqCst load included.
    unsafe {
        asm!(
            "dmb ish",
            "stp {lo}, {hi}, [{ptr}]",
            "dmb ish",
            ptr = in(reg) ptr,
            lo = in(reg) lo,
            hi = in(reg) hi,
            options(nostack, preserves_flags),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[repr(C, align(16))]
    struct Cell(core::cell::UnsafeCell<u128>);

    // SAFETY: the cell is only accessed through this module's atomic functions.
    unsafe impl Sync for Cell {}

    impl Cell {
        fn new(value: u128) -> Cell {
            Cell(core::cell::UnsafeCell::new(value))
        }

        fn ptr(&self) -> *mut u8 {
            self.0.get().cast()
        }
    }

    type Cas = unsafe fn(*mut u8, u128, u128) -> u128;

    /// Every compare-exchange this CPU can run, by name.
    fn compare_exchanges() -> Vec<(&'static str, Cas)> {
        let mut all: Vec<(&'static str, Cas)> = vec![("ldaxp/stlxp", cas_ldxp_stxp)];
        if features().lse {
            // SAFETY: listed only when the CPU has FEAT_LSE; callers pass what cas16 needs.
            all.push(("caspal", |p, o, n| unsafe { cas_casp(p, o, n) }));
        }
        all
    }

    /// The instructions chosen on this CPU, as the cross-platform tests name them.
    fn chosen() -> String {
        let cas = if features().lse { "caspal" } else { "ldaxp/stlxp" };
        let load_store = if features().lse2 { "ldp/stp" } else { "cas" };
        format!("cas={cas} load/store={load_store}")
    }

    /// The emulated runs set ATOMICS_EXPECT_AARCH64 to the instructions the CPU model they
    /// pick must lead to, so that a run cannot silently test another path than it claims.
    #[test]
    fn the_chosen_instructions_are_the_expected_ones() {
        match std::env::var("ATOMICS_EXPECT_AARCH64") {
            Ok(expected) => assert_eq!(chosen(), expected),
            Err(_) => eprintln!("aarch64 16-byte atomics: {}", chosen()),
        }
    }

    #[test]
    fn every_compare_exchange_compares_both_halves() {
        let a = whole(0x1111_2222_3333_4444, 0x5555_6666_7777_8888);
        for (name, cas) in compare_exchanges() {
            let cell = Cell::new(a);
            let (lo, hi) = halves(a);
            // SAFETY: the cell is aligned, valid and only accessed atomically.
            unsafe {
                assert_eq!(cas(cell.ptr(), whole(lo, hi ^ 1), 7), a, "{name}: high half differs");
                assert_eq!(cas(cell.ptr(), whole(lo ^ 1, hi), 7), a, "{name}: low half differs");
                assert_eq!(cas(cell.ptr(), a, u128::MAX - 1), a, "{name}: equal");
                assert_eq!(cas(cell.ptr(), a, 0), u128::MAX - 1, "{name}: now different");
            }
            // The value is the native-endian u128 in memory (low half at the lower address).
            // SAFETY: no other access to the cell now.
            assert_eq!(unsafe { *cell.0.get() }, u128::MAX - 1, "{name}");
            // SAFETY: as above.
            let bytes = unsafe { core::ptr::read(cell.ptr().cast::<[u8; 16]>()) };
            assert_eq!(bytes, (u128::MAX - 1).to_ne_bytes(), "{name}");
        }
    }

    #[test]
    fn public_entry_points_agree() {
        let cell = Cell::new(5);
        // SAFETY: the cell is aligned, valid and only accessed atomically; load16 and store16
        // only where the CPU has them.
        unsafe {
            assert_eq!(cas16(cell.ptr(), 4, 6), Err(5));
            assert_eq!(cas16(cell.ptr(), 5, 1 << 100), Ok(5));
            if has_load16() {
                assert_eq!(load16(cell.ptr()), 1 << 100);
            }
            if has_store16() {
                store16(cell.ptr(), whole(u64::MAX, 3));
                assert_eq!(cas16(cell.ptr(), 0, 0), Err(whole(u64::MAX, 3)));
            }
        }
    }

    /// Threads add 1 with every compare-exchange the CPU has, mixed, across the carry from the
    /// low half into the high one: the total is exact only if each one is atomic against the
    /// others.
    #[test]
    fn mixed_compare_exchanges_count_exactly_across_the_carry() {
        const THREADS: u128 = 4;
        const ADDS: u128 = 2_000;
        let start = u128::from(u64::MAX) - THREADS * ADDS / 2;
        let cell = Cell::new(start);
        let paths = compare_exchanges();
        std::thread::scope(|s| {
            for t in 0..THREADS as usize {
                let (cell, paths) = (&cell, &paths);
                s.spawn(move || {
                    for i in 0..ADDS as usize {
                        let cas = paths[(t + i) % paths.len()].1;
                        // SAFETY: the cell is aligned, valid and only accessed atomically.
                        let mut current = unsafe { cas(cell.ptr(), 0, 0) };
                        loop {
                            // SAFETY: as above.
                            let found = unsafe { cas(cell.ptr(), current, current + 1) };
                            if found == current {
                                break;
                            }
                            current = found;
                        }
                    }
                });
            }
        });
        // SAFETY: as above.
        assert_eq!(unsafe { cas16(cell.ptr(), 0, 0) }, Err(start + THREADS * ADDS));
    }

    /// With FEAT_LSE2, a reader never sees a store half done: writers store pairs whose halves
    /// are equal, with `stp` and with compare-exchanges, and readers check every `ldp`.
    #[test]
    fn plain_loads_never_see_a_torn_store() {
        if !has_load16() {
            eprintln!("no FEAT_LSE2 on this CPU: 16-byte loads and stores are compare-exchanges");
            return;
        }
        let cell = Cell::new(0);
        let pair = |k: u64| whole(k, k);
        std::thread::scope(|s| {
            s.spawn(|| {
                for k in 1..20_000u64 {
                    // SAFETY: the cell is aligned, valid and only accessed atomically; FEAT_LSE2.
                    unsafe { store16(cell.ptr(), pair(k)) };
                }
            });
            s.spawn(|| {
                for k in 1..20_000u64 {
                    // SAFETY: as above.
                    unsafe { cas16(cell.ptr(), pair(k - 1), pair(k.wrapping_mul(7))) }.ok();
                }
            });
            for _ in 0..2 {
                s.spawn(|| {
                    for _ in 0..20_000 {
                        // SAFETY: as above.
                        let (lo, hi) = halves(unsafe { load16(cell.ptr()) });
                        assert_eq!(lo, hi, "a torn 16-byte load");
                    }
                });
            }
        });
    }
}
