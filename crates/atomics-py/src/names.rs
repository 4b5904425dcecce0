//! Who removes a shared-memory segment's name, and when: the process that created it, when it
//! releases the segment (`close()`, or the last object over it goes) or ends, unless it chose
//! to keep the name; never a forked child, and never a process that only attached.

use atomics_core::shm::Segment;

/// A segment mapped into this process, and whether this process removes its name.
pub(crate) struct NamedMapping {
    segment: Segment,
    /// The process that removes the name (the creator's, unless it kept it). Recorded so that
    /// a forked child, which has the same mapping, never removes its parent's name.
    remover: Option<u32>,
}

impl NamedMapping {
    /// `segment`, whose name this process removes if `remove`.
    pub(crate) fn new(segment: Segment, remove: bool) -> NamedMapping {
        NamedMapping { segment, remover: remove.then(std::process::id) }
    }

    /// Whether this process removes the name.
    pub(crate) fn removes_name(&self) -> bool {
        self.remover == Some(std::process::id())
    }

    /// Keeps the name (for processes that attach later) or goes back to removing it.
    pub(crate) fn keep_name(&mut self, keep: bool) {
        self.remover = (!keep).then(std::process::id);
    }

    /// Removes the name if this process is to, once; the mapping stays.
    pub(crate) fn remove_name(&mut self) {
        if self.removes_name() {
            let _ = self.segment.unlink(); // already gone: nothing to do
        }
        self.remover = None;
    }
}
