//! Typed atomic views: an integer type over a [`Region`], for Rust programs that share memory
//! with Python, C and C++ programs (or with themselves).

use core::fmt;
use core::marker::PhantomData;
use std::time::Duration;

use crate::shm::{Kind, Segment};
use crate::{Error, MemoryOrder, OpType, Region, WaitOutcome, Width};

mod sealed {
    pub trait Sealed {}
}

/// An integer type an [`AtomicView`] can hold: `i8`, `u8`, `i16`, `u16`, `i32`, `u32`, `i64`,
/// `u64`, and `i128` and `u128` (whose views exist only where the CPU has a 16-byte
/// compare-exchange: see [`Width::is_lock_free`]).
///
/// Values are stored native-endian, signed ones in two's complement, so a view of `T` and a
/// Python `atomics` object of the same width (`INT` for signed `T`, `UINT` for unsigned) read
/// the same bytes as the same number. Sealed: the crate implements it for these types only.
pub trait AtomicValue: Copy + Send + Sync + fmt::Debug + PartialEq + sealed::Sealed + 'static {
    /// The width of the type (its size in bytes).
    const WIDTH: Width;
    /// Whether the type is signed: a segment's [`Kind::Int`] rather than [`Kind::Uint`].
    const SIGNED: bool;

    /// The bit pattern of `self` in the low `WIDTH` bytes (zero above them).
    fn to_bits(self) -> u128;

    /// The value whose bit pattern is the low `WIDTH` bytes of `bits`.
    fn from_bits(bits: u128) -> Self;
}

/// The [`AtomicValue`]s whose views can [`wait`](AtomicView::wait) and notify: widths 1, 2, 4
/// and 8 (every type but `i128` and `u128`). Sealed.
pub trait Waitable: AtomicValue {}

macro_rules! unsigned_value {
    ($($t:ty => $w:ident),*) => {$(
        impl sealed::Sealed for $t {}
        impl AtomicValue for $t {
            const WIDTH: Width = Width::$w;
            const SIGNED: bool = false;
            #[inline(always)]
            fn to_bits(self) -> u128 {
                u128::from(self)
            }
            #[inline(always)]
            fn from_bits(bits: u128) -> Self {
                bits as $t
            }
        }
    )*};
}

macro_rules! signed_value {
    ($($t:ty => $u:ty, $w:ident),*) => {$(
        impl sealed::Sealed for $t {}
        impl AtomicValue for $t {
            const WIDTH: Width = Width::$w;
            const SIGNED: bool = true;
            #[inline(always)]
            fn to_bits(self) -> u128 {
                u128::from(self as $u)
            }
            #[inline(always)]
            fn from_bits(bits: u128) -> Self {
                bits as $u as $t
            }
        }
    )*};
}

unsigned_value!(u8 => W1, u16 => W2, u32 => W4, u64 => W8);
signed_value!(i8 => u8, W1, i16 => u16, W2, i32 => u32, W4, i64 => u64, W8);

impl sealed::Sealed for u128 {}
impl AtomicValue for u128 {
    const WIDTH: Width = Width::W16;
    const SIGNED: bool = false;
    #[inline(always)]
    fn to_bits(self) -> u128 {
        self
    }
    #[inline(always)]
    fn from_bits(bits: u128) -> Self {
        bits
    }
}

impl sealed::Sealed for i128 {}
impl AtomicValue for i128 {
    const WIDTH: Width = Width::W16;
    const SIGNED: bool = true;
    #[inline(always)]
    fn to_bits(self) -> u128 {
        self as u128
    }
    #[inline(always)]
    fn from_bits(bits: u128) -> Self {
        bits as i128
    }
}

impl Waitable for u8 {}
impl Waitable for i8 {}
impl Waitable for u16 {}
impl Waitable for i16 {}
impl Waitable for u32 {}
impl Waitable for i32 {}
impl Waitable for u64 {}
impl Waitable for i64 {}

/// A `T` at one address that is only ever accessed atomically: the typed form of a
/// [`Region`] of `T`'s width, with the methods of the standard library's atomics (`load`,
/// `store`, `swap`, `compare_exchange`, `fetch_add`, ...) taking and returning `T`, and
/// `wait` / `notify_one` / `notify_all` (for widths up to 8).
///
/// Made from a shared-memory [`Segment`] at a data offset ([`AtomicView::in_segment`],
/// [`Segment::view`], [`AtomicView::single`]), from an exclusive reference
/// ([`AtomicView::from_mut`]) or from a raw pointer (`unsafe`, [`AtomicView::from_ptr`]).
/// The view borrows what it was made from for `'a`; it is `Copy`, `Send` and `Sync`, so
/// threads share it by copying it. Arithmetic wraps around; every operation is one lock-free
/// hardware atomic (or, for 16 bytes, one compare-exchange loop), address-free, so other processes
/// mapping the same memory see it.
///
/// # Memory orders and panics
///
/// The orders are [`MemoryOrder`]s with the rules of [`check_order`](crate::check_order) and
/// [`check_fail_order`](crate::check_fail_order): a load takes `Relaxed`, `Acquire` or
/// `SeqCst`; a store `Relaxed`, `Release` or `SeqCst`; a compare-exchange's failure order is
/// a load order no stronger than its success order. As with the standard library's atomics, an
/// order an operation cannot take is a programming error, and the method **panics** (with the
/// message of [`Error::MemoryOrder`]) without touching memory.
///
/// ```
/// use atomics_core::{AtomicView, MemoryOrder::SeqCst};
///
/// let mut word = 0i32;
/// let view = AtomicView::from_mut(&mut word).unwrap();
/// view.store(-2, SeqCst);
/// assert_eq!(view.fetch_add(5, SeqCst), -2);
/// assert_eq!(view.compare_exchange(3, 10, SeqCst, SeqCst), Ok(3));
/// assert_eq!(view.compare_exchange(3, 11, SeqCst, SeqCst), Err(10));
/// assert_eq!(view.fetch_sub(i32::MAX, SeqCst), 10); // wraps around
/// assert_eq!(view.swap(0, SeqCst), 10i32.wrapping_sub(i32::MAX));
/// ```
#[derive(Clone, Copy, Debug)]
pub struct AtomicView<'a, T> {
    region: Region,
    marker: PhantomData<&'a T>,
}

/// Unwraps what a view's operation gives; its regions admit every operation, so only a
/// memory order the operation cannot take is refused: a programming error, as in `std`.
#[inline(always)]
#[track_caller]
fn unwrap_op<V>(result: Result<V, Error>) -> V {
    match result {
        Ok(v) => v,
        Err(e) => panic!("{e}"),
    }
}

impl<'a, T: AtomicValue> AtomicView<'a, T> {
    /// The view of the `T` that `value` refers to, which it borrows exclusively for `'a`.
    ///
    /// Fails with [`Error::Alignment`] when `T`'s alignment is smaller than its width on this
    /// target (`u64` on 32-bit x86, `u128` on some targets) and `value` happens to be
    /// misaligned, and with [`Error::UnsupportedWidth`] for 16 bytes on a CPU without a 16-byte
    /// compare-exchange.
    pub fn from_mut(value: &'a mut T) -> Result<Self, Error> {
        // SAFETY: the exclusive borrow makes the memory valid for reads and writes for 'a and
        // reachable only through this view (and its copies), which access it atomically.
        unsafe { Self::from_ptr(value) }
    }

    /// The view of the `T` at `ptr`.
    ///
    /// Fails with [`Error::Alignment`] when `ptr` is not aligned to `T`'s width and with
    /// [`Error::UnsupportedWidth`] for 16 bytes on a CPU without a 16-byte compare-exchange.
    ///
    /// # Safety
    /// For all of `'a`:
    /// - `ptr` is valid for reads and writes of `size_of::<T>()` bytes;
    /// - every access to those bytes, by anyone (threads, other processes, programs in other
    ///   languages), is atomic and of the same width.
    pub unsafe fn from_ptr(ptr: *mut T) -> Result<Self, Error> {
        // SAFETY: forwarded from the caller; `T::WIDTH` is `size_of::<T>()`.
        let region = unsafe { Region::new(ptr.cast(), T::WIDTH.bytes(), false) }?;
        Ok(AtomicView { region, marker: PhantomData })
    }

    /// The view of the `T` at data offset `offset` of `segment` (byte `64 + offset` of the
    /// mapping), valid while the segment is borrowed.
    ///
    /// Fails with [`ViewError::OutOfBounds`] when `offset + size_of::<T>()` passes the end of
    /// the segment's data, and with [`ViewError::Region`] when `offset` is not a multiple of
    /// the width ([`Error::Alignment`]) or the width is unsupported. The segment format's
    /// rule is that every program accesses its atomics atomically with their own width.
    pub fn in_segment(segment: &'a Segment, offset: usize) -> Result<Self, ViewError> {
        let width = T::WIDTH.bytes();
        if offset.checked_add(width).is_none_or(|end| end > segment.data_size()) {
            return Err(ViewError::OutOfBounds {
                segment: segment.name().to_owned(),
                offset,
                width,
                data_size: segment.data_size(),
            });
        }
        // SAFETY: `offset + width` is within the data, which stays mapped while `segment` is
        // borrowed; the segment format has every program access its atomics atomically.
        unsafe { Self::from_ptr(segment.data().add(offset).cast()) }.map_err(ViewError::Region)
    }

    /// The view of the single atomic of `segment`: the one made by Python's
    /// `atomics.atomic(width, atype, shared=True)` or by
    /// [`Segment::create(width, width, kind)`](Segment::create).
    ///
    /// The header must say that the segment holds one atomic of `T`'s width and of its kind
    /// ([`Kind::Int`] for a signed `T`, [`Kind::Uint`] for an unsigned one), as Python's
    /// `atomics.shared.attach(name, width, atype)` checks; [`ViewError::Mismatch`] otherwise.
    /// For a layout of several atomics, or to read another kind as `T`, use
    /// [`AtomicView::in_segment`].
    pub fn single(segment: &'a Segment) -> Result<Self, ViewError> {
        let header = segment.header();
        let kind = if T::SIGNED { Kind::Int } else { Kind::Uint };
        let width = T::WIDTH.bytes();
        if header.width as usize == width && header.kind == kind && header.data_size != width {
            let len = header.data_size / width;
            return Err(ViewError::Array { segment: segment.name().to_owned(), len });
        }
        if header.width as usize != width || header.kind != kind {
            return Err(ViewError::Mismatch {
                segment: segment.name().to_owned(),
                width: header.width,
                kind: header.kind,
                wanted_width: width,
                wanted_kind: kind,
            });
        }
        Self::in_segment(segment, 0)
    }

    /// The address of the value.
    pub fn as_ptr(&self) -> *mut T {
        self.region.as_ptr().cast()
    }

    /// Reads the value. Panics unless `order` is `Relaxed`, `Acquire` or `SeqCst`.
    #[inline]
    #[track_caller]
    pub fn load(&self, order: MemoryOrder) -> T {
        T::from_bits(unwrap_op(self.region.load(order)))
    }

    /// Writes `value`. Panics unless `order` is `Relaxed`, `Release` or `SeqCst`.
    #[inline]
    #[track_caller]
    pub fn store(&self, value: T, order: MemoryOrder) {
        unwrap_op(self.region.store(value.to_bits(), order))
    }

    /// Writes `value`, returning the previous value.
    #[inline]
    #[track_caller]
    pub fn swap(&self, value: T, order: MemoryOrder) -> T {
        self.rmw(OpType::Exchange, value, order)
    }

    /// If the value equals `current`, writes `new` and returns `Ok(current)`; otherwise
    /// returns `Err(value)` and writes nothing. Panics when `failure` is not a load order no
    /// stronger than `success`.
    #[inline]
    #[track_caller]
    pub fn compare_exchange(&self, current: T, new: T, success: MemoryOrder, failure: MemoryOrder) -> Result<T, T> {
        self.cmpxchg(OpType::CmpxchgStrong, current, new, success, failure)
    }

    /// As [`AtomicView::compare_exchange`], but may fail even when the value equals
    /// `current` (cheaper in a loop on some CPUs).
    #[inline]
    #[track_caller]
    pub fn compare_exchange_weak(
        &self,
        current: T,
        new: T,
        success: MemoryOrder,
        failure: MemoryOrder,
    ) -> Result<T, T> {
        self.cmpxchg(OpType::CmpxchgWeak, current, new, success, failure)
    }

    /// Adds `value` (wrapping around), returning the previous value.
    #[inline]
    #[track_caller]
    pub fn fetch_add(&self, value: T, order: MemoryOrder) -> T {
        self.rmw(OpType::FetchAdd, value, order)
    }

    /// Subtracts `value` (wrapping around), returning the previous value.
    #[inline]
    #[track_caller]
    pub fn fetch_sub(&self, value: T, order: MemoryOrder) -> T {
        self.rmw(OpType::FetchSub, value, order)
    }

    /// Bitwise and with `value`, returning the previous value.
    #[inline]
    #[track_caller]
    pub fn fetch_and(&self, value: T, order: MemoryOrder) -> T {
        self.rmw(OpType::FetchAnd, value, order)
    }

    /// Bitwise or with `value`, returning the previous value.
    #[inline]
    #[track_caller]
    pub fn fetch_or(&self, value: T, order: MemoryOrder) -> T {
        self.rmw(OpType::FetchOr, value, order)
    }

    /// Bitwise exclusive or with `value`, returning the previous value.
    #[inline]
    #[track_caller]
    pub fn fetch_xor(&self, value: T, order: MemoryOrder) -> T {
        self.rmw(OpType::FetchXor, value, order)
    }

    #[inline(always)]
    #[track_caller]
    fn rmw(&self, op: OpType, value: T, order: MemoryOrder) -> T {
        T::from_bits(unwrap_op(self.region.read_modify_write(op, value.to_bits(), order)))
    }

    #[inline(always)]
    #[track_caller]
    fn cmpxchg(&self, op: OpType, current: T, new: T, success: MemoryOrder, failure: MemoryOrder) -> Result<T, T> {
        unwrap_op(self.region.compare_exchange(op, current.to_bits(), new.to_bits(), success, failure))
            .map(T::from_bits)
            .map_err(T::from_bits)
    }
}

impl<T: Waitable> AtomicView<'_, T> {
    /// Blocks while the value equals `old`, for at most `timeout` (`None`: no limit), and
    /// says why it returned: [`WaitOutcome::Changed`] (at once if the value differs from
    /// `old`), [`WaitOutcome::TimedOut`] or [`WaitOutcome::Interrupted`] (a signal; wait
    /// again if you want to). A thread or process (Rust, Python, or C with
    /// `include/atomics_shm.h`) wakes it by changing the value and then calling
    /// `notify_one` / `notify_all` on the same memory; spurious wake-ups are absorbed.
    /// See [`crate::wait`] for how it works.
    pub fn wait(&self, old: T, timeout: Option<Duration>) -> WaitOutcome {
        self.region.wait(old.to_bits(), timeout).expect("widths up to 8 can wait")
    }

    /// Wakes one thread or process waiting on this value (call it after changing the value).
    pub fn notify_one(&self) {
        self.region.notify_one().expect("widths up to 8 can notify")
    }

    /// Wakes every thread and process waiting on this value (call it after changing the
    /// value), Python's `obj.wait(old)` included.
    pub fn notify_all(&self) {
        self.region.notify_all().expect("widths up to 8 can notify")
    }
}

/// Why a view of a shared-memory segment could not be made.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ViewError {
    /// The atomic does not fit in the segment's data.
    OutOfBounds {
        /// The segment's name.
        segment: String,
        /// The data offset asked for.
        offset: usize,
        /// The width of the view's type.
        width: usize,
        /// The segment's bytes of data.
        data_size: usize,
    },
    /// The segment's header describes another atomic than the one asked for
    /// ([`AtomicView::single`]).
    Mismatch {
        /// The segment's name.
        segment: String,
        /// The width in the header (0 for a layout).
        width: u32,
        /// The kind in the header.
        kind: Kind,
        /// The width of the view's type.
        wanted_width: usize,
        /// The kind of the view's type.
        wanted_kind: Kind,
    },
    /// The segment holds an array of several atomics of the asked width and kind, not one
    /// ([`AtomicView::single`]; view its elements with [`AtomicView::in_segment`]).
    Array {
        /// The segment's name.
        segment: String,
        /// The number of atomics in its data.
        len: usize,
    },
    /// The region was refused: misaligned ([`Error::Alignment`]) or of an unsupported width.
    Region(Error),
}

/// The name Python gives a kind (`"INT"`, `"UINT"`, ...).
fn kind_name(kind: Kind) -> String {
    format!("{kind:?}").to_uppercase()
}

impl fmt::Display for ViewError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ViewError::OutOfBounds { segment, offset, width, data_size } => write!(
                f,
                "an atomic of width {width} at offset {offset} does not fit in segment {segment} of {data_size} \
                 data bytes"
            ),
            ViewError::Mismatch { segment, kind: Kind::Layout, .. } => {
                write!(f, "segment {segment} holds a layout of several atomics; view them at their offsets")
            }
            ViewError::Mismatch { segment, width, kind, wanted_width, wanted_kind } => write!(
                f,
                "segment {segment} holds an {} of width {width}, not an {} of width {wanted_width}",
                kind_name(*kind),
                kind_name(*wanted_kind),
            ),
            ViewError::Array { segment, len } => {
                write!(f, "segment {segment} holds an array of {len} atomics, not one; view them at their offsets")
            }
            ViewError::Region(e) => e.fmt(f),
        }
    }
}

impl std::error::Error for ViewError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            ViewError::Region(e) => Some(e),
            _ => None,
        }
    }
}

impl Segment {
    /// The view of the `T` at data offset `offset`: shorthand for
    /// [`AtomicView::in_segment(self, offset)`](AtomicView::in_segment).
    ///
    /// ```
    /// use atomics_core::shm::{Kind, Segment};
    /// use atomics_core::MemoryOrder::SeqCst;
    ///
    /// let segment = Segment::create(128, 0, Kind::Layout).unwrap();
    /// let (hits, flag) = (segment.view::<u64>(0).unwrap(), segment.view::<u32>(64).unwrap());
    /// hits.fetch_add(3, SeqCst);
    /// flag.store(1, SeqCst);
    /// assert_eq!((hits.load(SeqCst), flag.load(SeqCst)), (3, 1));
    /// assert!(segment.view::<u64>(124).is_err()); // past the end
    /// assert!(segment.view::<u64>(4).is_err()); // misaligned
    /// segment.unlink().unwrap();
    /// ```
    pub fn view<T: AtomicValue>(&self, offset: usize) -> Result<AtomicView<'_, T>, ViewError> {
        AtomicView::in_segment(self, offset)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use MemoryOrder::{Acquire, Relaxed, Release, SeqCst};

    fn round_trip<T: AtomicValue>(values: &[T]) {
        for &v in values {
            assert_eq!(T::from_bits(v.to_bits()), v);
            assert_eq!(v.to_bits() & !T::WIDTH.mask(), 0, "{v:?} leaks bits above its width");
            assert_eq!(T::WIDTH.bytes(), core::mem::size_of::<T>());
        }
    }

    #[test]
    fn values_round_trip_as_native_bit_patterns() {
        round_trip(&[0u8, 1, u8::MAX]);
        round_trip(&[0i8, -1, i8::MIN, i8::MAX]);
        round_trip(&[0u16, u16::MAX]);
        round_trip(&[0i16, -1, i16::MIN]);
        round_trip(&[0u32, u32::MAX]);
        round_trip(&[0i32, -1, i32::MIN]);
        round_trip(&[0u64, u64::MAX]);
        round_trip(&[0i64, -1, i64::MIN, i64::MAX]);
        round_trip(&[0u128, u128::MAX]);
        round_trip(&[0i128, -1, i128::MIN]);
        assert_eq!((-1i16).to_bits(), 0xffff);
        assert_eq!(i64::from_bits(u128::MAX), -1);
    }

    #[test]
    fn operations_take_and_give_typed_values() {
        let mut word = 0i64;
        let v = AtomicView::from_mut(&mut word).unwrap();
        v.store(-5, SeqCst);
        assert_eq!(v.load(Acquire), -5);
        assert_eq!(v.fetch_add(7, SeqCst), -5);
        assert_eq!(v.fetch_sub(4, Release), 2);
        assert_eq!(v.fetch_or(0b1100, Relaxed), -2);
        assert_eq!(v.fetch_and(0b0110, SeqCst), -2);
        assert_eq!(v.fetch_xor(0b0011, SeqCst), 0b0110);
        assert_eq!(v.swap(i64::MAX, SeqCst), 0b0101);
        assert_eq!(v.fetch_add(1, SeqCst), i64::MAX);
        assert_eq!(v.load(SeqCst), i64::MIN);
        assert_eq!(v.compare_exchange(0, 1, SeqCst, SeqCst), Err(i64::MIN));
        assert_eq!(v.compare_exchange(i64::MIN, 1, SeqCst, Relaxed), Ok(i64::MIN));
        while v.compare_exchange_weak(1, 2, SeqCst, SeqCst).is_err() {}
        assert_eq!(v.load(SeqCst), 2);
        assert_eq!(v.as_ptr() as usize, &word as *const i64 as usize);
        assert_eq!(word, 2);

        let mut byte = 250u8;
        let b = AtomicView::from_mut(&mut byte).unwrap();
        assert_eq!(b.fetch_add(10, SeqCst), 250);
        assert_eq!(b.load(SeqCst), 4);
    }

    #[test]
    fn sixteen_bytes_where_the_cpu_has_them() {
        #[repr(C, align(16))]
        struct Cell(u128);
        let mut cell = Cell(0);
        // SAFETY: the cell outlives the view and is only accessed through it.
        match unsafe { AtomicView::<i128>::from_ptr((&mut cell.0 as *mut u128).cast()) } {
            Ok(v) => {
                v.store(-1, SeqCst);
                assert_eq!(v.fetch_add(2, SeqCst), -1);
                assert_eq!(v.load(SeqCst), 1);
                assert_eq!(v.compare_exchange(1, i128::MIN, SeqCst, SeqCst), Ok(1));
                assert_eq!(cell.0, 1 << 127);
            }
            Err(e) => assert_eq!(e, Error::UnsupportedWidth { width: 16, readonly: false }),
        }
    }

    #[test]
    #[should_panic(expected = "ACQUIRE is not a valid  memory order for a STORE operation.")]
    fn an_order_the_operation_cannot_take_panics() {
        let mut word = 0u32;
        AtomicView::from_mut(&mut word).unwrap().store(1, Acquire);
    }

    #[test]
    fn misaligned_pointers_are_refused() {
        let mut words = [0u64; 2];
        let ptr = words.as_mut_ptr().cast::<u8>();
        // SAFETY: `words` outlives the attempt; nothing is accessed.
        let refused = unsafe { AtomicView::<u32>::from_ptr(ptr.add(2).cast()) }.unwrap_err();
        assert!(matches!(refused, Error::Alignment { width: 4, .. }), "{refused:?}");
    }

    #[test]
    fn views_of_two_mappings_share_the_value_and_wake_each_other() {
        let created = Segment::create(192, 0, Kind::Layout).unwrap();
        let opened = Segment::open(created.name()).unwrap();
        let mine = created.view::<i64>(64).unwrap();
        let theirs = AtomicView::<i64>::in_segment(&opened, 64).unwrap();
        std::thread::scope(|s| {
            let waiter = s.spawn(|| theirs.wait(0, Some(Duration::from_secs(10))));
            std::thread::sleep(Duration::from_millis(20));
            mine.store(-3, SeqCst);
            mine.notify_all();
            assert_eq!(waiter.join().unwrap(), WaitOutcome::Changed);
        });
        assert_eq!(theirs.load(SeqCst), -3);
        assert_eq!(theirs.wait(-3, Some(Duration::from_millis(10))), WaitOutcome::TimedOut);
        // The bytes are the native-endian two's complement of the value.
        // SAFETY: in bounds of the mapping; a plain read of bytes nobody writes now.
        let bytes = unsafe { std::ptr::read(created.data().add(64).cast::<[u8; 8]>()) };
        assert_eq!(bytes, (-3i64).to_ne_bytes());
        created.unlink().unwrap();
    }

    #[test]
    fn segment_views_are_checked() {
        let seg = Segment::create(8, 8, Kind::Int).unwrap();
        let name = seg.name().to_owned();
        assert!(AtomicView::<i64>::single(&seg).is_ok());
        let mismatch = AtomicView::<u64>::single(&seg).unwrap_err();
        assert_eq!(mismatch.to_string(), format!("segment {name} holds an INT of width 8, not an UINT of width 8"));
        let mismatch = AtomicView::<i32>::single(&seg).unwrap_err();
        assert!(matches!(mismatch, ViewError::Mismatch { width: 8, wanted_width: 4, .. }), "{mismatch:?}");
        let outside = seg.view::<u32>(8).unwrap_err();
        assert_eq!(
            outside.to_string(),
            format!("an atomic of width 4 at offset 8 does not fit in segment {name} of 8 data bytes")
        );
        assert!(matches!(seg.view::<u32>(usize::MAX - 1), Err(ViewError::OutOfBounds { .. })));
        assert!(matches!(seg.view::<u32>(2), Err(ViewError::Region(Error::Alignment { width: 4, .. }))));
        assert_eq!(seg.view::<u16>(6).unwrap().load(SeqCst), 0);
        seg.unlink().unwrap();

        let layout = Segment::create(64, 0, Kind::Layout).unwrap();
        let refused = AtomicView::<i64>::single(&layout).unwrap_err();
        assert!(refused.to_string().ends_with("holds a layout of several atomics; view them at their offsets"));
        layout.unlink().unwrap();

        let array = Segment::create(24, 8, Kind::Int).unwrap();
        let refused = AtomicView::<i64>::single(&array).unwrap_err();
        assert!(matches!(refused, ViewError::Array { len: 3, .. }), "{refused:?}");
        array.unlink().unwrap();
    }
}
