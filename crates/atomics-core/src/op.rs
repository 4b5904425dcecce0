//! The operations, numbered as `atomics` 1.0 numbers its `OpType`, and which of them exist
//! for a region of a given width and access.

use crate::Width;

macro_rules! op_types {
    ($($(#[$doc:meta])* $variant:ident = $value:literal, $name:literal;)*) => {
        /// One kind of atomic operation.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
        #[repr(u8)]
        pub enum OpType {
            $($(#[$doc])* $variant = $value,)*
        }

        impl OpType {
            /// Every operation, by ascending value.
            pub const ALL: [OpType; 35] = [$(OpType::$variant,)*];

            /// The operation whose value is `value` (1 to 35).
            pub const fn from_value(value: i64) -> Option<OpType> {
                match value {
                    $($value => Some(OpType::$variant),)*
                    _ => None,
                }
            }

            /// The name `atomics` uses for this operation (`"FETCH_ADD"`, ...).
            pub const fn name(self) -> &'static str {
                match self {
                    $(OpType::$variant => $name,)*
                }
            }
        }
    };
}

op_types! {
    /// Write a value.
    Store = 1, "STORE";
    /// Read the value.
    Load = 2, "LOAD";
    /// Write a value, returning the previous one.
    Exchange = 3, "EXCHANGE";
    /// Compare-exchange that may fail spuriously.
    CmpxchgWeak = 4, "CMPXCHG_WEAK";
    /// Compare-exchange that fails only when the value differs.
    CmpxchgStrong = 5, "CMPXCHG_STRONG";
    /// Read one bit.
    BitTest = 6, "BIT_TEST";
    /// Complement one bit, returning its previous value.
    BitTestCompl = 7, "BIT_TEST_COMPL";
    /// Set one bit, returning its previous value.
    BitTestSet = 8, "BIT_TEST_SET";
    /// Clear one bit, returning its previous value.
    BitTestReset = 9, "BIT_TEST_RESET";
    /// Bitwise or.
    Or = 10, "OR";
    /// Bitwise exclusive or.
    Xor = 11, "XOR";
    /// Bitwise and.
    And = 12, "AND";
    /// Bitwise complement.
    Not = 13, "NOT";
    /// Bitwise or, returning the previous value.
    FetchOr = 14, "FETCH_OR";
    /// Bitwise exclusive or, returning the previous value.
    FetchXor = 15, "FETCH_XOR";
    /// Bitwise and, returning the previous value.
    FetchAnd = 16, "FETCH_AND";
    /// Bitwise complement, returning the previous value.
    FetchNot = 17, "FETCH_NOT";
    /// Wrapping addition.
    Add = 18, "ADD";
    /// Wrapping subtraction.
    Sub = 19, "SUB";
    /// Wrapping increment.
    Inc = 20, "INC";
    /// Wrapping decrement.
    Dec = 21, "DEC";
    /// Two's complement negation.
    Neg = 22, "NEG";
    /// Wrapping addition, returning the previous value.
    FetchAdd = 23, "FETCH_ADD";
    /// Wrapping subtraction, returning the previous value.
    FetchSub = 24, "FETCH_SUB";
    /// Wrapping increment, returning the previous value.
    FetchInc = 25, "FETCH_INC";
    /// Wrapping decrement, returning the previous value.
    FetchDec = 26, "FETCH_DEC";
    /// Two's complement negation, returning the previous value.
    FetchNeg = 27, "FETCH_NEG";
    /// Maximum with the operand (signed or unsigned), returning the previous value.
    FetchMax = 28, "FETCH_MAX";
    /// Minimum with the operand (signed or unsigned), returning the previous value.
    FetchMin = 29, "FETCH_MIN";
    /// Wrapping addition, returning the new value.
    AddFetch = 30, "ADD_FETCH";
    /// Wrapping subtraction, returning the new value.
    SubFetch = 31, "SUB_FETCH";
    /// Wrapping increment, returning the new value.
    IncFetch = 32, "INC_FETCH";
    /// Wrapping decrement, returning the new value.
    DecFetch = 33, "DEC_FETCH";
    /// Addition that refuses to overflow (the value stays), returning the previous value.
    CheckedFetchAdd = 34, "CHECKED_FETCH_ADD";
    /// Subtraction that refuses to overflow (the value stays), returning the previous value.
    CheckedFetchSub = 35, "CHECKED_FETCH_SUB";
}

/// What arithmetic a region's value admits, which decides the operations it has.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Arithmetic {
    /// Raw bits (bytes, `ANY`): no arithmetic.
    None,
    /// Integers: every operation.
    Integer,
    /// IEEE floats of 4 or 8 bytes: load, store, exchange, compare-exchange (bitwise) and
    /// `FETCH_ADD`, `FETCH_SUB`, `FETCH_MAX`, `FETCH_MIN`.
    Float,
}

impl Arithmetic {
    /// Whether `op` exists for values of this kind.
    pub const fn has(self, op: OpType) -> bool {
        match self {
            Arithmetic::Integer => true,
            Arithmetic::None => !op.is_arithmetic(),
            Arithmetic::Float => matches!(
                op,
                OpType::Store
                    | OpType::Load
                    | OpType::Exchange
                    | OpType::CmpxchgWeak
                    | OpType::CmpxchgStrong
                    | OpType::FetchAdd
                    | OpType::FetchSub
                    | OpType::FetchMax
                    | OpType::FetchMin
            ),
        }
    }

    /// Whether values of this kind exist at `width` (floats: 4 and 8 bytes).
    pub const fn has_width(self, width: Width) -> bool {
        match self {
            Arithmetic::Float => matches!(width, Width::W4 | Width::W8),
            _ => true,
        }
    }
}

impl OpType {
    /// The value of this operation (1 to 35; 1 to 27 are those of `atomics` 1.0).
    pub const fn value(self) -> u8 {
        self as u8
    }

    /// Whether the operation only reads memory (`LOAD`, `BIT_TEST`).
    pub const fn is_read_only(self) -> bool {
        matches!(self, OpType::Load | OpType::BitTest)
    }

    /// Whether the operation is integer arithmetic (`ADD` and later), which exists only for
    /// integral atomics.
    pub const fn is_arithmetic(self) -> bool {
        self as u8 >= OpType::Add as u8
    }

    /// Whether this operation exists for a region of `width` that is `readonly` or not,
    /// holding values of the given `arithmetic`.
    ///
    /// A read-only region allows only operations that never write, and only where the
    /// hardware can read it without writing: a 16-byte load must be a true 16-byte load, not
    /// a compare-exchange.
    pub fn is_supported(self, width: Width, readonly: bool, arithmetic: Arithmetic) -> bool {
        if !arithmetic.has(self) || !arithmetic.has_width(width) {
            return false;
        }
        if readonly {
            self.is_read_only() && width.has_read_only_load()
        } else {
            width.is_lock_free()
        }
    }
}

/// The operations that exist for a region, by ascending value (`ops_supported` in Python).
pub fn supported_ops(width: Width, readonly: bool, arithmetic: Arithmetic) -> impl Iterator<Item = OpType> {
    OpType::ALL.into_iter().filter(move |op| op.is_supported(width, readonly, arithmetic))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_are_dense_from_one() {
        for (i, op) in OpType::ALL.into_iter().enumerate() {
            assert_eq!(usize::from(op.value()), i + 1);
            assert_eq!(OpType::from_value(i as i64 + 1), Some(op));
        }
        assert_eq!(OpType::from_value(0), None);
        assert_eq!(OpType::from_value(36), None);
    }

    #[test]
    fn support_table_matches_atomics_1_0_for_native_widths() {
        for width in [Width::W1, Width::W2, Width::W4, Width::W8] {
            assert_eq!(supported_ops(width, false, Arithmetic::Integer).count(), 35);
            assert_eq!(supported_ops(width, false, Arithmetic::None).count(), 17);
            let read_only: Vec<_> = supported_ops(width, true, Arithmetic::Integer).collect();
            assert_eq!(read_only, [OpType::Load, OpType::BitTest]);
        }
    }

    #[test]
    fn floats_have_nine_operations_at_four_and_eight_bytes() {
        for width in Width::ALL {
            let n = supported_ops(width, false, Arithmetic::Float).count();
            assert_eq!(n, if matches!(width, Width::W4 | Width::W8) { 9 } else { 0 });
        }
        let read_only: Vec<_> = supported_ops(Width::W8, true, Arithmetic::Float).collect();
        assert_eq!(read_only, [OpType::Load]);
    }

    #[test]
    fn sixteen_bytes_are_all_or_nothing() {
        let n = supported_ops(Width::W16, false, Arithmetic::Integer).count();
        assert_eq!(n, if Width::W16.is_lock_free() { 35 } else { 0 });
        let r = supported_ops(Width::W16, true, Arithmetic::Integer).count();
        assert_eq!(r, if Width::W16.has_read_only_load() { 2 } else { 0 });
    }
}
