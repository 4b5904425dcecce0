//! Exposes PyO3's configuration flags, `Py_GIL_DISABLED` among them, to the crate.
fn main() {
    pyo3_build_config::use_pyo3_cfgs();
}
