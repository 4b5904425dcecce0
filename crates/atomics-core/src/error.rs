//! Why an operation was refused. The messages are those of `atomics` 1.0, double spaces
//! included, so that the Python package can show them unchanged.

use core::fmt;

use crate::{MemoryOrder, OpType};

/// Why the core refused an operation or a region. A refused operation never touches memory.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Error {
    /// No operation at all exists for regions of this width and access.
    UnsupportedWidth {
        /// The width asked for, in bytes.
        width: usize,
        /// Whether the region was read-only.
        readonly: bool,
    },
    /// This operation does not exist for this region (a write on read-only memory, ...).
    UnsupportedOperation {
        /// The operation refused.
        op: OpType,
        /// The region's width in bytes.
        width: usize,
        /// Whether the region is read-only.
        readonly: bool,
    },
    /// The operation cannot use this memory order.
    MemoryOrder {
        /// The operation refused.
        op: OpType,
        /// The order refused.
        order: MemoryOrder,
        /// Whether the order is a compare-exchange's failure order.
        is_fail: bool,
    },
    /// The address is not aligned to the width.
    Alignment {
        /// The width in bytes.
        width: usize,
        /// The misaligned address.
        address: usize,
    },
    /// A bit index outside `0..8 * width`.
    BitIndex,
    /// A checked operation would overflow; the value was left unchanged.
    Overflow {
        /// The operation refused.
        op: OpType,
    },
    /// wait/notify do not exist for this width (16).
    WaitUnsupported {
        /// The width in bytes.
        width: usize,
    },
    /// An element index outside an array of `len` elements.
    Index {
        /// The index asked for.
        index: usize,
        /// The array's length.
        len: usize,
    },
    /// A buffer whose size is not a multiple of the width of its atomics.
    ArraySize {
        /// The buffer's size in bytes.
        bytes: usize,
        /// The width of each atomic.
        width: usize,
    },
    /// A bulk operation was given a number of values or bytes that does not match.
    Length {
        /// What the operation names (`"values"`, `"out"`).
        what: &'static str,
        /// What is counted (`"items"`, `"bytes"`).
        unit: &'static str,
        /// The number needed.
        expected: usize,
        /// The number given.
        given: usize,
    },
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let readonly_word = |readonly: bool| if readonly { "readonly " } else { " " };
        match *self {
            Error::UnsupportedWidth { width, readonly } => write!(
                f,
                "No operations are supported on {}objects with a width of {width}.",
                if readonly { "readonly " } else { "" }
            ),
            Error::UnsupportedOperation { op, width, readonly } => write!(
                f,
                "Operation {} is not supported on {}objects with a width of {width}.",
                op.name(),
                readonly_word(readonly)
            ),
            Error::MemoryOrder { op, order, is_fail } => {
                let article = if op.name().starts_with(['A', 'E', 'I', 'O', 'U']) { "an" } else { "a" };
                let fail = if is_fail { "fail " } else { " " };
                write!(f, "{} is not a valid {fail}memory order for {article} {} operation.", order.name(), op.name())
            }
            Error::Alignment { width, address } => write!(
                f,
                "The alignment of address {address:#x} does not meet the recommended alignment \
                 requirements for atomic operations on objects with a width of {width}."
            ),
            Error::BitIndex => f.write_str("'index' value out of range."),
            Error::Overflow { op } => write!(f, "{} would overflow; the value is unchanged.", op.name()),
            Error::WaitUnsupported { width } => {
                write!(f, "wait and notify are not supported on objects with a width of {width}.")
            }
            Error::Index { index, len } => write!(f, "index {index} is out of range for an array of {len} atomics."),
            Error::ArraySize { bytes, width } => {
                write!(f, "a buffer of {bytes} bytes does not hold a whole number of atomics of width {width}.")
            }
            Error::Length { what, unit, expected, given } => {
                write!(f, "'{what}' has {given} {unit} where {expected} are needed.")
            }
        }
    }
}

impl std::error::Error for Error {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_match_atomics_1_0() {
        let cases = [
            (
                Error::MemoryOrder { op: OpType::Store, order: MemoryOrder::Acquire, is_fail: false },
                "ACQUIRE is not a valid  memory order for a STORE operation.",
            ),
            (
                Error::MemoryOrder { op: OpType::Exchange, order: MemoryOrder::Release, is_fail: false },
                "RELEASE is not a valid  memory order for an EXCHANGE operation.",
            ),
            (
                Error::MemoryOrder { op: OpType::CmpxchgWeak, order: MemoryOrder::Release, is_fail: true },
                "RELEASE is not a valid fail memory order for a CMPXCHG_WEAK operation.",
            ),
            (
                Error::UnsupportedWidth { width: 3, readonly: false },
                "No operations are supported on objects with a width of 3.",
            ),
            (
                Error::UnsupportedWidth { width: 3, readonly: true },
                "No operations are supported on readonly objects with a width of 3.",
            ),
            (
                Error::UnsupportedOperation { op: OpType::Store, width: 4, readonly: true },
                "Operation STORE is not supported on readonly objects with a width of 4.",
            ),
            (
                Error::UnsupportedOperation { op: OpType::Add, width: 3, readonly: false },
                "Operation ADD is not supported on  objects with a width of 3.",
            ),
            (
                Error::Alignment { width: 8, address: 0xd355_0851 },
                "The alignment of address 0xd3550851 does not meet the recommended alignment \
                 requirements for atomic operations on objects with a width of 8.",
            ),
        ];
        for (error, message) in cases {
            assert_eq!(error.to_string(), message);
        }
    }
}
