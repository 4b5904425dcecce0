//! The safe view over a byte region: checks once, then operates.

use std::time::{Duration, Instant};

use crate::order::{check_fail_order, check_order};
use crate::os;
use crate::raw::{Rmw, Word, Word1, Word16, Word2, Word4, Word8};
use crate::wait::{self, WaitOutcome};
use crate::{Error, MemoryOrder, OpType, Width};

/// A region of memory of one atomic width, checked for width support and alignment when made.
///
/// Every method checks that the operation exists for the region (no write to read-only
/// memory) and that the memory order is valid for it, then performs exactly one hardware
/// atomic or one CAS loop. Values are `u128` bit patterns; bits above the width are ignored
/// on input and zero on output. A refused operation leaves memory untouched.
#[derive(Clone, Copy, Debug)]
pub struct Region {
    ptr: *mut u8,
    width: Width,
    readonly: bool,
}

// SAFETY: a Region is a pointer that its creator promised is valid for its whole life and only
// ever accessed atomically (see `Region::new`); atomic accesses are safe from any thread.
unsafe impl Send for Region {}
// SAFETY: as above; every method takes `&self` and accesses memory only atomically.
unsafe impl Sync for Region {}

/// Calls `$f::<WordN>` for the width of `$region`.
macro_rules! by_width {
    ($region:expr, $f:ident($($arg:expr),*)) => {
        match $region.width {
            Width::W1 => $f::<Word1>($($arg),*),
            Width::W2 => $f::<Word2>($($arg),*),
            Width::W4 => $f::<Word4>($($arg),*),
            Width::W8 => $f::<Word8>($($arg),*),
            Width::W16 => $f::<Word16>($($arg),*),
        }
    };
}

impl Region {
    /// Makes a region of `len` bytes at `ptr`.
    ///
    /// Fails with [`Error::UnsupportedWidth`] when no operation exists for `len` bytes with
    /// this access on the running CPU, and with [`Error::Alignment`] when `ptr` is not aligned
    /// to the width (misaligned memory is refused, never emulated).
    ///
    /// # Safety
    /// For as long as the region or any copy of it is used:
    /// - `ptr` is valid for reads of `len` bytes, and for writes too unless `readonly`;
    /// - every access to those bytes by anyone (threads, processes, other languages) is atomic
    ///   and of width `len`.
    pub unsafe fn new(ptr: *mut u8, len: usize, readonly: bool) -> Result<Region, Error> {
        let width = Width::for_access(len, readonly).ok_or(Error::UnsupportedWidth { width: len, readonly })?;
        if ptr as usize % width.alignment() != 0 {
            return Err(Error::Alignment { width: len, address: ptr as usize });
        }
        Ok(Region { ptr, width, readonly })
    }

    /// A region whose width, alignment and validity were checked by its creator (an element
    /// of a [`crate::RegionArray`]); the `# Safety` of [`Region::new`] holds for it.
    #[inline(always)]
    pub(crate) const fn from_checked(ptr: *mut u8, width: Width, readonly: bool) -> Region {
        Region { ptr, width, readonly }
    }

    /// The width.
    pub fn width(&self) -> Width {
        self.width
    }

    /// Whether the region refuses every write.
    pub fn readonly(&self) -> bool {
        self.readonly
    }

    /// The address of the first byte.
    pub fn address(&self) -> usize {
        self.ptr as usize
    }

    /// The pointer to the first byte (with the provenance it was made with).
    pub(crate) fn as_ptr(&self) -> *mut u8 {
        self.ptr
    }

    /// Fails with [`Error::UnsupportedOperation`] unless `op` can run on this region (only
    /// `LOAD` and `BIT_TEST` can on read-only memory). Arithmetic is allowed: whether a
    /// region holds an integer is the caller's business.
    #[inline(always)]
    pub fn check_supported(&self, op: OpType) -> Result<(), Error> {
        if self.readonly && !op.is_read_only() {
            Err(Error::UnsupportedOperation { op, width: self.width.bytes(), readonly: true })
        } else {
            Ok(())
        }
    }

    /// Reads the value.
    #[inline(always)]
    pub fn load(&self, order: MemoryOrder) -> Result<u128, Error> {
        self.check_supported(OpType::Load)?;
        check_order(OpType::Load, order)?;
        Ok(self.raw_load(order))
    }

    /// Writes `value`.
    #[inline(always)]
    pub fn store(&self, value: u128, order: MemoryOrder) -> Result<(), Error> {
        self.check_supported(OpType::Store)?;
        check_order(OpType::Store, order)?;
        // SAFETY: the region is writable (checked) and valid (promised to `new`).
        unsafe { by_width!(self, store_word(self.ptr, value, order)) };
        Ok(())
    }

    /// Compare-exchange (`op` is `CmpxchgWeak` or `CmpxchgStrong`): if the value equals
    /// `expected`, writes `desired` and gives `Ok(expected)`; otherwise gives `Err(current)`.
    /// The weak form may fail spuriously.
    #[inline(always)]
    pub fn compare_exchange(
        &self,
        op: OpType,
        expected: u128,
        desired: u128,
        success: MemoryOrder,
        failure: MemoryOrder,
    ) -> Result<Result<u128, u128>, Error> {
        debug_assert!(matches!(op, OpType::CmpxchgWeak | OpType::CmpxchgStrong));
        self.check_supported(op)?;
        check_fail_order(op, success, failure)?;
        let mask = self.width.mask();
        let weak = op == OpType::CmpxchgWeak;
        let (e, d) = (expected & mask, desired & mask);
        // SAFETY: the region is writable (checked) and valid (promised to `new`); the orders
        // passed the failure-order rule, which is all Rust's compare_exchange asks.
        Ok(unsafe { by_width!(self, compare_exchange_word(self.ptr, e, d, weak, success, failure)) })
    }

    /// Reads bit `index` (0 is the least significant bit of the native-endian integer).
    #[inline(always)]
    pub fn bit_test(&self, index: i64, order: MemoryOrder) -> Result<bool, Error> {
        check_order(OpType::BitTest, order)?;
        self.check_supported(OpType::BitTest)?;
        let mask = self.bit_mask(index)?;
        Ok(self.raw_load(order) & mask != 0)
    }

    /// Performs a read-modify-write (`op` is any operation from `EXCHANGE` on except the
    /// compare-exchanges and `BIT_TEST`), returning the previous value.
    ///
    /// `operand` is the value of the operations that take one (`EXCHANGE`, `OR`, `ADD`, ...)
    /// and the bit index of `BIT_TEST_COMPL`/`SET`/`RESET`; it is ignored by the others.
    /// The bit operations give the previous value too: test it with the bit's mask.
    #[inline(always)]
    pub fn read_modify_write(&self, op: OpType, operand: u128, order: MemoryOrder) -> Result<u128, Error> {
        self.check_supported(op)?;
        let (rmw, operand) = match op {
            OpType::Exchange => (Rmw::Swap, operand),
            OpType::Or | OpType::FetchOr => (Rmw::Or, operand),
            OpType::Xor | OpType::FetchXor => (Rmw::Xor, operand),
            OpType::And | OpType::FetchAnd => (Rmw::And, operand),
            OpType::Not | OpType::FetchNot => (Rmw::Xor, u128::MAX),
            OpType::Add | OpType::FetchAdd => (Rmw::Add, operand),
            OpType::Sub | OpType::FetchSub => (Rmw::Sub, operand),
            OpType::Inc | OpType::FetchInc => (Rmw::Add, 1),
            OpType::Dec | OpType::FetchDec => (Rmw::Sub, 1),
            OpType::Neg | OpType::FetchNeg => (Rmw::Neg, 0),
            OpType::BitTestCompl => (Rmw::Xor, operand),
            OpType::BitTestSet => (Rmw::Or, operand),
            OpType::BitTestReset => (Rmw::And, !operand),
            OpType::Store
            | OpType::Load
            | OpType::BitTest
            | OpType::CmpxchgWeak
            | OpType::CmpxchgStrong
            | OpType::FetchMax
            | OpType::FetchMin
            | OpType::AddFetch
            | OpType::SubFetch
            | OpType::IncFetch
            | OpType::DecFetch
            | OpType::CheckedFetchAdd
            | OpType::CheckedFetchSub => {
                unreachable!("{} is not a plain read-modify-write (see `arithmetic`)", op.name())
            }
        };
        let operand = operand & self.width.mask();
        // SAFETY: the region is writable (checked) and valid (promised to `new`).
        Ok(unsafe { by_width!(self, fetch_word(self.ptr, rmw, operand, order)) })
    }

    /// The arithmetic beyond `atomics` 1.0, which depends on signedness: `FetchMax` and
    /// `FetchMin` (previous value), `AddFetch`, `SubFetch`, `IncFetch`, `DecFetch` (new value),
    /// and `CheckedFetchAdd`/`CheckedFetchSub` (previous value), which refuse with
    /// [`Error::Overflow`], writing nothing, when the result would not fit.
    pub fn arithmetic(&self, op: OpType, operand: u128, order: MemoryOrder, signed: bool) -> Result<u128, Error> {
        self.check_supported(op)?;
        let (width, mask) = (self.width, self.width.mask());
        let operand = operand & mask;
        let new_value = |previous: u128, add: bool, by: u128| {
            if add {
                previous.wrapping_add(by) & mask
            } else {
                previous.wrapping_sub(by) & mask
            }
        };
        let update = |f: &dyn Fn(u128) -> Option<u128>| {
            // SAFETY: the region is writable (checked above) and valid (promised to `new`).
            unsafe { by_width!(self, update_word(self.ptr, order, f)) }
        };
        match op {
            OpType::AddFetch | OpType::SubFetch | OpType::IncFetch | OpType::DecFetch => {
                let (fetch, add, by) = match op {
                    OpType::AddFetch => (OpType::FetchAdd, true, operand),
                    OpType::SubFetch => (OpType::FetchSub, false, operand),
                    OpType::IncFetch => (OpType::FetchInc, true, 1),
                    _ => (OpType::FetchDec, false, 1),
                };
                Ok(new_value(self.read_modify_write(fetch, operand, order)?, add, by))
            }
            OpType::FetchMax | OpType::FetchMin => {
                let max = op == OpType::FetchMax;
                let pick = |current: u128| {
                    let greater = if signed {
                        sign_extend(operand, width) > sign_extend(current, width)
                    } else {
                        operand > current
                    };
                    Some(if greater == max { operand } else { current })
                };
                Ok(update(&pick).unwrap_or_else(|current| current))
            }
            OpType::CheckedFetchAdd | OpType::CheckedFetchSub => {
                let add = op == OpType::CheckedFetchAdd;
                let checked = |current: u128| checked_arithmetic(current, operand, add, signed, width);
                update(&checked).map_err(|_| Error::Overflow { op })
            }
            other => unreachable!("{} is not signed arithmetic", other.name()),
        }
    }

    /// Float arithmetic on a region of 4 (`f32`) or 8 (`f64`) bytes: `FetchAdd`, `FetchSub`,
    /// `FetchMax`, `FetchMin` with the float whose bits are `operand`, as one CAS loop;
    /// returns the previous bits. Max and min follow IEEE 754 `maxNum`/`minNum` (Rust's
    /// `f64::max`): a NaN operand leaves the value, a NaN value is replaced.
    pub fn float_arithmetic(&self, op: OpType, operand: u128, order: MemoryOrder) -> Result<u128, Error> {
        self.check_supported(op)?;
        let unsupported = Error::UnsupportedOperation { op, width: self.width.bytes(), readonly: self.readonly };
        let apply = |a: f64, b: f64| match op {
            OpType::FetchAdd => Some(a + b),
            OpType::FetchSub => Some(a - b),
            OpType::FetchMax => Some(ignoring_nan(a, b, f64::is_nan, f64::max)),
            OpType::FetchMin => Some(ignoring_nan(a, b, f64::is_nan, f64::min)),
            _ => None,
        };
        apply(0.0, 0.0).ok_or(unsupported)?;
        let step: &dyn Fn(u128) -> Option<u128> = match self.width {
            Width::W4 => &|bits| {
                let (a, b) = (f32::from_bits(bits as u32), f32::from_bits(operand as u32));
                // Arithmetic in f32 itself, so that results round as an f32 operation would.
                let result = match op {
                    OpType::FetchAdd => a + b,
                    OpType::FetchSub => a - b,
                    OpType::FetchMax => ignoring_nan(a, b, f32::is_nan, f32::max),
                    _ => ignoring_nan(a, b, f32::is_nan, f32::min),
                };
                Some(u128::from(result.to_bits()))
            },
            Width::W8 => &|bits| {
                apply(f64::from_bits(bits as u64), f64::from_bits(operand as u64)).map(|r| u128::from(r.to_bits()))
            },
            _ => return Err(unsupported),
        };
        // SAFETY: the region is writable (checked above) and valid (promised to `new`).
        let outcome = unsafe { by_width!(self, update_word(self.ptr, order, step)) };
        Ok(outcome.unwrap_or_else(|current| current))
    }

    /// Complements (`BitTestCompl`), sets (`BitTestSet`) or clears (`BitTestReset`) bit
    /// `index`, returning its previous value.
    #[inline(always)]
    pub fn bit_modify(&self, op: OpType, index: i64, order: MemoryOrder) -> Result<bool, Error> {
        debug_assert!(matches!(op, OpType::BitTestCompl | OpType::BitTestSet | OpType::BitTestReset));
        self.check_supported(op)?;
        let mask = self.bit_mask(index)?;
        Ok(self.read_modify_write(op, mask, order)? & mask != 0)
    }

    /// Blocks while the value equals `old` (the low `width` bytes of it), for at most
    /// `timeout` (`None`: no limit). Another thread or process wakes it with
    /// [`Region::notify_one`] or [`Region::notify_all`] after changing the value; spurious
    /// wake-ups are absorbed. A signal ends the wait early with
    /// [`WaitOutcome::Interrupted`]. Widths 1, 2, 4 and 8; see [`crate::wait`].
    pub fn wait(&self, old: u128, timeout: Option<Duration>) -> Result<WaitOutcome, Error> {
        self.check_waitable()?;
        let old = (old & self.width.mask()) as u64;
        let deadline = wait::deadline(timeout);
        loop {
            if self.raw_load(MemoryOrder::SeqCst) as u64 != old {
                return Ok(WaitOutcome::Changed);
            }
            let timeout = match deadline {
                Some(d) => match d.checked_duration_since(Instant::now()) {
                    Some(left) if !left.is_zero() => Some(left),
                    _ => return Ok(WaitOutcome::TimedOut),
                },
                None => None,
            };
            // SAFETY: the region is aligned to its width (1 to 8) and mapped while it is
            // valid (promised to `new`); waiting only reads the memory.
            if !unsafe { os::wait(self.ptr, self.width, old, timeout) } {
                return Ok(WaitOutcome::Interrupted);
            }
        }
    }

    /// Wakes one thread or process waiting on this region.
    pub fn notify_one(&self) -> Result<(), Error> {
        self.notify(false)
    }

    /// Wakes every thread and process waiting on this region.
    pub fn notify_all(&self) -> Result<(), Error> {
        self.notify(true)
    }

    fn notify(&self, all: bool) -> Result<(), Error> {
        self.check_waitable()?;
        // SAFETY: the region is aligned to its width and mapped while it is valid; waking
        // uses the address as a key (and on Windows to find a segment's wait table).
        unsafe { os::wake(self.ptr, self.width, all) };
        Ok(())
    }

    fn check_waitable(&self) -> Result<(), Error> {
        match self.width {
            Width::W16 => Err(Error::WaitUnsupported { width: 16 }),
            _ => Ok(()),
        }
    }

    /// The mask of bit `index`, or [`Error::BitIndex`] outside `0..8 * width`.
    #[inline(always)]
    fn bit_mask(&self, index: i64) -> Result<u128, Error> {
        if (0..i64::from(self.width.bits())).contains(&index) {
            Ok(1 << index)
        } else {
            Err(Error::BitIndex)
        }
    }

    #[inline(always)]
    fn raw_load(&self, order: MemoryOrder) -> u128 {
        // SAFETY: the region is valid for reads (promised to `new`); on read-only memory
        // `new` admitted only widths that have a true load.
        unsafe { by_width!(self, load_word(self.ptr, order)) }
    }
}

// Generic shims so that `by_width!` can name one function per operation.

#[inline(always)]
unsafe fn load_word<W: Word>(ptr: *mut u8, order: MemoryOrder) -> u128 {
    // SAFETY: forwarded from the caller.
    unsafe { W::load(ptr, order) }
}

#[inline(always)]
unsafe fn store_word<W: Word>(ptr: *mut u8, value: u128, order: MemoryOrder) {
    // SAFETY: forwarded from the caller.
    unsafe { W::store(ptr, value, order) }
}

#[inline(always)]
unsafe fn compare_exchange_word<W: Word>(
    ptr: *mut u8,
    expected: u128,
    desired: u128,
    weak: bool,
    success: MemoryOrder,
    failure: MemoryOrder,
) -> Result<u128, u128> {
    // SAFETY: forwarded from the caller.
    unsafe { W::compare_exchange(ptr, expected, desired, weak, success, failure) }
}

#[inline(always)]
unsafe fn update_word<W: Word>(
    ptr: *mut u8,
    order: MemoryOrder,
    f: &dyn Fn(u128) -> Option<u128>,
) -> Result<u128, u128> {
    // SAFETY: forwarded from the caller.
    unsafe { W::update(ptr, order, f) }
}

/// `bits` of `width` as a two's complement integer.
fn sign_extend(bits: u128, width: Width) -> i128 {
    let shift = 128 - width.bits();
    ((bits << shift) as i128) >> shift
}

/// IEEE maxNum / minNum (`pick` is `max` or `min`): a NaN operand leaves the other value, a
/// signaling NaN too. `f64::max` alone does not promise that on every CPU: on aarch64 it is
/// `fmaxnm`, which answers a signaling NaN operand with a quiet NaN.
fn ignoring_nan<F: Copy>(a: F, b: F, is_nan: fn(F) -> bool, pick: fn(F, F) -> F) -> F {
    if is_nan(b) {
        a
    } else if is_nan(a) {
        b
    } else {
        pick(a, b)
    }
}

/// `current ± operand` if it fits `width` (signed or not), else `None`.
fn checked_arithmetic(current: u128, operand: u128, add: bool, signed: bool, width: Width) -> Option<u128> {
    if signed {
        let (a, b) = (sign_extend(current, width), sign_extend(operand, width));
        let result = if add { a.checked_add(b)? } else { a.checked_sub(b)? };
        let bits = width.bits();
        let fits = bits == 128 || (-(1i128 << (bits - 1))..(1i128 << (bits - 1))).contains(&result);
        fits.then_some(result as u128 & width.mask())
    } else {
        let result = if add { current.checked_add(operand)? } else { current.checked_sub(operand)? };
        (result <= width.mask()).then_some(result)
    }
}

unsafe fn fetch_word<W: Word>(ptr: *mut u8, rmw: Rmw, operand: u128, order: MemoryOrder) -> u128 {
    // SAFETY: forwarded from the caller.
    unsafe { W::fetch(ptr, rmw, operand, order) }
}
