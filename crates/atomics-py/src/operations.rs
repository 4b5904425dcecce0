//! The methods of atomics and arrays of atomics, made from the core's table of operations
//! (`atomics_core::operations!`): for each row, one method for single atomics and one for an
//! array's elements (the element's `index` first), with the parameters, the result and the
//! docstring the row gives, installed on each concrete Python class by `install_operations`
//! (see `fastcall.rs` for why), for the rows of its family. The arrays' bulk forms
//! (`add_at`, ...) come from the same rows: each is the family's operation that does what
//! its [`Core`] says.

use std::ffi::{c_char, CStr, CString};
use std::sync::OnceLock;

use atomics_core::{check_order, Arithmetic, Bitwise, Core, Family, Method, OpType, Param};
use pyo3::exceptions::PyTypeError;
use pyo3::ffi;
use pyo3::prelude::*;
use pyo3::types::PyType;

use crate::array::{AtomicBytesArrayBase, AtomicFloatArrayBase, AtomicIntegralArrayBase};
use crate::atomic::{AtomicBytesBase, AtomicFloatBase, AtomicIntegralBase, AtomicMemoryBase};
use crate::convert::memory_order;
use crate::errors::core_error;
use crate::fast::try_operation;
use crate::fastcall::{call, given, optional, Arg, Function, MAX_PARAMS};
use crate::target::param_name;
use crate::values::{Bytes, Floats, Ints, Values};

/// A row of the table: an operation of `OpType`, or one of the other methods.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Row {
    Op(OpType),
    Method(Method),
}

/// The first number of the rows of `Method` (after the 35 of `OpType`).
const FIRST_METHOD: u8 = 36;

impl Row {
    /// The row's number: its `OpType` value, or 36 and up for the other methods (a const
    /// generic parameter of its functions).
    const fn number(self) -> u8 {
        match self {
            Row::Op(op) => op.value(),
            Row::Method(method) => FIRST_METHOD + method as u8,
        }
    }

    /// The row of number `number` (a compile-time error if there is none).
    const fn of(number: u8) -> Row {
        if number < FIRST_METHOD {
            match OpType::from_value(number as i64) {
                Some(op) => Row::Op(op),
                None => panic!("no operation of this number"),
            }
        } else {
            Row::Method(Method::ALL[(number - FIRST_METHOD) as usize])
        }
    }

    const fn name(self) -> &'static str {
        match self {
            Row::Op(op) => op.method(),
            Row::Method(method) => method.method(),
        }
    }

    const fn params(self) -> &'static [Param] {
        match self {
            Row::Op(op) => op.params(),
            Row::Method(method) => method.params(),
        }
    }

    const fn doc(self) -> &'static str {
        match self {
            Row::Op(op) => op.doc(),
            Row::Method(method) => method.doc(),
        }
    }

    const fn is_in(self, family: Family) -> bool {
        match self {
            Row::Op(op) => op.is_in(family),
            Row::Method(method) => method.is_in(family),
        }
    }
}

/// The Python names of a method's parameters (`index` first on an array's element), and how
/// many of them a call must give.
#[derive(Clone, Copy)]
struct Names {
    names: [&'static str; MAX_PARAMS],
    len: usize,
    required: usize,
}

impl Names {
    const fn of<V: Values>(row: Row, element: bool) -> Names {
        let mut names = Names { names: [""; MAX_PARAMS], len: 0, required: 0 };
        if element {
            names.names[0] = "index";
            names.len = 1;
            names.required = 1;
        }
        let params = row.params();
        let mut i = 0;
        while i < params.len() {
            names.names[names.len] = param_name::<V>(params[i], element);
            names.len += 1;
            if !params[i].is_optional() {
                names.required = names.len;
            }
            i += 1;
        }
        names
    }

    fn as_slice(&self) -> &[&'static str] {
        &self.names[..self.len]
    }
}

/// The method of row `ROW` for family `V`: on a single atomic, or (`ELEMENT`) on the element
/// of an array at the `index` given first.
///
/// # Safety
/// Called by CPython as a `METH_FASTCALL | METH_KEYWORDS` method of a class that
/// `install_operations` gave it to: a subclass of `AtomicBase` (of `AtomicArrayBase` when
/// `ELEMENT`) of family `V`.
unsafe extern "C" fn method<V: Values, const ROW: u8, const ELEMENT: bool>(
    slf: *mut ffi::PyObject,
    args: *const *mut ffi::PyObject,
    nargs: ffi::Py_ssize_t,
    kwnames: *mut ffi::PyObject,
) -> *mut ffi::PyObject {
    if let (false, Row::Op(_), Family::Int) = (ELEMENT, const { Row::of(ROW) }, V::FAMILY) {
        // SAFETY: guaranteed by the caller (`slf` is of integer family `V`).
        if let Some(result) = unsafe { try_operation::<V, ROW>(slf, args, nargs, kwnames) } {
            return result;
        }
    }
    // SAFETY: guaranteed by the caller.
    unsafe { general::<V, ROW, ELEMENT>(slf, args, nargs, kwnames) }
}

/// [`method`] the general way: every form of call, with `atomics` 1.0's errors. A function of
/// its own, so that the common call above pays for none of its frame.
///
/// # Safety
/// As for [`method`].
#[inline(never)]
unsafe fn general<V: Values, const ROW: u8, const ELEMENT: bool>(
    slf: *mut ffi::PyObject,
    args: *const *mut ffi::PyObject,
    nargs: ffi::Py_ssize_t,
    kwnames: *mut ffi::PyObject,
) -> *mut ffi::PyObject {
    let names: &'static Names = const { &Names::of::<V>(Row::of(ROW), ELEMENT) };
    let name = const { Row::of(ROW).name() };
    // SAFETY: guaranteed by the caller.
    unsafe {
        call(
            slf,
            args,
            nargs,
            kwnames,
            name,
            names.as_slice(),
            names.required,
            #[inline(always)]
            |py, slf, a| run::<V, ROW, ELEMENT>(py, slf, &a[..names.len]),
        )
    }
}

/// The body of [`method`]: the row is a constant here, so that everything that depends on it
/// folds away (the parameters, the checks, the result).
///
/// # Safety
/// As for [`method`]: `slf` is an instance of a subclass of `AtomicMemoryBase` of family `V`.
#[inline(always)]
unsafe fn run<'py, V: Values, const ROW: u8, const ELEMENT: bool>(
    py: Python<'py>,
    slf: pyo3::Borrowed<'_, 'py, PyAny>,
    a: &[Arg<'_, 'py>],
) -> PyResult<Bound<'py, PyAny>> {
    let row = const { Row::of(ROW) };
    if row == Row::Op(OpType::BitTest) {
        bit_test_order_first(py, &a[ELEMENT as usize..])?;
    }
    // SAFETY: CPython checked `slf` against the descriptor's class, a subclass of
    // `AtomicMemoryBase` (the caller's guarantee).
    let memory = unsafe { slf.cast_unchecked::<AtomicMemoryBase>() }.get().handle()?;
    let (target, a) = if ELEMENT { (memory.element::<V>(given(&a[0])?)?, &a[1..]) } else { (memory.target::<V>()?, a) };
    match row {
        Row::Op(op) => target.operate(py, op, a),
        Row::Method(method) => target.call_method(py, method, a),
    }
}

/// `bit_test` checks its order (after the bit) before anything else, released memory
/// included, as `atomics` 1.0 does.
fn bit_test_order_first(py: Python<'_>, a: &[Arg<'_, '_>]) -> PyResult<()> {
    let order = memory_order(optional(&a[1]), "order")?;
    check_order(OpType::BitTest, order).map_err(|e| core_error(py, e))
}

/// The bulk forms of arrays' operations: method name, what its operation does, and its doc.
/// A family has a form when one of its operations taking a value does that.
const BULK: [(&CStr, Core, &str); 8] = [
    (c"store_at", Core::Swap, "Stores `values` (one value, or one per index) at `indices`, in the order given."),
    (c"add_at", Core::Arithmetic(Arithmetic::Add), "Adds `values` at `indices` (a histogram: `a.add_at(samples)`)."),
    (c"sub_at", Core::Arithmetic(Arithmetic::Sub), "Subtracts `values` at `indices`."),
    (c"max_at", Core::Arithmetic(Arithmetic::Max), "Stores the larger of each element and its value."),
    (c"min_at", Core::Arithmetic(Arithmetic::Min), "Stores the smaller of each element and its value."),
    (c"or_at", Core::Bitwise(Bitwise::Or), "Bitwise or of each element with its value."),
    (c"and_at", Core::Bitwise(Bitwise::And), "Bitwise and of each element with its value."),
    (c"xor_at", Core::Bitwise(Bitwise::Xor), "Bitwise exclusive or of each element with its value."),
];

/// The operation of `family` that bulk form `form` applies at each index.
const fn bulk_op(family: Family, form: usize) -> Option<OpType> {
    let mut i = 0;
    while i < OpType::ALL.len() {
        let op = OpType::ALL[i];
        let takes_value = matches!(op.params()[0], Param::Value | Param::Desired);
        if op.is_in(family) && takes_value && same_core(op.core(), BULK[form].1) {
            return Some(op);
        }
        i += 1;
    }
    None
}

const fn same_core(a: Core, b: Core) -> bool {
    match (a, b) {
        (Core::Swap, Core::Swap) => true,
        (Core::Arithmetic(x), Core::Arithmetic(y)) => x as u8 == y as u8,
        (Core::Bitwise(x), Core::Bitwise(y)) => x as u8 == y as u8,
        _ => false,
    }
}

/// How many arguments bulk form `form` needs: `indices`, and `values` for `store_at` and for
/// bytes (which have no 1).
const fn bulk_required<V: Values>(form: usize) -> usize {
    if form == 0 || V::BYTES {
        2
    } else {
        1
    }
}

/// Bulk form `FORM` of family `V`: `form(indices, values=1, order=SEQ_CST)` (`store_at` and
/// the bytes' forms need `values`).
///
/// # Safety
/// As for [`method`], on a subclass of `AtomicArrayBase` of family `V`.
unsafe extern "C" fn bulk<V: Values, const FORM: usize>(
    slf: *mut ffi::PyObject,
    args: *const *mut ffi::PyObject,
    nargs: ffi::Py_ssize_t,
    kwnames: *mut ffi::PyObject,
) -> *mut ffi::PyObject {
    let op = const { bulk_op(V::FAMILY, FORM) };
    let name = BULK[FORM].0.to_str().unwrap_or("");
    // SAFETY: as for `method`.
    unsafe {
        call(
            slf,
            args,
            nargs,
            kwnames,
            name,
            &["indices", "values", "order"],
            bulk_required::<V>(FORM),
            |py, slf, a| {
                // (never installed where the family has no such operation)
                let op = op.ok_or_else(|| PyTypeError::new_err(format!("{name}() does not exist for this family")))?;
                // `values` left out or None: 1 (where the form may leave it out).
                let one = pyo3::types::PyInt::new(py, 1).into_any();
                let values = match optional(&a[1]) {
                    Some(values) if bulk_required::<V>(FORM) == 2 || !values.is_none() => values,
                    _ => &one,
                };
                let array = slf.cast_unchecked::<AtomicMemoryBase>().get().handle()?;
                array.update_at::<V>(py, op, given(&a[0])?, values, optional(&a[2]))?;
                Ok(py.None().into_bound(py))
            },
        )
    }
}

/// A method table with a stable address for the life of the process (descriptors keep
/// pointers into it).
struct Table(Vec<ffi::PyMethodDef>);

// SAFETY: the table is written once, before it is shared, and only read afterwards.
unsafe impl Send for Table {}
// SAFETY: as above.
unsafe impl Sync for Table {}

fn leak(text: String) -> *const c_char {
    Box::leak(CString::new(text).expect("no NUL in docstrings").into_boxed_c_str()).as_ptr()
}

/// The docstring of a row's method: its signature (`$self`, `index` first on an element,
/// optional parameters defaulting to None), then the row's doc.
fn docstring<V: Values>(row: Row, element: bool) -> *const c_char {
    let names = Names::of::<V>(row, element);
    let params: Vec<String> = names
        .as_slice()
        .iter()
        .enumerate()
        .map(|(i, name)| if i < names.required { (*name).to_owned() } else { format!("{name}=None") })
        .collect();
    let mut doc = row.doc().to_owned();
    if element {
        doc = doc.replace("bit `index`", "bit `bit`");
        doc.push_str("\n\nOn the atomic at `index` of the array (a negative index counts from the end).");
    }
    leak(format!(
        "{}($self{}{})\n--\n\n{doc}",
        row.name(),
        if params.is_empty() { "" } else { ", " },
        params.join(", ")
    ))
}

fn def(name: &'static CStr, function: Function, doc: *const c_char) -> ffi::PyMethodDef {
    ffi::PyMethodDef {
        ml_name: name.as_ptr(),
        ml_meth: ffi::PyMethodDefPointer { PyCFunctionFastWithKeywords: function },
        ml_flags: ffi::METH_FASTCALL | ffi::METH_KEYWORDS,
        ml_doc: doc,
    }
}

macro_rules! method_tables {
    (
        ops: [$(($variant:ident, $value:literal, $name:literal, $method:literal, $($_op:tt)*)),* $(,)?],
        methods: [$(($m_variant:ident, $m_method:literal, $($_method:tt)*)),* $(,)?]
    ) => {
        /// The methods of family `V`'s atomics, or (`ELEMENT`) of its arrays' elements.
        fn rows<V: Values, const ELEMENT: bool>() -> Vec<ffi::PyMethodDef> {
            let all: Vec<(Row, &'static CStr, Function)> = vec![
                $((Row::Op(OpType::$variant), c_str(concat!($method, "\0")),
                   method::<V, { Row::Op(OpType::$variant).number() }, ELEMENT> as Function),)*
                $((Row::Method(Method::$m_variant), c_str(concat!($m_method, "\0")),
                   method::<V, { Row::Method(Method::$m_variant).number() }, ELEMENT> as Function),)*
            ];
            all.into_iter()
                .filter(|(row, _, _)| row.is_in(V::FAMILY))
                .map(|(row, name, function)| def(name, function, docstring::<V>(row, ELEMENT)))
                .collect()
        }
    };
}

atomics_core::operations!(method_tables);

fn c_str(text: &'static str) -> &'static CStr {
    CStr::from_bytes_with_nul(text.as_bytes()).expect("a NUL-terminated name")
}

/// The bulk forms of family `V`'s arrays.
fn bulk_forms<V: Values>() -> Vec<ffi::PyMethodDef> {
    let functions: [Function; 8] = [
        bulk::<V, 0>,
        bulk::<V, 1>,
        bulk::<V, 2>,
        bulk::<V, 3>,
        bulk::<V, 4>,
        bulk::<V, 5>,
        bulk::<V, 6>,
        bulk::<V, 7>,
    ];
    (0..BULK.len())
        .filter(|&form| bulk_op(V::FAMILY, form).is_some())
        .map(|form| {
            let (name, _, doc) = BULK[form];
            let values = if bulk_required::<V>(form) == 2 { "values" } else { "values=None" };
            let text = format!(
                "{}($self, indices, {values}, order=None)\n--\n\n{doc}\n\n`indices` is a buffer of integers (a numpy \
                 array) or a sequence (negative ones count from the end); `values` one value for every index (1 if not \
                 given, where it may be left out) or one per index. Every index and value is checked before the first \
                 write; an index that repeats applies each time; elements change one by one, in an unspecified order.",
                name.to_str().unwrap_or("")
            );
            def(name, functions[form], leak(text))
        })
        .collect()
}

/// The method tables: atomics (by family), then arrays (by family, with their bulk forms).
struct Tables {
    integral: Table,
    bytes: Table,
    floats: Table,
    integral_array: Table,
    bytes_array: Table,
    floats_array: Table,
}

fn array_table<V: Values>() -> Table {
    let mut defs = rows::<V, true>();
    defs.extend(bulk_forms::<V>());
    Table(defs)
}

static TABLES: OnceLock<Tables> = OnceLock::new();

fn tables() -> &'static Tables {
    TABLES.get_or_init(|| Tables {
        integral: Table(rows::<Ints, false>()),
        bytes: Table(rows::<Bytes, false>()),
        floats: Table(rows::<Floats, false>()),
        integral_array: array_table::<Ints>(),
        bytes_array: array_table::<Bytes>(),
        floats_array: array_table::<Floats>(),
    })
}

/// Gives class `cls` (a subclass of a family base of atomics or of arrays) its own
/// descriptors for every method of its family.
#[pyfunction]
pub(crate) fn install_operations(cls: &Bound<'_, PyType>) -> PyResult<()> {
    let py = cls.py();
    let tables = tables();
    let table = if cls.is_subclass_of::<AtomicIntegralBase>()? {
        &tables.integral
    } else if cls.is_subclass_of::<AtomicBytesBase>()? {
        &tables.bytes
    } else if cls.is_subclass_of::<AtomicFloatBase>()? {
        &tables.floats
    } else if cls.is_subclass_of::<AtomicIntegralArrayBase>()? {
        &tables.integral_array
    } else if cls.is_subclass_of::<AtomicBytesArrayBase>()? {
        &tables.bytes_array
    } else if cls.is_subclass_of::<AtomicFloatArrayBase>()? {
        &tables.floats_array
    } else {
        return Err(PyTypeError::new_err("install_operations() needs a subclass of an atomic family base"));
    };
    for def in &table.0 {
        // SAFETY: `def` lives in a static table; `cls` is a type object; the result is a new
        // reference or NULL with an exception set.
        let descr = unsafe {
            Bound::from_owned_ptr_or_err(py, ffi::PyDescr_NewMethod(cls.as_ptr().cast(), def as *const _ as *mut _))
        }?;
        // SAFETY: `ml_name` is a valid C string from the table.
        let name = unsafe { CStr::from_ptr(def.ml_name) }.to_str().expect("ASCII method names");
        cls.setattr(name, descr)?;
    }
    Ok(())
}
