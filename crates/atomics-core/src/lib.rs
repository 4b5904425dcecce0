#![doc = include_str!("../README.md")]

mod arch;
mod array;
mod error;
mod op;
mod order;
mod os;
mod raw;
mod region;
pub mod shm;
mod view;
pub mod wait;
mod width;

pub use array::{Operands, RegionArray};
pub use error::Error;
pub use op::{supported_ops, Arithmetic, OpType};
pub use order::{check_fail_order, check_order, MemoryOrder};
pub use region::Region;
pub use view::{AtomicValue, AtomicView, ViewError, Waitable};
pub use wait::WaitOutcome;
pub use width::Width;
