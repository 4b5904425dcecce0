//! The memory an atomic object operates on: its own allocation, a buffer exported by a
//! Python object (`bytearray`, `mmap`, shared memory, numpy, ...) and pinned until released,
//! or a named shared-memory segment mapped into this process.

use std::alloc::{alloc_zeroed, dealloc, Layout};
use std::ptr::NonNull;
use std::sync::atomic::{fence, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use atomics_core::shm::Segment;
use atomics_core::{Error, Region, ValueKind, WaitOutcome, Width};
use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;

use crate::buffer::{export, Export, Items};
use crate::guard::{Entered, ReleaseGuard};
use crate::names::NamedMapping;
use crate::sleepers::Sleepers;

enum Owner {
    /// Private zeroed memory from the global allocator, freed by `Drop`; reached only
    /// through regions.
    Owned { data: NonNull<u8>, layout: Layout },
    /// A Python buffer export, released at most once (`None` after release), and what its
    /// items are.
    Buffer { export: Mutex<Option<Export>>, items: Items },
    /// A shared-memory segment, unmapped at most once (`None` after release).
    Segment { data: NonNull<u8>, size: usize, name: String, mapped: Mutex<Option<NamedMapping>> },
}

/// What backs one or more regions: private memory, a buffer export or a mapped segment.
/// Released at most once, and then for every object that uses it; dropping one object never
/// releases it for the others.
pub(crate) struct Backing {
    guard: ReleaseGuard,
    /// Threads of this process inside a `wait` on this backing; a release waits for them to
    /// leave (each sleeps for at most one slice) before freeing the memory.
    sleepers: Sleepers,
    owner: Owner,
}

// SAFETY: regions into the backing are only accessed atomically (see `Region`), the buffer
// and segment slots are behind mutexes and only touched with the interpreter attached, and
// the owned cell and segment data are only reached through regions.
unsafe impl Send for Backing {}
// SAFETY: as above.
unsafe impl Sync for Backing {}

/// A region admitted for one operation (see [`Backing::enter`]).
pub(crate) struct InUse<'a> {
    region: Region,
    _entered: Entered<'a>,
}

impl std::ops::Deref for InUse<'_> {
    type Target = Region;

    #[inline(always)]
    fn deref(&self) -> &Region {
        &self.region
    }
}

/// The error of every operation on released memory.
pub(crate) fn released_error() -> PyErr {
    PyValueError::new_err("Operation forbidden on released AtomicCore object.")
}

impl Backing {
    /// `bytes` zeroed private bytes aligned to 16 (the widest atomic), never released, and
    /// their address (dangling but aligned when `bytes` is 0).
    /// None when the allocator has no such memory.
    pub(crate) fn owned(bytes: usize) -> Option<(Arc<Backing>, *mut u8)> {
        let layout = Layout::from_size_align(bytes.max(1), 16).ok()?;
        // SAFETY: the layout has a non-zero size.
        let data = NonNull::new(unsafe { alloc_zeroed(layout) })?;
        let owner = Owner::Owned { data, layout };
        let backing = Arc::new(Backing { guard: ReleaseGuard::never_released(), sleepers: Sleepers::new(), owner });
        Some((backing, data.as_ptr()))
    }

    /// Exports `obj`'s buffer and keeps it pinned (the exporter refuses to resize or close)
    /// until released or dropped: the backing, and the buffer's address, length and whether
    /// it is read-only. `what` names the argument in error messages.
    ///
    /// The export keeps the bytes valid, writable unless read-only, until it is released,
    /// which happens only after the guard admits no more operations. Regions over them also
    /// ask that every other access be atomic and of the same width; Python code can break
    /// that (plain `buf[0] = 1`, or views of another width over overlapping bytes). Rust's
    /// model calls such races undefined; the hardware does not: every access here is one
    /// aligned instruction, which x86-64 and AArch64 define for mixed sizes and plain
    /// stores. The library relies on those hardware semantics, as C and C++ programs sharing
    /// memory with atomics do.
    pub(crate) fn from_buffer(obj: &Bound<'_, PyAny>, what: &str) -> PyResult<(Arc<Backing>, *mut u8, usize, bool)> {
        let export = export(obj, what)?;
        let (ptr, len, readonly, items) = (export.ptr(), export.len(), export.readonly(), export.items());
        let owner = Owner::Buffer { export: Mutex::new(Some(export)), items };
        let backing = Arc::new(Backing { guard: ReleaseGuard::new(), sleepers: Sleepers::new(), owner });
        Ok((backing, ptr, len, readonly))
    }

    /// Refuses, with a `TypeError` naming `what`, a buffer whose items atomics of `width`
    /// holding values of `kind` may not use (see `buffer.rs`); other
    /// memory holds whatever atomics are put in it.
    pub(crate) fn check_items(&self, kind: ValueKind, width: Width, what: &str) -> PyResult<()> {
        match &self.owner {
            Owner::Buffer { items, .. } => items.check_usable_by(kind, width, what),
            _ => Ok(()),
        }
    }

    /// The address of data bytes `offset..offset + bytes` of a segment backing, or a
    /// `ValueError` (saying that `what()` did not fit) when they are not all inside its data.
    pub(crate) fn segment_range(
        &self,
        offset: usize,
        bytes: usize,
        what: impl FnOnce() -> String,
    ) -> PyResult<*mut u8> {
        let Owner::Segment { data, size, name, .. } = &self.owner else {
            return Err(PyTypeError::new_err("not a shared-memory segment"));
        };
        self.check_open()?;
        if offset.checked_add(bytes).is_none_or(|end| end > *size) {
            return Err(PyValueError::new_err(format!(
                "{} at offset {offset} does not fit in segment {name} of {size} data bytes",
                what()
            )));
        }
        Ok(data.as_ptr().wrapping_add(offset))
    }

    /// The name of the segment and the data offset of `address` in it, if this is a segment.
    pub(crate) fn segment_place(&self, address: usize) -> Option<(&str, usize)> {
        match &self.owner {
            Owner::Segment { data, name, .. } => Some((name, address - data.as_ptr() as usize)),
            _ => None,
        }
    }

    /// Region `region` of this backing for one operation, or the released `ValueError`. The
    /// memory stays valid while the result lives; hold it for the atomic operation only,
    /// never across Python code (which could wait on a release that waits on this operation).
    #[inline(always)]
    pub(crate) fn enter(&self, region: Region) -> PyResult<InUse<'_>> {
        self.try_enter(region).ok_or_else(released_error)
    }

    /// [`Backing::enter`] without the error: `None` once released (`fast.rs`, which then
    /// leaves the call to the general way, where the error is made).
    #[inline(always)]
    pub(crate) fn try_enter(&self, region: Region) -> Option<InUse<'_>> {
        Some(InUse { region, _entered: self.guard.enter()? })
    }

    /// Admits one operation on any of the backing's memory (a bulk operation), or the
    /// released `ValueError`; as for [`Backing::enter`], never hold it across Python code.
    #[inline(always)]
    pub(crate) fn admit(&self) -> PyResult<Entered<'_>> {
        self.guard.enter().ok_or_else(released_error)
    }

    /// Whether the backing is a Python buffer export (what `release()` of a view releases).
    pub(crate) fn is_buffer(&self) -> bool {
        matches!(self.owner, Owner::Buffer { .. })
    }

    /// Fails with the released `ValueError` once released.
    pub(crate) fn check_open(&self) -> PyResult<()> {
        if self.guard.is_released() {
            Err(released_error())
        } else {
            Ok(())
        }
    }

    /// Sleeps (detached) while `region`'s value equals `old`, until `deadline` at the latest;
    /// see `Region::wait`. The memory stays mapped while this thread sleeps on it: a release
    /// waits for the sleepers to leave.
    pub(crate) fn wait(
        &self,
        py: Python<'_>,
        region: Region,
        old: u128,
        deadline: Instant,
    ) -> PyResult<Result<WaitOutcome, Error>> {
        let asleep = self.sleepers.enter();
        fence(Ordering::SeqCst); // pairs with the fence in `release`: one sees the other
        let outcome = if self.guard.is_released() {
            None
        } else {
            let timeout = deadline.saturating_duration_since(Instant::now());
            Some(py.detach(|| region.wait(old, Some(timeout))))
        };
        drop(asleep);
        outcome.ok_or_else(released_error)
    }

    /// A backing over a mapped segment; `unlink` says whether releasing it (or dropping the
    /// last object over it) removes the segment's name.
    pub(crate) fn segment(segment: Segment, unlink: bool) -> Arc<Backing> {
        let owner = Owner::Segment {
            data: NonNull::new(segment.data()).expect("a mapping is never at NULL"),
            size: segment.data_size(),
            name: segment.name().to_owned(),
            mapped: Mutex::new(Some(NamedMapping::new(segment, unlink))),
        };
        Arc::new(Backing { guard: ReleaseGuard::new(), sleepers: Sleepers::new(), owner })
    }

    /// The segment's name, if this is a segment.
    pub(crate) fn segment_name(&self) -> Option<&str> {
        match &self.owner {
            Owner::Segment { name, .. } => Some(name),
            _ => None,
        }
    }

    /// The segment's data size, if this is a segment.
    pub(crate) fn segment_size(&self) -> Option<usize> {
        match &self.owner {
            Owner::Segment { size, .. } => Some(*size),
            _ => None,
        }
    }

    /// Keeps (or stops keeping) the segment's name after release; no effect on other backings.
    pub(crate) fn set_unlink_on_release(&self, unlink: bool) {
        if let Owner::Segment { mapped, .. } = &self.owner {
            if let Some(m) = mapped.lock().unwrap_or_else(|e| e.into_inner()).as_mut() {
                m.keep_name(!unlink);
            }
        }
    }

    /// Whether releasing the backing removes the segment's name.
    pub(crate) fn unlinks_on_release(&self) -> bool {
        match &self.owner {
            Owner::Segment { mapped, .. } => {
                mapped.lock().unwrap_or_else(|e| e.into_inner()).as_ref().is_some_and(NamedMapping::removes_name)
            }
            _ => false,
        }
    }

    /// Removes the segment's name if this process created it and did not keep it; the
    /// mapping stays (used at exit).
    pub(crate) fn unlink_name_if_owner(&self) {
        if let Owner::Segment { mapped, .. } = &self.owner {
            if let Some(m) = mapped.lock().unwrap_or_else(|e| e.into_inner()).as_mut() {
                m.remove_name();
            }
        }
    }

    /// Whether the backing was released.
    pub(crate) fn is_released(&self) -> bool {
        self.guard.is_released()
    }

    /// Releases a buffer export or unmaps a segment (removing its name if this process made
    /// it and did not keep it), for every object that uses it; idempotent. Private memory
    /// cannot be released: it lives as long as an object uses it.
    pub(crate) fn release(&self, py: Python<'_>) {
        match &self.owner {
            Owner::Owned { .. } => {}
            Owner::Buffer { export, .. } => self.guard.release(py, || {
                self.wait_for_sleepers(py);
                let taken = export.lock().unwrap_or_else(|e| e.into_inner()).take();
                drop(taken); // releases the export
            }),
            Owner::Segment { mapped, .. } => self.guard.release(py, || {
                self.wait_for_sleepers(py);
                let taken = mapped.lock().unwrap_or_else(|e| e.into_inner()).take();
                if let Some(mut m) = taken {
                    m.remove_name();
                }
            }),
        }
    }
}

impl Backing {
    /// Called once released: waits (detached) until no thread of this process sleeps in a
    /// `wait` on the memory. Sleepers notice the release within one slice.
    fn wait_for_sleepers(&self, py: Python<'_>) {
        fence(Ordering::SeqCst); // pairs with the fence in `Backing::wait`
        if self.sleepers.any() {
            py.detach(|| {
                while self.sleepers.any() {
                    std::thread::sleep(Duration::from_micros(200));
                }
            });
        }
    }
}

impl Drop for Backing {
    fn drop(&mut self) {
        match &mut self.owner {
            Owner::Owned { data, layout } => {
                // SAFETY: `data` came from `alloc_zeroed(layout)` in `Backing::owned`; every
                // region into it went away with the last object holding this backing.
                unsafe { dealloc(data.as_ptr(), *layout) };
            }
            Owner::Buffer { export, .. } => {
                // The last Python object that held the backing is being deallocated, so the
                // interpreter is attached, as releasing the export needs.
                drop(export.get_mut().unwrap_or_else(|e| e.into_inner()).take());
            }
            Owner::Segment { mapped, .. } => {
                if let Some(mut m) = mapped.get_mut().unwrap_or_else(|e| e.into_inner()).take() {
                    m.remove_name(); // then the mapping goes with `m`
                }
            }
        }
    }
}
