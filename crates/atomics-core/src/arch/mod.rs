//! The one place that picks per-architecture code: 16-byte atomics.
//!
//! Every backend exports the same items:
//! - `has_cas16()`: whether `cas16` may be called on this CPU;
//! - `has_load16()`: whether `load16` may be called on this CPU;
//! - `unsafe fn cas16(ptr, old, new) -> Result<u128, u128>`: a sequentially consistent 16-byte
//!   compare-exchange;
//! - `unsafe fn load16(ptr) -> u128`: a 16-byte atomic load that never writes.
//!
//! Widths 1 to 8 need no backend: Rust's `AtomicU8`..`AtomicU64` are lock-free wherever this
//! crate builds.

#[cfg_attr(target_arch = "x86_64", path = "x86_64.rs")]
#[cfg_attr(not(target_arch = "x86_64"), path = "no_cas16.rs")]
mod imp;

pub(crate) use imp::{cas16, has_cas16, has_load16, load16};
