//! The one place that picks per-architecture code: 16-byte atomics.
//!
//! Every backend exports the same items:
//! - `has_cas16()`: whether `cas16` may be called on this CPU;
//! - `has_load16()`: whether `load16` may be called on this CPU;
//! - `has_store16()`: whether `store16` may be called on this CPU (otherwise a 16-byte store
//!   is a `cas16` loop);
//! - `unsafe fn cas16(ptr, old, new) -> Result<u128, u128>`: a sequentially consistent 16-byte
//!   compare-exchange (it may write even when it fails);
//! - `unsafe fn load16(ptr) -> u128`: a sequentially consistent 16-byte atomic load that never
//!   writes;
//! - `unsafe fn store16(ptr, value)`: a sequentially consistent 16-byte atomic store.
//!
//! Widths 1 to 8 need no backend: Rust's `AtomicU8`..`AtomicU64` are lock-free wherever this
//! crate builds (on 32-bit x86, `AtomicU64` is `cmpxchg8b` and 8-byte SSE loads and stores).

#[cfg_attr(target_arch = "x86_64", path = "x86_64.rs")]
#[cfg_attr(all(target_arch = "aarch64", target_endian = "little"), path = "aarch64.rs")]
#[cfg_attr(
    not(any(target_arch = "x86_64", all(target_arch = "aarch64", target_endian = "little"))),
    path = "no_cas16.rs"
)]
mod imp;

pub(crate) use imp::{cas16, has_cas16, has_load16, has_store16, load16, store16};
