//! The safe view over a byte region: checks once, then operates.

use std::time::{Duration, Instant};

use crate::op::{Arithmetic, Bitwise, Core, Returns, ValueKind};
use crate::order::{check_fail_order, check_order};
use crate::os;
use crate::raw::{Rmw, Word, Word1, Word16, Word2, Word4, Word8};
use crate::wait::{self, WaitOutcome};
use crate::{Error, MemoryOrder, OpType, Width};

/// What an operation is given besides its memory order (see [`Region::apply`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Operand {
    /// Nothing: `LOAD`, `INC`, `NOT`, ...
    None,
    /// A value's bits (only the low `width` bytes count): `STORE`, `EXCHANGE`, `ADD`, ...
    Value(u128),
    /// A bit's index, 0 the least significant: the `BIT_TEST` operations.
    Bit(i64),
    /// A compare-exchange's expected and desired bits and its order on failure.
    Exchange {
        /// The value the compare-exchange expects.
        expected: u128,
        /// The value it writes if it finds `expected`.
        desired: u128,
        /// Its memory order when it fails (a load order no stronger than the success order).
        failure: MemoryOrder,
    },
}

impl Operand {
    /// The value's bits (0 for the others).
    #[inline(always)]
    const fn bits(self) -> u128 {
        match self {
            Operand::Value(bits) => bits,
            _ => 0,
        }
    }
}

/// What an operation gives back (see [`Region::apply`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Nothing (the operation returns no value).
    Done,
    /// A value's bits: read, previous or new, as the table's [`Returns`] says.
    Value(u128),
    /// A bit's previous value.
    Bit(bool),
    /// `Ok(expected)` when a compare-exchange succeeded, `Err(found)` when it did not.
    Exchanged(Result<u128, u128>),
}

impl Outcome {
    /// The bits of the value it carries (found or expected by a compare-exchange; a bit as 0
    /// or 1; 0 when there is none).
    pub const fn bits(self) -> u128 {
        match self {
            Outcome::Done => 0,
            Outcome::Value(bits) | Outcome::Exchanged(Ok(bits) | Err(bits)) => bits,
            Outcome::Bit(bit) => bit as u128,
        }
    }
}

/// The outcome of an operation that read `previous` and wrote `new`: what its row returns.
#[inline(always)]
const fn result_of(op: OpType, previous: u128, new: u128) -> Outcome {
    match op.returns() {
        Returns::Nothing => Outcome::Done,
        Returns::New => Outcome::Value(new),
        _ => Outcome::Value(previous),
    }
}

/// One step of a float operation's compare-exchange loop: the new bits of the float of
/// `width` (4: `f32`, 8: `f64`) whose bits are `bits`, combined with the float of bits
/// `operand`. Arithmetic happens in the float's own type, so that it rounds as the hardware
/// would; max and min are IEEE maxNum and minNum (a NaN operand, signaling or not, leaves the
/// value; see [`ignoring_nan`]).
fn float_arithmetic(arithmetic: Arithmetic, width: Width, bits: u128, operand: u128) -> Option<u128> {
    macro_rules! step {
        ($float:ty, $bits:ty) => {{
            let (a, b) = (<$float>::from_bits(bits as $bits), <$float>::from_bits(operand as $bits));
            let result = match arithmetic {
                Arithmetic::Add => a + b,
                Arithmetic::Sub => a - b,
                Arithmetic::Max => ignoring_nan(a, b, <$float>::is_nan, <$float>::max),
                Arithmetic::Min => ignoring_nan(a, b, <$float>::is_nan, <$float>::min),
                _ => return None,
            };
            Some(u128::from(result.to_bits()))
        }};
    }
    match width {
        Width::W4 => step!(f32, u32),
        Width::W8 => step!(f64, u64),
        _ => None,
    }
}

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
    /// `LOAD` and `BIT_TEST` can on read-only memory). Which kinds of value have `op` is
    /// [`Region::apply`]'s business.
    #[inline(always)]
    pub fn check_supported(&self, op: OpType) -> Result<(), Error> {
        if self.readonly && !op.is_read_only() {
            Err(self.unsupported(op))
        } else {
            Ok(())
        }
    }

    fn unsupported(&self, op: OpType) -> Error {
        Error::UnsupportedOperation { op, width: self.width.bytes(), readonly: self.readonly }
    }

    /// Performs `op` on the value, read as a value of `kind`: the one entry point of every
    /// operation of [`OpType`] (the table in `op.rs` says what each does: its [`Core`]).
    ///
    /// `operand` is what the operation takes besides its order: [`Operand::None`] for those
    /// that take nothing (`LOAD`, `INC`, `NOT`, ...), a value's bits for those that take a
    /// value, a bit's index for the bit operations, and the expected and desired bits with
    /// the failure order for a compare-exchange. The outcome is the operation's result as the
    /// table's [`Returns`] says: the value read, previous or new, a bit's previous value,
    /// whether a compare-exchange succeeded. Every check comes before memory is touched:
    /// whether `kind` has `op` at this width, read-only memory, the orders, the operand; a
    /// refused operation changes nothing.
    #[inline(always)]
    pub fn apply(&self, op: OpType, kind: ValueKind, operand: Operand, order: MemoryOrder) -> Result<Outcome, Error> {
        // The default orders spelled out (sequentially consistent, and so is a compare-
        // exchange's failure): the common call then checks no order and runs instructions of
        // fixed order.
        const SEQ_CST: MemoryOrder = MemoryOrder::SeqCst;
        match (order, operand) {
            (SEQ_CST, Operand::Exchange { expected, desired, failure: SEQ_CST }) => {
                self.apply_in_order(op, kind, Operand::Exchange { expected, desired, failure: SEQ_CST }, SEQ_CST)
            }
            (SEQ_CST, Operand::Exchange { .. }) => self.apply_in_order(op, kind, operand, order),
            (SEQ_CST, operand) => self.apply_in_order(op, kind, operand, SEQ_CST),
            (order, operand) => self.apply_in_order(op, kind, operand, order),
        }
    }

    /// [`Region::apply`] in the order given.
    #[inline(always)]
    fn apply_in_order(
        &self,
        op: OpType,
        kind: ValueKind,
        operand: Operand,
        order: MemoryOrder,
    ) -> Result<Outcome, Error> {
        if !op.is_in(kind.family()) || !kind.has_width(self.width) {
            return Err(self.unsupported(op));
        }
        let mask = self.width.mask();
        match (op.core(), operand) {
            (Core::Load, Operand::None) => self.load(order).map(Outcome::Value),
            (Core::Store, Operand::Value(value)) => self.store(value, order).map(|()| Outcome::Done),
            (Core::Swap, Operand::Value(value)) => {
                self.check_supported(op)?;
                // SAFETY: the region is writable (checked) and valid (promised to `new`).
                let previous = unsafe { by_width!(self, fetch_word(self.ptr, Rmw::Swap, value & mask, order)) };
                Ok(result_of(op, previous, value & mask))
            }
            (Core::CompareExchange { .. }, Operand::Exchange { expected, desired, failure }) => {
                self.compare_exchange(op, expected, desired, order, failure).map(Outcome::Exchanged)
            }
            (Core::BitTest, Operand::Bit(index)) => {
                check_order(op, order)?; // before the region's checks, as in atomics 1.0
                self.check_supported(op)?;
                let bit = self.bit_mask(index)?;
                Ok(Outcome::Bit(self.raw_load(order) & bit != 0))
            }
            (Core::BitModify(bitwise), Operand::Bit(index)) => {
                self.check_supported(op)?;
                let bit = self.bit_mask(index)?;
                let previous = self.bitwise(bitwise, bit, order);
                Ok(Outcome::Bit(previous & bit != 0))
            }
            (Core::Bitwise(bitwise @ Bitwise::Not), Operand::None)
            | (
                Core::Bitwise(bitwise @ (Bitwise::Or | Bitwise::Xor | Bitwise::And | Bitwise::AndNot)),
                Operand::Value(_),
            ) => {
                self.check_supported(op)?;
                let operand = operand.bits() & mask;
                let previous = self.bitwise(bitwise, operand, order);
                Ok(result_of(op, previous, bitwise.apply(previous, operand) & mask))
            }
            (Core::Arithmetic(arithmetic @ (Arithmetic::Inc | Arithmetic::Dec | Arithmetic::Neg)), Operand::None)
            | (Core::Arithmetic(arithmetic), Operand::Value(_)) => {
                self.check_supported(op)?;
                let (previous, new) = self.arithmetic(op, kind, arithmetic, operand.bits() & mask, order)?;
                Ok(result_of(op, previous, new))
            }
            _ => Err(Error::Operand { op }),
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
        unsafe { by_width!(self, store_word(self.ptr, value & self.width.mask(), order)) };
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
        let Core::CompareExchange { weak } = op.core() else { return Err(Error::Operand { op }) };
        self.check_supported(op)?;
        check_fail_order(op, success, failure)?;
        let mask = self.width.mask();
        let (e, d) = (expected & mask, desired & mask);
        // SAFETY: the region is writable (checked) and valid (promised to `new`); the orders
        // passed the failure-order rule, which is all Rust's compare_exchange asks.
        Ok(unsafe { by_width!(self, compare_exchange_word(self.ptr, e, d, weak, success, failure)) })
    }

    /// One bitwise read-modify-write instruction; the previous value.
    #[inline(always)]
    fn bitwise(&self, bitwise: Bitwise, operand: u128, order: MemoryOrder) -> u128 {
        let (rmw, operand) = match bitwise {
            Bitwise::Or => (Rmw::Or, operand),
            Bitwise::Xor => (Rmw::Xor, operand),
            Bitwise::And => (Rmw::And, operand),
            Bitwise::AndNot => (Rmw::And, !operand),
            Bitwise::Not => (Rmw::Xor, u128::MAX),
        };
        // SAFETY: the caller checked that the region is writable; it is valid (promised to
        // `new`).
        unsafe { by_width!(self, fetch_word(self.ptr, rmw, operand & self.width.mask(), order)) }
    }

    /// `arithmetic` on a value of `kind`: one read-modify-write instruction for wrapping
    /// integer arithmetic, one compare-exchange loop otherwise; the previous and new values.
    #[inline(always)]
    fn arithmetic(
        &self,
        op: OpType,
        kind: ValueKind,
        arithmetic: Arithmetic,
        operand: u128,
        order: MemoryOrder,
    ) -> Result<(u128, u128), Error> {
        let (width, mask) = (self.width, self.width.mask());
        let update = |f: &dyn Fn(u128) -> Option<u128>| {
            // SAFETY: the caller checked that the region is writable; it is valid.
            unsafe { by_width!(self, update_word(self.ptr, order, f)) }
        };
        let signed = kind == ValueKind::Int;
        match (kind, arithmetic) {
            (
                ValueKind::Int | ValueKind::Uint,
                Arithmetic::Add | Arithmetic::Sub | Arithmetic::Inc | Arithmetic::Dec | Arithmetic::Neg,
            ) => {
                let (rmw, by) = match arithmetic {
                    Arithmetic::Add => (Rmw::Add, operand),
                    Arithmetic::Inc => (Rmw::Add, 1),
                    Arithmetic::Sub => (Rmw::Sub, operand),
                    Arithmetic::Dec => (Rmw::Sub, 1),
                    _ => (Rmw::Neg, 0),
                };
                // SAFETY: as above.
                let previous = unsafe { by_width!(self, fetch_word(self.ptr, rmw, by, order)) };
                Ok((previous, rmw.apply(previous, by) & mask))
            }
            (ValueKind::Int | ValueKind::Uint, Arithmetic::Max | Arithmetic::Min) => {
                let max = arithmetic == Arithmetic::Max;
                let pick = |current: u128| {
                    let greater = if signed {
                        sign_extend(operand, width) > sign_extend(current, width)
                    } else {
                        operand > current
                    };
                    Some(if greater == max { operand } else { current })
                };
                let previous = update(&pick).unwrap_or_else(|current| current);
                Ok((previous, pick(previous).unwrap_or(previous)))
            }
            (ValueKind::Int | ValueKind::Uint, Arithmetic::CheckedAdd | Arithmetic::CheckedSub) => {
                let add = arithmetic == Arithmetic::CheckedAdd;
                let checked = |current: u128| checked_arithmetic(current, operand, add, signed, width);
                let previous = update(&checked).map_err(|_| Error::Overflow { op })?;
                Ok((previous, checked(previous).unwrap_or(previous)))
            }
            (ValueKind::Float, Arithmetic::Add | Arithmetic::Sub | Arithmetic::Max | Arithmetic::Min) => {
                let step = |bits: u128| float_arithmetic(arithmetic, width, bits, operand);
                let previous = update(&step).unwrap_or_else(|current| current);
                Ok((previous, step(previous).unwrap_or(previous)))
            }
            _ => Err(self.unsupported(op)),
        }
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
