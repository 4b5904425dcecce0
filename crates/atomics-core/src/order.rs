//! Memory orders and every rule about which order an operation accepts, in one place.
//!
//! The numbering is C11's `memory_order` without `consume` (1), as in `atomics` 1.0.

use core::sync::atomic::Ordering;

use crate::op::Core;
use crate::{Error, OpType};

/// The memory order of one atomic operation.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[repr(u8)]
pub enum MemoryOrder {
    /// No ordering, only atomicity.
    Relaxed = 0,
    /// Later reads and writes stay after this load.
    Acquire = 2,
    /// Earlier reads and writes stay before this store.
    Release = 3,
    /// Both `Acquire` and `Release` (read-modify-write operations).
    AcqRel = 4,
    /// `AcqRel` plus a single total order of all `SeqCst` operations.
    SeqCst = 5,
}

impl MemoryOrder {
    /// Every order, by ascending value.
    pub const ALL: [MemoryOrder; 5] =
        [MemoryOrder::Relaxed, MemoryOrder::Acquire, MemoryOrder::Release, MemoryOrder::AcqRel, MemoryOrder::SeqCst];

    /// The order whose C11 value is `value` (0, 2, 3, 4 or 5).
    pub const fn from_value(value: i64) -> Option<MemoryOrder> {
        match value {
            0 => Some(MemoryOrder::Relaxed),
            2 => Some(MemoryOrder::Acquire),
            3 => Some(MemoryOrder::Release),
            4 => Some(MemoryOrder::AcqRel),
            5 => Some(MemoryOrder::SeqCst),
            _ => None,
        }
    }

    /// The C11 value of this order.
    pub const fn value(self) -> u8 {
        self as u8
    }

    /// The name `atomics` uses for this order (`"SEQ_CST"`, ...).
    pub const fn name(self) -> &'static str {
        match self {
            MemoryOrder::Relaxed => "RELAXED",
            MemoryOrder::Acquire => "ACQUIRE",
            MemoryOrder::Release => "RELEASE",
            MemoryOrder::AcqRel => "ACQ_REL",
            MemoryOrder::SeqCst => "SEQ_CST",
        }
    }

    /// Whether a store may use this order: `RELAXED`, `RELEASE` or `SEQ_CST`.
    pub const fn is_valid_store_order(self) -> bool {
        matches!(self, MemoryOrder::Relaxed | MemoryOrder::Release | MemoryOrder::SeqCst)
    }

    /// Whether a load may use this order: `RELAXED`, `ACQUIRE` or `SEQ_CST`.
    pub const fn is_valid_load_order(self) -> bool {
        matches!(self, MemoryOrder::Relaxed | MemoryOrder::Acquire | MemoryOrder::SeqCst)
    }

    /// Whether `self` may be the failure order of a compare-exchange whose success order is
    /// `success`: a load order no stronger than `success` (by value, as in `atomics` 1.0, so
    /// `RELEASE` success with `ACQUIRE` failure is accepted).
    pub const fn is_valid_fail_order(self, success: MemoryOrder) -> bool {
        self as u8 <= success as u8 && self.is_valid_load_order()
    }

    /// The order of the load and of the failed compare-exchange inside a CAS loop that
    /// implements a read-modify-write with order `self`: `RELEASE` and `ACQ_REL` become
    /// `ACQUIRE`, every other order is kept.
    pub const fn cas_loop_load_order(self) -> MemoryOrder {
        match self {
            MemoryOrder::Release | MemoryOrder::AcqRel => MemoryOrder::Acquire,
            other => other,
        }
    }

    /// The Rust ordering with the same meaning.
    pub const fn ordering(self) -> Ordering {
        match self {
            MemoryOrder::Relaxed => Ordering::Relaxed,
            MemoryOrder::Acquire => Ordering::Acquire,
            MemoryOrder::Release => Ordering::Release,
            MemoryOrder::AcqRel => Ordering::AcqRel,
            MemoryOrder::SeqCst => Ordering::SeqCst,
        }
    }
}

/// Checks the order of a single-order operation, giving [`Error::MemoryOrder`] when `op`
/// cannot use it.
///
/// Loads (`LOAD`, `BIT_TEST`) take load orders, `STORE` takes store orders, and every
/// read-modify-write takes every order.
#[inline]
pub fn check_order(op: OpType, order: MemoryOrder) -> Result<(), Error> {
    let valid = match op.core() {
        Core::Store => order.is_valid_store_order(),
        Core::Load | Core::BitTest => order.is_valid_load_order(),
        _ => true,
    };
    if valid {
        Ok(())
    } else {
        Err(Error::MemoryOrder { op, order, is_fail: false })
    }
}

/// Checks the failure order of a compare-exchange against its success order.
#[inline]
pub fn check_fail_order(op: OpType, success: MemoryOrder, failure: MemoryOrder) -> Result<(), Error> {
    if failure.is_valid_fail_order(success) {
        Ok(())
    } else {
        Err(Error::MemoryOrder { op, order: failure, is_fail: true })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_round_trip_and_consume_is_absent() {
        for order in MemoryOrder::ALL {
            assert_eq!(MemoryOrder::from_value(order.value().into()), Some(order));
        }
        assert_eq!(MemoryOrder::from_value(1), None);
        assert_eq!(MemoryOrder::from_value(6), None);
        assert_eq!(MemoryOrder::from_value(-1), None);
    }

    #[test]
    fn fail_order_table_matches_atomics_1_0() {
        use MemoryOrder::*;
        let valid = |s: MemoryOrder| -> Vec<MemoryOrder> {
            MemoryOrder::ALL.into_iter().filter(|f| f.is_valid_fail_order(s)).collect()
        };
        assert_eq!(valid(Relaxed), [Relaxed]);
        assert_eq!(valid(Acquire), [Relaxed, Acquire]);
        assert_eq!(valid(Release), [Relaxed, Acquire]);
        assert_eq!(valid(AcqRel), [Relaxed, Acquire]);
        assert_eq!(valid(SeqCst), [Relaxed, Acquire, SeqCst]);
    }

    #[test]
    fn loads_and_stores_take_their_own_orders() {
        use MemoryOrder::*;
        for order in MemoryOrder::ALL {
            let load_ok = matches!(order, Relaxed | Acquire | SeqCst);
            let store_ok = matches!(order, Relaxed | Release | SeqCst);
            assert_eq!(check_order(OpType::Load, order).is_ok(), load_ok);
            assert_eq!(check_order(OpType::BitTest, order).is_ok(), load_ok);
            assert_eq!(check_order(OpType::Store, order).is_ok(), store_ok);
            assert!(check_order(OpType::FetchAdd, order).is_ok());
            assert!(check_order(OpType::Exchange, order).is_ok());
        }
    }
}
