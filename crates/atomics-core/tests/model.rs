//! Every operation of every width against a plain-integer reference model, on random values,
//! plus exact counting under real threads.

use atomics_core::{Error, MemoryOrder, OpType, Region, Width};

/// 16-byte aligned storage for every width.
#[repr(C, align(16))]
struct Cell([u8; 16]);

/// xorshift64*: deterministic random values without a dependency.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn value(&mut self, mask: u128) -> u128 {
        (u128::from(self.next()) << 64 | u128::from(self.next())) & mask
    }
}

fn widths() -> Vec<Width> {
    Width::ALL.into_iter().filter(|w| w.is_lock_free()).collect()
}

/// What the model says `op` leaves in memory, given the previous value and the operand.
fn model(op: OpType, old: u128, operand: u128, mask: u128) -> u128 {
    let new = match op {
        OpType::Exchange => operand,
        OpType::Or | OpType::FetchOr => old | operand,
        OpType::Xor | OpType::FetchXor => old ^ operand,
        OpType::And | OpType::FetchAnd => old & operand,
        OpType::Not | OpType::FetchNot => !old,
        OpType::Add | OpType::FetchAdd => old.wrapping_add(operand),
        OpType::Sub | OpType::FetchSub => old.wrapping_sub(operand),
        OpType::Inc | OpType::FetchInc => old.wrapping_add(1),
        OpType::Dec | OpType::FetchDec => old.wrapping_sub(1),
        OpType::Neg | OpType::FetchNeg => old.wrapping_neg(),
        other => panic!("{other:?} is not modelled here"),
    };
    new & mask
}

#[test]
fn read_modify_writes_match_the_model() {
    let rmw_ops: Vec<OpType> = OpType::ALL
        .into_iter()
        .filter(|op| (OpType::Or.value()..=OpType::FetchNeg.value()).contains(&op.value()) || *op == OpType::Exchange)
        .collect();
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    for width in widths() {
        let mut cell = Cell([0; 16]);
        // SAFETY: `cell` outlives the region and is only accessed through it.
        let region = unsafe { Region::new(cell.0.as_mut_ptr(), width.bytes(), false) }.unwrap();
        let mask = width.mask();
        for _ in 0..2000 {
            for &op in &rmw_ops {
                let start = rng.value(mask);
                let operand = rng.value(mask);
                let order = MemoryOrder::ALL[(rng.next() % 5) as usize];
                region.store(start, MemoryOrder::SeqCst).unwrap();
                let previous = region.read_modify_write(op, operand, order).unwrap();
                assert_eq!(previous, start, "{op:?} width {width:?}");
                let expected = model(op, start, operand, mask);
                assert_eq!(region.load(MemoryOrder::SeqCst).unwrap(), expected, "{op:?} {width:?}");
            }
        }
    }
}

#[test]
fn compare_exchange_and_bits_match_the_model() {
    let mut rng = Rng(7);
    for width in widths() {
        let mut cell = Cell([0; 16]);
        // SAFETY: `cell` outlives the region and is only accessed through it.
        let region = unsafe { Region::new(cell.0.as_mut_ptr(), width.bytes(), false) }.unwrap();
        let mask = width.mask();
        for _ in 0..2000 {
            let start = rng.value(mask);
            region.store(start, MemoryOrder::SeqCst).unwrap();
            let other = rng.value(mask) | 1;
            for op in [OpType::CmpxchgStrong, OpType::CmpxchgWeak] {
                let failed = region.compare_exchange(op, start ^ other, 0, MemoryOrder::SeqCst, MemoryOrder::SeqCst);
                assert_eq!(failed, Ok(Err(start)));
            }
            let desired = rng.value(mask);
            let ok = region.compare_exchange(
                OpType::CmpxchgStrong,
                start,
                desired,
                MemoryOrder::AcqRel,
                MemoryOrder::Acquire,
            );
            assert_eq!(ok, Ok(Ok(start)));
            assert_eq!(region.load(MemoryOrder::Acquire).unwrap(), desired);

            let index = (rng.next() % u64::from(width.bits())) as i64;
            let bit = 1u128 << index;
            let value = region.load(MemoryOrder::SeqCst).unwrap();
            assert_eq!(region.bit_test(index, MemoryOrder::SeqCst).unwrap(), value & bit != 0);
            assert_eq!(region.bit_modify(OpType::BitTestSet, index, MemoryOrder::SeqCst).unwrap(), value & bit != 0);
            assert_eq!(region.load(MemoryOrder::SeqCst).unwrap(), value | bit);
            assert!(region.bit_modify(OpType::BitTestCompl, index, MemoryOrder::Relaxed).unwrap());
            assert_eq!(region.load(MemoryOrder::SeqCst).unwrap(), value & !bit);
            assert!(!region.bit_modify(OpType::BitTestReset, index, MemoryOrder::Release).unwrap());
            assert_eq!(region.load(MemoryOrder::SeqCst).unwrap(), value & !bit);
        }
        assert_eq!(region.bit_test(i64::from(width.bits()), MemoryOrder::SeqCst), Err(Error::BitIndex));
        assert_eq!(region.bit_test(-1, MemoryOrder::SeqCst), Err(Error::BitIndex));
    }
}

#[test]
fn values_are_native_endian_bytes() {
    for width in widths() {
        let mut cell = Cell([0; 16]);
        let value = 0x0102_0304_0506_0708_090a_0b0c_0d0e_0f10u128 & width.mask();
        {
            // SAFETY: `cell` outlives the region and is only accessed through it.
            let region = unsafe { Region::new(cell.0.as_mut_ptr(), width.bytes(), false) }.unwrap();
            region.store(value, MemoryOrder::SeqCst).unwrap();
        }
        let n = width.bytes();
        let expected = if cfg!(target_endian = "little") {
            value.to_le_bytes()[..n].to_vec()
        } else {
            value.to_be_bytes()[16 - n..].to_vec()
        };
        assert_eq!(&cell.0[..n], &expected[..]);
    }
}

#[test]
fn refused_operations_leave_memory_unchanged() {
    for width in widths() {
        let mut cell = Cell([0xa5; 16]);
        let n = width.bytes();
        // SAFETY: `cell` outlives the region; a read-only region never writes.
        let region = unsafe { Region::new(cell.0.as_mut_ptr(), n, !width.has_read_only_load()) };
        let Ok(region) = region else { continue };
        let before = region.load(MemoryOrder::SeqCst).unwrap();
        assert!(region.store(1, MemoryOrder::Acquire).is_err());
        assert!(region
            .compare_exchange(OpType::CmpxchgStrong, before, 0, MemoryOrder::Relaxed, MemoryOrder::SeqCst)
            .is_err());
        assert!(region.load(MemoryOrder::Release).is_err());
        assert_eq!(region.load(MemoryOrder::SeqCst).unwrap(), before);
    }
}

#[test]
fn read_only_regions_only_read() {
    for width in Width::ALL.into_iter().filter(|w| w.has_read_only_load()) {
        let mut cell = Cell([0x11; 16]);
        // SAFETY: `cell` outlives the region; a read-only region never writes.
        let region = unsafe { Region::new(cell.0.as_mut_ptr(), width.bytes(), true) }.unwrap();
        assert_eq!(region.load(MemoryOrder::SeqCst).unwrap(), 0x1111_1111_1111_1111_1111_1111_1111_1111 & width.mask());
        assert!(region.bit_test(0, MemoryOrder::Acquire).unwrap());
        for op in OpType::ALL.into_iter().filter(|op| !op.is_read_only()) {
            let refused = Error::UnsupportedOperation { op, width: width.bytes(), readonly: true };
            assert_eq!(region.check_supported(op), Err(refused));
        }
        assert!(region.read_modify_write(OpType::FetchAdd, 1, MemoryOrder::SeqCst).is_err());
        assert!(region.store(0, MemoryOrder::SeqCst).is_err());
        assert!(cell.0.iter().all(|&b| b == 0x11));
    }
}

#[test]
fn unsupported_widths_and_misalignment_are_refused() {
    let mut cell = Cell([0; 16]);
    let ptr = cell.0.as_mut_ptr();
    for len in [0, 3, 5, 6, 7, 9, 12, 15, 17, 32] {
        for readonly in [false, true] {
            // SAFETY: refused before any access.
            let refused = unsafe { Region::new(ptr, len, readonly) }.unwrap_err();
            assert_eq!(refused, Error::UnsupportedWidth { width: len, readonly });
        }
    }
    for width in widths().into_iter().filter(|w| w.bytes() > 1) {
        // SAFETY: refused before any access.
        let refused = unsafe { Region::new(ptr.wrapping_add(1), width.bytes(), false) }.unwrap_err();
        assert_eq!(refused, Error::Alignment { width: width.bytes(), address: ptr as usize + 1 });
    }
}

#[test]
fn threads_count_exactly() {
    const THREADS: usize = 4;
    const PER_THREAD: u128 = 50_000;
    for width in widths().into_iter().filter(|w| w.bytes() >= 4) {
        let mut cell = Cell([0; 16]);
        // SAFETY: `cell` outlives the scoped threads and is only accessed through the region.
        let region = unsafe { Region::new(cell.0.as_mut_ptr(), width.bytes(), false) }.unwrap();
        std::thread::scope(|s| {
            for t in 0..THREADS {
                let region = &region;
                s.spawn(move || {
                    for i in 0..PER_THREAD {
                        let op = [OpType::Inc, OpType::FetchAdd, OpType::FetchInc][(i as usize + t) % 3];
                        region.read_modify_write(op, 1, MemoryOrder::Relaxed).unwrap();
                    }
                });
            }
        });
        assert_eq!(region.load(MemoryOrder::SeqCst).unwrap(), THREADS as u128 * PER_THREAD);
    }
}

fn sext(bits: u128, width: Width) -> i128 {
    let shift = 128 - width.bits();
    ((bits << shift) as i128) >> shift
}

#[test]
fn signed_and_unsigned_arithmetic_match_the_model() {
    let mut rng = Rng(42);
    for width in widths() {
        let mut cell = Cell([0; 16]);
        // SAFETY: `cell` outlives the region and is only accessed through it.
        let region = unsafe { Region::new(cell.0.as_mut_ptr(), width.bytes(), false) }.unwrap();
        let mask = width.mask();
        let (min, max) = (-(1i128 << (width.bits() - 1).min(126)), (1i128 << (width.bits() - 1).min(126)) - 1);
        for round in 0..3000 {
            let signed = round % 2 == 0;
            // Values near the limits half of the time, so that overflow is exercised.
            let near = |rng: &mut Rng| match rng.next() % 4 {
                0 => rng.value(mask),
                1 => rng.next() as u128 % 4,
                2 => mask.wrapping_sub(rng.next() as u128 % 4) & mask,
                _ => (mask >> 1).wrapping_add(rng.next() as u128 % 4).wrapping_sub(2) & mask,
            };
            let (start, operand) = (near(&mut rng), near(&mut rng));
            let order = MemoryOrder::ALL[(rng.next() % 5) as usize];
            for op in [
                OpType::FetchMax,
                OpType::FetchMin,
                OpType::AddFetch,
                OpType::SubFetch,
                OpType::IncFetch,
                OpType::DecFetch,
                OpType::CheckedFetchAdd,
                OpType::CheckedFetchSub,
            ] {
                region.store(start, MemoryOrder::SeqCst).unwrap();
                let got = region.arithmetic(op, operand, order, signed);
                // Unsigned 16-byte values do not fit i128: the checked model below uses u128 then.
                let (a, b) =
                    if signed { (sext(start, width), sext(operand, width)) } else { (start as i128, operand as i128) };
                let wide = |v: i128| v as u128 & mask;
                let (expected_result, expected_memory) = match op {
                    OpType::FetchMax | OpType::FetchMin => {
                        let greater = if signed { b > a } else { operand > start };
                        (
                            Ok(start),
                            if greater == (op == OpType::FetchMax) && operand != start { operand } else { start },
                        )
                    }
                    OpType::AddFetch => (Ok(start.wrapping_add(operand) & mask), start.wrapping_add(operand) & mask),
                    OpType::SubFetch => (Ok(start.wrapping_sub(operand) & mask), start.wrapping_sub(operand) & mask),
                    OpType::IncFetch => (Ok(start.wrapping_add(1) & mask), start.wrapping_add(1) & mask),
                    OpType::DecFetch => (Ok(start.wrapping_sub(1) & mask), start.wrapping_sub(1) & mask),
                    _ => {
                        let add = op == OpType::CheckedFetchAdd;
                        let result = if signed {
                            let exact = if add { a.checked_add(b) } else { a.checked_sub(b) };
                            exact.filter(|v| width == Width::W16 || (min..=max).contains(v)).map(wide)
                        } else {
                            let exact = if add { start.checked_add(operand) } else { start.checked_sub(operand) };
                            exact.filter(|v| *v <= mask)
                        };
                        match result {
                            Some(new) => (Ok(start), new),
                            None => (Err(Error::Overflow { op }), start),
                        }
                    }
                };
                assert_eq!(got, expected_result, "{op:?} width {width:?} signed {signed} {start:#x} {operand:#x}");
                assert_eq!(region.load(MemoryOrder::SeqCst).unwrap(), expected_memory, "{op:?} {width:?}");
            }
        }
    }
}

/// fetch_max / fetch_min of floats ignore a NaN operand, a signaling one too, on every CPU
/// (aarch64's `fmaxnm` alone would store a quiet NaN).
#[test]
fn float_max_and_min_ignore_every_nan_operand() {
    let nans64 = [f64::NAN.to_bits(), 0x7ff4_0000_0000_0001, 0xfff8_0000_0000_0000, 0x7ff0_0000_0000_0001];
    let nans32 = [f32::NAN.to_bits(), 0x7fa0_0001, 0xffc0_0000, 0x7f80_0001];
    let cases =
        [(8, 1.5f64.to_bits().into(), nans64.map(u128::from)), (4, 1.5f32.to_bits().into(), nans32.map(u128::from))];
    for (width, value, nans) in cases {
        for op in [OpType::FetchMax, OpType::FetchMin] {
            for nan in nans {
                let mut cell = Cell([0; 16]);
                // SAFETY: `cell` outlives the region and is only accessed through it.
                let region = unsafe { Region::new(cell.0.as_mut_ptr(), width, false) }.unwrap();
                region.store(value, MemoryOrder::SeqCst).unwrap();
                assert_eq!(region.float_arithmetic(op, nan, MemoryOrder::SeqCst), Ok(value));
                assert_eq!(region.load(MemoryOrder::SeqCst), Ok(value), "{op:?} of {nan:#x}, width {width}");
                // A NaN in memory is replaced by a number operand.
                region.store(nan, MemoryOrder::SeqCst).unwrap();
                assert_eq!(region.float_arithmetic(op, value, MemoryOrder::SeqCst), Ok(nan));
                assert_eq!(region.load(MemoryOrder::SeqCst), Ok(value), "{op:?} on {nan:#x}, width {width}");
            }
        }
    }
}
