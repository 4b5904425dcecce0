//! wait / notify between threads (the cross-process behaviour is tested from Python).

use std::time::{Duration, Instant};

use atomics_core::{Error, MemoryOrder, OpType, Operand, Region, ValueKind, WaitOutcome, Width};

#[repr(C, align(16))]
struct Cell([u8; 16]);

fn region(cell: &mut Cell, offset: usize, width: usize) -> Region {
    // SAFETY: the cell outlives every region made of it in these tests (scoped threads) and
    // is only accessed atomically.
    unsafe { Region::new(cell.0.as_mut_ptr().add(offset), width, false) }.unwrap()
}

#[test]
fn a_store_and_notify_wakes_the_waiter() {
    for width in [1, 2, 4, 8] {
        let mut cell = Cell([0; 16]);
        let r = region(&mut cell, 0, width);
        std::thread::scope(|s| {
            let waiter = s.spawn(|| r.wait(0, Some(Duration::from_secs(10))));
            std::thread::sleep(Duration::from_millis(20));
            r.store(1, MemoryOrder::SeqCst).unwrap();
            r.notify_all().unwrap();
            assert_eq!(waiter.join().unwrap(), Ok(WaitOutcome::Changed), "width {width}");
        });
    }
}

#[test]
fn a_change_of_the_high_half_of_eight_bytes_wakes() {
    let mut cell = Cell([0; 16]);
    let r = region(&mut cell, 8, 8);
    std::thread::scope(|s| {
        let waiter = s.spawn(|| {
            let start = Instant::now();
            (r.wait(7, Some(Duration::from_secs(10))), start.elapsed())
        });
        r.store(7, MemoryOrder::SeqCst).unwrap();
        std::thread::sleep(Duration::from_millis(20));
        r.store(7 | 1 << 40, MemoryOrder::SeqCst).unwrap();
        r.notify_one().unwrap();
        let (outcome, took) = waiter.join().unwrap();
        assert_eq!(outcome, Ok(WaitOutcome::Changed));
        assert!(took < Duration::from_secs(5));
    });
}

#[test]
fn a_different_value_returns_at_once_and_an_equal_one_times_out() {
    let mut cell = Cell([0; 16]);
    let r = region(&mut cell, 4, 4);
    r.store(3, MemoryOrder::SeqCst).unwrap();
    assert_eq!(r.wait(2, None), Ok(WaitOutcome::Changed));
    let start = Instant::now();
    assert_eq!(r.wait(3, Some(Duration::from_millis(50))), Ok(WaitOutcome::TimedOut));
    let took = start.elapsed();
    assert!(took >= Duration::from_millis(50) && took < Duration::from_secs(2), "{took:?}");
}

#[test]
fn neighbours_changing_do_not_end_a_one_byte_wait() {
    let mut cell = Cell([0; 16]);
    let ptr = cell.0.as_mut_ptr();
    // SAFETY: as in `region`.
    let (mine, neighbour) =
        unsafe { (Region::new(ptr, 1, false).unwrap(), Region::new(ptr.add(1), 1, false).unwrap()) };
    std::thread::scope(|s| {
        let waiter = s.spawn(|| mine.wait(0, Some(Duration::from_millis(300))));
        for _ in 0..20 {
            neighbour.apply(OpType::Inc, ValueKind::Uint, Operand::None, MemoryOrder::SeqCst).unwrap();
            neighbour.notify_all().unwrap();
            std::thread::sleep(Duration::from_millis(5));
        }
        assert_eq!(waiter.join().unwrap(), Ok(WaitOutcome::TimedOut));
    });
}

#[test]
fn notify_all_wakes_every_waiter() {
    let mut cell = Cell([0; 16]);
    let r = region(&mut cell, 0, 4);
    std::thread::scope(|s| {
        let waiters: Vec<_> = (0..6).map(|_| s.spawn(|| r.wait(0, Some(Duration::from_secs(10))))).collect();
        std::thread::sleep(Duration::from_millis(30));
        r.store(9, MemoryOrder::SeqCst).unwrap();
        r.notify_all().unwrap();
        for w in waiters {
            assert_eq!(w.join().unwrap(), Ok(WaitOutcome::Changed));
        }
    });
}

#[test]
fn sixteen_bytes_cannot_wait() {
    if !Width::W16.is_lock_free() {
        return;
    }
    let mut cell = Cell([0; 16]);
    let r = region(&mut cell, 0, 16);
    assert_eq!(r.wait(0, None), Err(Error::WaitUnsupported { width: 16 }));
    assert_eq!(r.notify_one(), Err(Error::WaitUnsupported { width: 16 }));
}
