#![doc = include_str!("../README.md")]

mod arch;
mod array;
mod error;
mod op;
mod order;
mod raw;
mod region;
#[cfg(unix)]
pub mod shm;
mod view;
pub mod wait;
mod width;

pub use array::{Operands, RegionArray};
pub use error::Error;
pub use op::{supported_ops, Arithmetic, OpType};
pub use order::{check_fail_order, check_order, MemoryOrder};
pub use region::Region;
#[cfg(unix)]
pub use view::ViewError;
pub use view::{AtomicValue, AtomicView, Waitable};
pub use wait::WaitOutcome;
pub use width::Width;
