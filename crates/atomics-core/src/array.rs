//! Arrays of atomics: `len` elements of one width, one after another in one checked region.
//!
//! An element is a [`Region`] with every operation of a single atomic. The bulk operations
//! apply one operation to many elements in one call; each element is one hardware atomic (or
//! one CAS loop), so a bulk operation is *not* a snapshot or a transaction of the whole array:
//! other threads see its elements change one by one. What a bulk operation checks (indices,
//! lengths, orders, read-only memory) it checks before it writes anything, so a refused call
//! leaves every element unchanged.

use crate::op::{Arithmetic, Bitwise, Core, Family, Param, ValueKind};
use crate::order::check_order;
use crate::raw::{Rmw, Word, Word1, Word16, Word2, Word4, Word8};
use crate::{Error, MemoryOrder, OpType, Operand, Region, Width};

/// `len` atomics of one width at consecutive addresses, checked once when made.
#[derive(Clone, Copy, Debug)]
pub struct RegionArray {
    ptr: *mut u8,
    width: Width,
    len: usize,
    readonly: bool,
}

// SAFETY: as for `Region`: a pointer its creator promised valid for the array's life and only
// accessed atomically.
unsafe impl Send for RegionArray {}
// SAFETY: as above.
unsafe impl Sync for RegionArray {}

/// The operands of a bulk operation: one for every index, or one per index.
#[derive(Clone, Copy, Debug)]
pub enum Operands<'a> {
    /// The same operand for every index.
    Same(u128),
    /// `operands[k]` for `indices[k]`; as many as there are indices.
    Each(&'a [u128]),
}

/// Calls `$f::<WordN>` for `$width`.
macro_rules! by_width {
    ($width:expr, $f:ident($($arg:expr),*)) => {
        match $width {
            Width::W1 => $f::<Word1>($($arg),*),
            Width::W2 => $f::<Word2>($($arg),*),
            Width::W4 => $f::<Word4>($($arg),*),
            Width::W8 => $f::<Word8>($($arg),*),
            Width::W16 => $f::<Word16>($($arg),*),
        }
    };
}

impl From<Region> for RegionArray {
    /// The array of the one atomic of `region`.
    fn from(region: Region) -> RegionArray {
        RegionArray { ptr: region.as_ptr(), width: region.width(), len: 1, readonly: region.readonly() }
    }
}

impl RegionArray {
    /// Makes an array of the `bytes` bytes at `ptr`, as atomics of `width` bytes.
    ///
    /// Fails with [`Error::UnsupportedWidth`] as [`Region::new`] does, with
    /// [`Error::ArraySize`] when `bytes` is not a multiple of `width`, and with
    /// [`Error::Alignment`] when `ptr` is not aligned to the width (an empty array has no
    /// address to align).
    ///
    /// # Safety
    /// As for [`Region::new`], for all `bytes` bytes: valid for reads (and writes unless
    /// `readonly`) while the array or any region taken from it is used, and every access to
    /// them atomic and of width `width`.
    pub unsafe fn new(ptr: *mut u8, bytes: usize, width: usize, readonly: bool) -> Result<RegionArray, Error> {
        let w = Width::for_access(width, readonly).ok_or(Error::UnsupportedWidth { width, readonly })?;
        if bytes % width != 0 {
            return Err(Error::ArraySize { bytes, width });
        }
        if bytes > 0 && ptr as usize % w.alignment() != 0 {
            return Err(Error::Alignment { width, address: ptr as usize });
        }
        Ok(RegionArray { ptr, width: w, len: bytes / width, readonly })
    }

    /// The number of atomics.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The width of each atomic.
    pub fn width(&self) -> Width {
        self.width
    }

    /// The size in bytes (`len * width`).
    pub fn bytes(&self) -> usize {
        self.len * self.width.bytes()
    }

    /// Whether the array refuses every write.
    pub fn readonly(&self) -> bool {
        self.readonly
    }

    /// The address of the first byte.
    pub fn address(&self) -> usize {
        self.ptr as usize
    }

    /// Atomic `index`, or [`Error::Index`] past the end.
    #[inline(always)]
    pub fn get(&self, index: usize) -> Result<Region, Error> {
        if index < self.len {
            // In bounds: `index * width < bytes`, so no overflow and no step past the array.
            let ptr = self.ptr.wrapping_add(index * self.width.bytes());
            Ok(Region::from_checked(ptr, self.width, self.readonly))
        } else {
            Err(Error::Index { index, len: self.len })
        }
    }

    /// Fails with [`Error::UnsupportedOperation`] unless `op` can run on this memory.
    pub fn check_supported(&self, op: OpType) -> Result<(), Error> {
        if self.readonly && !op.is_read_only() {
            Err(Error::UnsupportedOperation { op, width: self.width.bytes(), readonly: true })
        } else {
            Ok(())
        }
    }

    /// Fails with [`Error::Index`] at the first index past the end.
    pub fn check_indices(&self, indices: &[usize]) -> Result<(), Error> {
        match indices.iter().find(|&&i| i >= self.len) {
            Some(&index) => Err(Error::Index { index, len: self.len }),
            None => Ok(()),
        }
    }

    /// Loads every atomic into `out` (`bytes()` bytes: each value native-endian in its
    /// `width` bytes), in index order, each with one atomic load of `order`.
    pub fn load_all(&self, out: &mut [u8], order: MemoryOrder) -> Result<(), Error> {
        check_order(OpType::Load, order)?;
        self.check_length("out", self.bytes(), out.len())?;
        // SAFETY: the array is valid for reads (promised to `new`); `out` has `bytes()` bytes.
        unsafe { by_width!(self.width, load_into(self.ptr, out, order)) };
        Ok(())
    }

    /// Stores `values` (one per atomic, low bits of each) into every atomic, in index order,
    /// each with one atomic store of `order`.
    pub fn store_all(&self, values: Operands<'_>, order: MemoryOrder) -> Result<(), Error> {
        self.check_supported(OpType::Store)?;
        check_order(OpType::Store, order)?;
        if let Operands::Each(each) = values {
            self.check_length("values", self.len, each.len())?;
        }
        // SAFETY: the array is writable (checked) and valid (promised to `new`).
        unsafe { by_width!(self.width, store_each(self.ptr, self.len, values, order)) };
        Ok(())
    }

    /// Applies `op` to atomic `indices[k]` with operand `operands[k]` for every `k` (an index
    /// may repeat: each occurrence applies), in an unspecified order, discarding the results:
    /// `op` is an operation that takes a value (`EXCHANGE`, `OR`, `ADD`, `FETCH_MAX`, ...)
    /// that values of `kind` have. Exchanges and bitwise operations are one instruction per
    /// index; integer additions and subtractions on an array at most half as long as
    /// `indices` add each element's sum of operands with one atomic, which leaves the same
    /// values; the others go through [`Region::apply`], one per index. Every index and
    /// operand is checked before the first write.
    pub fn update_at(
        &self,
        op: OpType,
        kind: ValueKind,
        indices: &[usize],
        operands: Operands<'_>,
        order: MemoryOrder,
    ) -> Result<(), Error> {
        let takes_value = op.params().iter().any(|p| matches!(p, Param::Value | Param::Desired));
        if !takes_value || op.core() == Core::Store || !op.is_supported(self.width, false, kind) {
            return Err(Error::UnsupportedOperation { op, width: self.width.bytes(), readonly: self.readonly });
        }
        self.check_supported(op)?;
        check_order(op, order)?;
        self.check_indices(indices)?;
        if let Operands::Each(each) = operands {
            self.check_length("values", indices.len(), each.len())?;
        }
        let integer = kind.family() == Family::Int;
        let rmw = match op.core() {
            Core::Swap => Some(Rmw::Swap),
            Core::Bitwise(Bitwise::And) => Some(Rmw::And),
            Core::Bitwise(Bitwise::Or) => Some(Rmw::Or),
            Core::Bitwise(Bitwise::Xor) => Some(Rmw::Xor),
            Core::Arithmetic(Arithmetic::Add) if integer => Some(Rmw::Add),
            Core::Arithmetic(Arithmetic::Sub) if integer => Some(Rmw::Sub),
            _ => None,
        };
        let operand = |k: usize| match operands {
            Operands::Same(v) => v,
            Operands::Each(each) => each[k],
        };
        if let Some(rmw @ (Rmw::Add | Rmw::Sub)) = rmw {
            if self.len <= indices.len() / 2 {
                // A dense histogram: sum the occurrences of each index (wrapping, as the
                // additions would) and add each sum with one atomic; the same result in far
                // fewer atomic instructions.
                let mut sums = vec![0u128; self.len];
                for (k, &index) in indices.iter().enumerate() {
                    sums[index] = sums[index].wrapping_add(operand(k));
                }
                let touched: Vec<usize> = (0..self.len).filter(|&i| sums[i] & self.width.mask() != 0).collect();
                let sums: Vec<u128> = touched.iter().map(|&i| sums[i]).collect();
                // SAFETY: as below; every index in `touched` is below `len`.
                unsafe { by_width!(self.width, fetch_each(self.ptr, &touched, Operands::Each(&sums), rmw, order)) };
                return Ok(());
            }
        }
        if let Some(rmw) = rmw {
            // SAFETY: the array is writable (checked) and valid (promised to `new`); every
            // index is in bounds (checked).
            unsafe { by_width!(self.width, fetch_each(self.ptr, indices, operands, rmw, order)) };
            return Ok(());
        }
        // Max, min and float arithmetic: one compare-exchange loop per element.
        for (k, &index) in indices.iter().enumerate() {
            self.get(index)?.apply(op, kind, Operand::Value(operand(k)), order)?;
        }
        Ok(())
    }

    fn check_length(&self, what: &'static str, expected: usize, given: usize) -> Result<(), Error> {
        if expected == given {
            Ok(())
        } else {
            let unit = if what == "out" { "bytes" } else { "items" };
            Err(Error::Length { what, unit, expected, given })
        }
    }
}

/// # Safety
/// `ptr` is the start of a valid array of `out.len() / W` aligned atomics of `W`'s width.
#[inline(always)]
unsafe fn load_into<W: Word>(ptr: *mut u8, out: &mut [u8], order: MemoryOrder) {
    let width = W::BYTES;
    for (i, chunk) in out.chunks_exact_mut(width).enumerate() {
        // SAFETY: element `i` is inside the array (one chunk of `out` per element).
        let value = unsafe { W::load(ptr.add(i * width), order) };
        chunk.copy_from_slice(&W::WIDTH.to_ne_bytes(value)[..width]);
    }
}

/// # Safety
/// `ptr` is the start of a valid writable array of `len` aligned atomics of `W`'s width;
/// `Operands::Each` has `len` values.
#[inline(always)]
unsafe fn store_each<W: Word>(ptr: *mut u8, len: usize, values: Operands<'_>, order: MemoryOrder) {
    for i in 0..len {
        let value = match values {
            Operands::Same(v) => v,
            Operands::Each(each) => each[i],
        };
        // SAFETY: element `i` is inside the array.
        unsafe { W::store(ptr.add(i * W::BYTES), value & W::WIDTH.mask(), order) };
    }
}

/// # Safety
/// `ptr` is the start of a valid writable array of aligned atomics of `W`'s width, every
/// index is inside it, and `Operands::Each` has one operand per index.
#[inline(always)]
unsafe fn fetch_each<W: Word>(ptr: *mut u8, indices: &[usize], operands: Operands<'_>, rmw: Rmw, order: MemoryOrder) {
    let apply = |index: usize, operand: u128| {
        // SAFETY: the index is inside the array (the caller checked every index).
        unsafe { W::fetch(ptr.add(index * W::BYTES), rmw, operand & W::WIDTH.mask(), order) };
    };
    match operands {
        Operands::Same(operand) => indices.iter().for_each(|&index| apply(index, operand)),
        Operands::Each(each) => indices.iter().zip(each).for_each(|(&index, &operand)| apply(index, operand)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn array_of(cells: &mut [u64], width: usize) -> RegionArray {
        // SAFETY: `cells` outlives the array in each test and is only accessed through it.
        unsafe { RegionArray::new(cells.as_mut_ptr().cast(), std::mem::size_of_val(cells), width, false) }.unwrap()
    }

    #[test]
    fn elements_are_regions_at_their_offsets() {
        let mut cells = [0u64; 4];
        let array = array_of(&mut cells, 4);
        assert_eq!(array.len(), 8);
        array.get(3).unwrap().store(0xdead_beef, MemoryOrder::SeqCst).unwrap();
        assert_eq!(array.get(3).unwrap().address() - array.address(), 12);
        assert_eq!(array.get(8).unwrap_err(), Error::Index { index: 8, len: 8 });
        let mut out = [0u8; 32];
        array.load_all(&mut out, MemoryOrder::SeqCst).unwrap();
        assert_eq!(u32::from_ne_bytes(out[12..16].try_into().unwrap()), 0xdead_beef);
        assert_eq!(out.iter().filter(|&&b| b != 0).count(), 4);
    }

    #[test]
    fn sizes_and_alignment_are_checked() {
        let mut cells = [0u64; 2];
        let ptr: *mut u8 = cells.as_mut_ptr().cast();
        // SAFETY: `cells` outlives each array; these are refused before any access.
        unsafe {
            assert_eq!(RegionArray::new(ptr, 12, 8, false).unwrap_err(), Error::ArraySize { bytes: 12, width: 8 });
            assert!(matches!(RegionArray::new(ptr.add(4), 8, 8, false), Err(Error::Alignment { .. })));
            assert!(matches!(RegionArray::new(ptr, 16, 3, false), Err(Error::UnsupportedWidth { .. })));
            assert!(RegionArray::new(ptr.add(1), 0, 8, false).unwrap().is_empty());
        }
    }

    #[test]
    fn update_at_applies_every_occurrence_and_checks_first() {
        let mut cells = [0u64; 4];
        let array = array_of(&mut cells, 8);
        let order = MemoryOrder::SeqCst;
        array.update_at(OpType::Add, ValueKind::Uint, &[0, 1, 1, 3, 1], Operands::Same(1), order).unwrap();
        let values = [5, u128::from(u64::MAX), 7];
        array.update_at(OpType::Add, ValueKind::Uint, &[2, 3, 2], Operands::Each(&values), order).unwrap();
        let refused = array.update_at(OpType::Add, ValueKind::Uint, &[0, 4], Operands::Same(1), order);
        assert_eq!(refused.unwrap_err(), Error::Index { index: 4, len: 4 });
        let short = array.update_at(OpType::Add, ValueKind::Uint, &[0, 1], Operands::Each(&values), order);
        assert!(matches!(short, Err(Error::Length { expected: 2, given: 3, .. })));
        array.update_at(OpType::FetchMax, ValueKind::Int, &[0, 0], Operands::Each(&[9, 4]), order).unwrap();
        assert_eq!(cells, [9, 3, 12, 0]);
    }

    #[test]
    fn dense_histograms_sum_before_adding() {
        let mut cells = [0u64; 2];
        let array = array_of(&mut cells, 4);
        let indices: Vec<usize> = (0..1000).map(|i| i % 3).collect();
        let order = MemoryOrder::SeqCst;
        array.update_at(OpType::Add, ValueKind::Uint, &indices, Operands::Same(1), order).unwrap();
        let minus: Vec<u128> = (0..1000).map(|_| u128::from(u32::MAX)).collect(); // -1 as a u32
        array.update_at(OpType::Add, ValueKind::Uint, &indices, Operands::Each(&minus), order).unwrap();
        array.update_at(OpType::Sub, ValueKind::Uint, &indices, Operands::Same(2), order).unwrap();
        let count = |i: usize| indices.iter().filter(|&&x| x == i).count() as u32;
        let value = |i: usize| array.get(i).unwrap().load(order).unwrap() as u32;
        assert_eq!(value(0), 0u32.wrapping_sub(2 * count(0)));
        assert_eq!(value(1), 0u32.wrapping_sub(2 * count(1)));
        let refused =
            array.update_at(OpType::Add, ValueKind::Uint, &[0, 0, 0, 0, 0, 0, 0, 0, 4], Operands::Same(1), order);
        assert_eq!(refused.unwrap_err(), Error::Index { index: 4, len: 4 });
        assert_eq!(value(0), 0u32.wrapping_sub(2 * count(0)), "a refused call changes nothing");
    }

    #[test]
    fn float_update_at_adds_as_floats() {
        let mut cells = [0u64; 2];
        let array = array_of(&mut cells, 8);
        let half = u128::from(0.5f64.to_bits());
        let order = MemoryOrder::SeqCst;
        array.update_at(OpType::FetchAdd, ValueKind::Float, &[1, 1, 1], Operands::Same(half), order).unwrap();
        assert_eq!(f64::from_bits(cells[1]), 1.5);
        let or = array.update_at(OpType::Or, ValueKind::Float, &[0], Operands::Same(1), order);
        assert!(matches!(or, Err(Error::UnsupportedOperation { .. })));
    }

    #[test]
    fn read_only_arrays_refuse_writes_before_touching_anything() {
        let mut cells = [7u64; 2];
        // SAFETY: `cells` outlives the array and is only read through it.
        let array = unsafe { RegionArray::new(cells.as_mut_ptr().cast(), 16, 8, true) }.unwrap();
        let refused = array.store_all(Operands::Same(0), MemoryOrder::SeqCst);
        assert!(matches!(refused, Err(Error::UnsupportedOperation { readonly: true, .. })));
        let mut out = [0u8; 16];
        array.load_all(&mut out, MemoryOrder::Acquire).unwrap();
        assert_eq!(out, [7u64.to_ne_bytes(), 7u64.to_ne_bytes()].concat()[..]);
        assert_eq!(cells, [7, 7]);
    }
}
