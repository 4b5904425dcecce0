//! The table of operations, and what the core derives from it: which operations each kind of
//! value has on which memory (`ops_supported`), and what each operation does
//! ([`Region::apply`](crate::Region::apply) matches on its [`Core`]).
//!
//! Every method of an atomic is one row of [`operations!`]: its number (as `atomics` 1.0
//! numbers its `OpType`, 1 to 27, then 28 to 35; the methods beyond `OpType` have none), its
//! names, its parameters, what it returns, the families of values that have it, what the
//! core does, and its documentation. The Python binding builds every method, its parameters
//! and its docstring from the same rows. Adding an operation is adding a row, plus an arm in
//! `Region::apply` when its [`Core`] is new.

use crate::Width;

/// The table: calls `$callback! { ops: [rows], methods: [rows] }`.
///
/// A row of `ops` is `(Variant, number, "NAME", "method", [parameters], returns, [families],
/// core, "doc")`; a row of `methods` (the methods that are not operations of `OpType`: they
/// wait, wake, or call back into the caller) is `(Variant, "method", [parameters], returns,
/// [families], "doc")`. Parameters are [`Param`]s, `returns` a [`Returns`], families
/// [`Family`]s and `core` a [`Core`] expression (in scope in `op.rs`). A `doc` names the
/// parameters with backquotes; the binding adds the call signature and, for arrays, the index.
#[macro_export]
macro_rules! operations {
    ($callback:path) => {
        $callback! {
            ops: [
                (Store, 1, "STORE", "store", [Desired, Order], Nothing, [Int, Bytes, Float],
                    Core::Store, "Writes `desired`."),
                (Load, 2, "LOAD", "load", [Order], Value, [Int, Bytes, Float],
                    Core::Load, "Reads the value."),
                (Exchange, 3, "EXCHANGE", "exchange", [Desired, Order], Previous, [Int, Bytes, Float],
                    Core::Swap, "Writes `desired`, returning the previous value."),
                (CmpxchgWeak, 4, "CMPXCHG_WEAK", "cmpxchg_weak", [Expected, Desired, SuccessOrder, FailureOrder],
                    Exchanged, [Int, Bytes, Float], Core::CompareExchange { weak: true },
                    "Compare-exchange that may fail spuriously: if the value equals `expected`, writes \
`desired`. Returns CmpxchgResult(success, expected or the value found). Floats \
compare bits (so -0.0 != 0.0 and a NaN matches the same NaN)."),
                (CmpxchgStrong, 5, "CMPXCHG_STRONG", "cmpxchg_strong", [Expected, Desired, SuccessOrder, FailureOrder],
                    Exchanged, [Int, Bytes, Float], Core::CompareExchange { weak: false },
                    "Compare-exchange that fails only when the value differs from `expected`: otherwise \
writes `desired`. Returns CmpxchgResult(success, expected or the value found). \
Floats compare bits (so -0.0 != 0.0 and a NaN matches the same NaN)."),
                (BitTest, 6, "BIT_TEST", "bit_test", [Bit, Order], Bit, [Int, Bytes],
                    Core::BitTest, "Reads bit `index` (0 is the least significant)."),
                (BitTestCompl, 7, "BIT_TEST_COMPL", "bit_test_compl", [Bit, Order], Bit, [Int, Bytes],
                    Core::BitModify(Bitwise::Xor), "Complements bit `index`, returning its previous value."),
                (BitTestSet, 8, "BIT_TEST_SET", "bit_test_set", [Bit, Order], Bit, [Int, Bytes],
                    Core::BitModify(Bitwise::Or), "Sets bit `index`, returning its previous value."),
                (BitTestReset, 9, "BIT_TEST_RESET", "bit_test_reset", [Bit, Order], Bit, [Int, Bytes],
                    Core::BitModify(Bitwise::AndNot), "Clears bit `index`, returning its previous value."),
                (Or, 10, "OR", "bin_or", [Value, Order], Nothing, [Int, Bytes],
                    Core::Bitwise(Bitwise::Or), "Bitwise or with `value`."),
                (Xor, 11, "XOR", "bin_xor", [Value, Order], Nothing, [Int, Bytes],
                    Core::Bitwise(Bitwise::Xor), "Bitwise exclusive or with `value`."),
                (And, 12, "AND", "bin_and", [Value, Order], Nothing, [Int, Bytes],
                    Core::Bitwise(Bitwise::And), "Bitwise and with `value`."),
                (Not, 13, "NOT", "bin_not", [Order], Nothing, [Int, Bytes],
                    Core::Bitwise(Bitwise::Not), "Complements every bit."),
                (FetchOr, 14, "FETCH_OR", "bin_fetch_or", [Value, Order], Previous, [Int, Bytes],
                    Core::Bitwise(Bitwise::Or), "Bitwise or with `value`, returning the previous value."),
                (FetchXor, 15, "FETCH_XOR", "bin_fetch_xor", [Value, Order], Previous, [Int, Bytes],
                    Core::Bitwise(Bitwise::Xor), "Bitwise exclusive or with `value`, returning the previous value."),
                (FetchAnd, 16, "FETCH_AND", "bin_fetch_and", [Value, Order], Previous, [Int, Bytes],
                    Core::Bitwise(Bitwise::And), "Bitwise and with `value`, returning the previous value."),
                (FetchNot, 17, "FETCH_NOT", "bin_fetch_not", [Order], Previous, [Int, Bytes],
                    Core::Bitwise(Bitwise::Not), "Complements every bit, returning the previous value."),
                (Add, 18, "ADD", "add", [Value, Order], Nothing, [Int],
                    Core::Arithmetic(Arithmetic::Add), "Adds `value`, wrapping around."),
                (Sub, 19, "SUB", "sub", [Value, Order], Nothing, [Int],
                    Core::Arithmetic(Arithmetic::Sub), "Subtracts `value`, wrapping around."),
                (Inc, 20, "INC", "inc", [Order], Nothing, [Int],
                    Core::Arithmetic(Arithmetic::Inc), "Adds 1, wrapping around."),
                (Dec, 21, "DEC", "dec", [Order], Nothing, [Int],
                    Core::Arithmetic(Arithmetic::Dec), "Subtracts 1, wrapping around."),
                (Neg, 22, "NEG", "neg", [Order], Nothing, [Int],
                    Core::Arithmetic(Arithmetic::Neg), "Negates (two's complement: the minimum stays the minimum)."),
                (FetchAdd, 23, "FETCH_ADD", "fetch_add", [Value, Order], Previous, [Int, Float],
                    Core::Arithmetic(Arithmetic::Add),
                    "Adds `value` (wrapping around; IEEE addition for floats), returning the previous value."),
                (FetchSub, 24, "FETCH_SUB", "fetch_sub", [Value, Order], Previous, [Int, Float],
                    Core::Arithmetic(Arithmetic::Sub),
                    "Subtracts `value` (wrapping around; IEEE subtraction for floats), returning the previous value."),
                (FetchInc, 25, "FETCH_INC", "fetch_inc", [Order], Previous, [Int],
                    Core::Arithmetic(Arithmetic::Inc), "Adds 1, returning the previous value."),
                (FetchDec, 26, "FETCH_DEC", "fetch_dec", [Order], Previous, [Int],
                    Core::Arithmetic(Arithmetic::Dec), "Subtracts 1, returning the previous value."),
                (FetchNeg, 27, "FETCH_NEG", "fetch_neg", [Order], Previous, [Int],
                    Core::Arithmetic(Arithmetic::Neg), "Negates, returning the previous value."),
                (FetchMax, 28, "FETCH_MAX", "fetch_max", [Value, Order], Previous, [Int, Float],
                    Core::Arithmetic(Arithmetic::Max),
                    "Stores max(current, `value`) (for floats IEEE maxNum: a NaN `value` is ignored), \
returning the previous value."),
                (FetchMin, 29, "FETCH_MIN", "fetch_min", [Value, Order], Previous, [Int, Float],
                    Core::Arithmetic(Arithmetic::Min),
                    "Stores min(current, `value`) (for floats IEEE minNum: a NaN `value` is ignored), \
returning the previous value."),
                (AddFetch, 30, "ADD_FETCH", "add_fetch", [Value, Order], New, [Int],
                    Core::Arithmetic(Arithmetic::Add), "Adds `value`, wrapping around, returning the new value."),
                (SubFetch, 31, "SUB_FETCH", "sub_fetch", [Value, Order], New, [Int],
                    Core::Arithmetic(Arithmetic::Sub), "Subtracts `value`, wrapping around, returning the new value."),
                (IncFetch, 32, "INC_FETCH", "inc_fetch", [Order], New, [Int],
                    Core::Arithmetic(Arithmetic::Inc), "Adds 1, wrapping around, returning the new value."),
                (DecFetch, 33, "DEC_FETCH", "dec_fetch", [Order], New, [Int],
                    Core::Arithmetic(Arithmetic::Dec), "Subtracts 1, wrapping around, returning the new value."),
                (CheckedFetchAdd, 34, "CHECKED_FETCH_ADD", "checked_fetch_add", [Value, Order], Previous, [Int],
                    Core::Arithmetic(Arithmetic::CheckedAdd),
                    "Adds `value`, returning the previous value; raises OverflowError, leaving the value \
unchanged, if the sum does not fit."),
                (CheckedFetchSub, 35, "CHECKED_FETCH_SUB", "checked_fetch_sub", [Value, Order], Previous, [Int],
                    Core::Arithmetic(Arithmetic::CheckedSub),
                    "Subtracts `value`, returning the previous value; raises OverflowError, leaving the value \
unchanged, if the difference does not fit."),
            ],
            methods: [
                (Wait, "wait", [Old, Timeout], Changed, [Int, Bytes, Float],
                    "Blocks while the value equals `old` (for floats: has its bits): returns True once it \
differs (after a notify_one/notify_all from any thread or process), False if `timeout` \
seconds pass first. Releases the GIL while blocked; Ctrl-C interrupts it. Widths 1, 2, 4 \
and 8."),
                (NotifyOne, "notify_one", [], Nothing, [Int, Bytes, Float],
                    "Wakes one thread or process blocked in wait() on this memory."),
                (NotifyAll, "notify_all", [], Nothing, [Int, Bytes, Float],
                    "Wakes every thread and process blocked in wait() on this memory."),
                (Update, "update", [Function], OldAndNew, [Int, Bytes, Float],
                    "Replaces the value v by `fn`(v) atomically (a compare-exchange loop that calls `fn` again \
whenever another writer got there first); returns (old, new)."),
            ]
        }
    };
}

/// A parameter of a method, in the order the table lists them; the memory orders and the
/// timeout may be left out (`SEQ_CST`, no limit), every other one is required.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Param {
    /// The value to write (`desired`).
    Desired,
    /// The operand (`value`).
    Value,
    /// The value a compare-exchange expects (`expected`).
    Expected,
    /// A bit's index, 0 the least significant (`index`; on an array's element, `bit`).
    Bit,
    /// The memory order (`order`).
    Order,
    /// A compare-exchange's order on success (`success`; `succ` for bytes, as in 1.0).
    SuccessOrder,
    /// A compare-exchange's order on failure (`failure`; `fail` for bytes, as in 1.0).
    FailureOrder,
    /// The value `wait` waits to see change (`old`).
    Old,
    /// How long `wait` waits at most, in seconds (`timeout`).
    Timeout,
    /// The function `update` applies (`fn`).
    Function,
}

impl Param {
    /// Whether a call may leave the parameter out.
    pub const fn is_optional(self) -> bool {
        matches!(self, Param::Order | Param::SuccessOrder | Param::FailureOrder | Param::Timeout)
    }
}

/// What a method returns.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Returns {
    /// Nothing (`None`).
    Nothing,
    /// The value read.
    Value,
    /// The value before the operation.
    Previous,
    /// The value after the operation.
    New,
    /// A bit's value before the operation.
    Bit,
    /// Whether a compare-exchange succeeded, and the value it expected or found.
    Exchanged,
    /// Whether the value changed before the timeout (`wait`).
    Changed,
    /// The value before and after (`update`).
    OldAndNew,
}

/// A family of values: which operations an atomic has.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Family {
    /// Integers, signed or unsigned: every operation.
    Int,
    /// Raw bytes: no arithmetic.
    Bytes,
    /// IEEE floats of 4 or 8 bytes: loads, stores, compare-exchange of the bits and the
    /// arithmetic that makes sense for them.
    Float,
}

/// A bitwise combination of the value with an operand (or a bit's mask).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Bitwise {
    /// `value | operand`
    Or,
    /// `value ^ operand`
    Xor,
    /// `value & operand`
    And,
    /// `value & !operand`
    AndNot,
    /// `!value` (no operand)
    Not,
}

impl Bitwise {
    /// The value after combining `value` with `operand`.
    pub const fn apply(self, value: u128, operand: u128) -> u128 {
        match self {
            Bitwise::Or => value | operand,
            Bitwise::Xor => value ^ operand,
            Bitwise::And => value & operand,
            Bitwise::AndNot => value & !operand,
            Bitwise::Not => !value,
        }
    }
}

/// Arithmetic on the value, by its kind: wrapping for integers, IEEE for floats.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Arithmetic {
    /// `value + operand`
    Add,
    /// `value - operand`
    Sub,
    /// `value + 1`
    Inc,
    /// `value - 1`
    Dec,
    /// `-value`
    Neg,
    /// The greater of the value and the operand (signed or not; floats: IEEE maxNum).
    Max,
    /// The smaller (floats: IEEE minNum).
    Min,
    /// `value + operand`, refused when it does not fit.
    CheckedAdd,
    /// `value - operand`, refused when it does not fit.
    CheckedSub,
}

/// What the core does for an operation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Core {
    /// An atomic load.
    Load,
    /// An atomic store.
    Store,
    /// An atomic exchange.
    Swap,
    /// A compare-exchange (`weak`: it may fail spuriously).
    CompareExchange {
        /// Whether it may fail spuriously.
        weak: bool,
    },
    /// An atomic load, of which one bit is read.
    BitTest,
    /// A bitwise read-modify-write of one bit's mask.
    BitModify(Bitwise),
    /// A bitwise read-modify-write.
    Bitwise(Bitwise),
    /// Arithmetic: one read-modify-write instruction where the hardware has it, otherwise one
    /// compare-exchange loop.
    Arithmetic(Arithmetic),
}

macro_rules! define_op_types {
    (
        ops: [$(($variant:ident, $value:literal, $name:literal, $method:literal, [$($param:ident),*], $returns:ident,
                 [$($family:ident),*], $core:expr, $doc:literal)),* $(,)?],
        methods: [$(($m_variant:ident, $m_method:literal, [$($m_param:ident),*], $m_returns:ident,
                     [$($m_family:ident),*], $m_doc:literal)),* $(,)?]
    ) => {
        /// One kind of atomic operation, numbered as `atomics` 1.0 numbers its `OpType`.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
        #[repr(u8)]
        pub enum OpType {
            $(#[doc = $doc] $variant = $value,)*
        }

        impl OpType {
            /// Every operation, by ascending value.
            pub const ALL: [OpType; [$($value),*].len()] = [$(OpType::$variant,)*];

            /// The operation whose value is `value`.
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

            /// The name of its method (`"fetch_add"`, `"bin_or"`, ...).
            pub const fn method(self) -> &'static str {
                match self {
                    $(OpType::$variant => $method,)*
                }
            }

            /// Its parameters, in order.
            pub const fn params(self) -> &'static [Param] {
                match self {
                    $(OpType::$variant => &[$(Param::$param),*],)*
                }
            }

            /// What it returns.
            pub const fn returns(self) -> Returns {
                match self {
                    $(OpType::$variant => Returns::$returns,)*
                }
            }

            /// What the core does for it.
            pub const fn core(self) -> Core {
                match self {
                    $(OpType::$variant => $core,)*
                }
            }

            /// Whether values of `family` have it.
            pub const fn is_in(self, family: Family) -> bool {
                match self {
                    $(OpType::$variant => matches!(family, $(Family::$family)|*),)*
                }
            }

            /// What it does, naming its parameters in backquotes.
            pub const fn doc(self) -> &'static str {
                match self {
                    $(OpType::$variant => $doc,)*
                }
            }
        }

        /// The methods of every atomic that are not operations of `OpType`: they wait, wake, or
        /// call back into the caller.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        pub enum Method {
            $(#[doc = $m_doc] $m_variant,)*
        }

        impl Method {
            /// Every such method, in the table's order.
            pub const ALL: [Method; [$($m_method),*].len()] = [$(Method::$m_variant,)*];

            /// Its name.
            pub const fn method(self) -> &'static str {
                match self {
                    $(Method::$m_variant => $m_method,)*
                }
            }

            /// Its parameters, in order.
            pub const fn params(self) -> &'static [Param] {
                match self {
                    $(Method::$m_variant => &[$(Param::$m_param),*],)*
                }
            }

            /// What it returns.
            pub const fn returns(self) -> Returns {
                match self {
                    $(Method::$m_variant => Returns::$m_returns,)*
                }
            }

            /// Whether values of `family` have it.
            pub const fn is_in(self, family: Family) -> bool {
                match self {
                    $(Method::$m_variant => matches!(family, $(Family::$m_family)|*),)*
                }
            }

            /// What it does, naming its parameters in backquotes.
            pub const fn doc(self) -> &'static str {
                match self {
                    $(Method::$m_variant => $m_doc,)*
                }
            }
        }
    };
}

operations!(define_op_types);

/// What the bits of an atomic mean: raw bytes, a signed or an unsigned integer, or an IEEE
/// float. Its [`Family`] decides which operations it has; the kind decides what arithmetic
/// and comparisons mean.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ValueKind {
    /// Raw bytes.
    Bytes,
    /// A two's complement signed integer.
    Int,
    /// An unsigned integer.
    Uint,
    /// An IEEE float of the width (4 or 8 bytes).
    Float,
}

impl ValueKind {
    /// The integer kind of the given signedness.
    pub const fn integer(signed: bool) -> ValueKind {
        if signed {
            ValueKind::Int
        } else {
            ValueKind::Uint
        }
    }

    /// Its family.
    pub const fn family(self) -> Family {
        match self {
            ValueKind::Bytes => Family::Bytes,
            ValueKind::Int | ValueKind::Uint => Family::Int,
            ValueKind::Float => Family::Float,
        }
    }

    /// Whether values of this kind exist at `width` (floats: 4 and 8 bytes).
    pub const fn has_width(self, width: Width) -> bool {
        match self {
            ValueKind::Float => matches!(width, Width::W4 | Width::W8),
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
        matches!(self.core(), Core::Load | Core::BitTest)
    }

    /// Whether this operation exists for a region of `width` that is `readonly` or not,
    /// holding values of `kind`.
    ///
    /// A read-only region allows only operations that never write, and only where the
    /// hardware can read it without writing: a 16-byte load must be a true 16-byte load, not
    /// a compare-exchange.
    pub fn is_supported(self, width: Width, readonly: bool, kind: ValueKind) -> bool {
        if !self.is_in(kind.family()) || !kind.has_width(width) {
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
pub fn supported_ops(width: Width, readonly: bool, kind: ValueKind) -> impl Iterator<Item = OpType> {
    OpType::ALL.into_iter().filter(move |op| op.is_supported(width, readonly, kind))
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
            assert_eq!(supported_ops(width, false, ValueKind::Int).count(), 35);
            assert_eq!(supported_ops(width, false, ValueKind::Bytes).count(), 17);
            let read_only: Vec<_> = supported_ops(width, true, ValueKind::Uint).collect();
            assert_eq!(read_only, [OpType::Load, OpType::BitTest]);
        }
        // atomics 1.0's arithmetic (ADD and after) is the integers' alone
        for op in OpType::ALL {
            assert_eq!(op.is_in(Family::Bytes), op.value() < OpType::Add.value(), "{op:?}");
        }
    }

    #[test]
    fn floats_have_nine_operations_at_four_and_eight_bytes() {
        for width in Width::ALL {
            let n = supported_ops(width, false, ValueKind::Float).count();
            assert_eq!(n, if matches!(width, Width::W4 | Width::W8) { 9 } else { 0 });
        }
        let read_only: Vec<_> = supported_ops(Width::W8, true, ValueKind::Float).collect();
        assert_eq!(read_only, [OpType::Load]);
    }

    #[test]
    fn sixteen_bytes_are_all_or_nothing() {
        let n = supported_ops(Width::W16, false, ValueKind::Int).count();
        assert_eq!(n, if Width::W16.is_lock_free() { 35 } else { 0 });
        let r = supported_ops(Width::W16, true, ValueKind::Int).count();
        assert_eq!(r, if Width::W16.has_read_only_load() { 2 } else { 0 });
    }

    #[test]
    fn names_and_parameters_follow_the_rows() {
        for op in OpType::ALL {
            assert!(op.name().chars().all(|c| c.is_ascii_uppercase() || c == '_'), "{op:?}");
            assert!(op.method().chars().all(|c| c.is_ascii_lowercase() || c == '_'), "{op:?}");
            // every operation of OpType takes a memory order, last (compare-exchange: two)
            let params = op.params();
            let orders =
                params.iter().filter(|p| matches!(p, Param::Order | Param::SuccessOrder | Param::FailureOrder));
            assert!(orders.count() >= 1 && params.last().is_some_and(|p| p.is_optional()), "{op:?}");
        }
        assert_eq!(Method::ALL.map(Method::method), ["wait", "notify_one", "notify_all", "update"]);
    }
}
