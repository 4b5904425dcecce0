//! Windows: named file mappings, and a wake that crosses processes.
//!
//! Shared memory: a segment `/atomics_...` is the pagefile-backed file mapping
//! `Local\atomics_...` (`CreateFileMappingW` / `OpenFileMappingW`), made with a security
//! descriptor whose owner is the creating user and whose only access entry grants that user
//! everything (the 0600 of POSIX). `open` refuses a mapping owned by anyone else or whose
//! access list lets anyone else in. Windows has no unlink: a name lives while some process
//! holds a handle to the mapping, and a view stays valid until it is unmapped. A `Mapping`
//! holds its handle until `release_name` (what `unlink` calls) or drop.
//!
//! The object is the segment rounded up to whole pages of 4096 bytes, plus one page of its
//! own: a flag that says the segment was unlinked, and the wait table. Unlinking sets the
//! flag (then `open` answers "not found", as on POSIX, whoever still holds the name) and lets
//! go of this process's handles; the name itself disappears once no process holds it.
//!
//! `WaitOnAddress` only wakes threads of one process, so a wait on a segment uses the wait
//! table instead: 64 slots of 4 bytes, each either free (0) or claimed by one sleeping thread
//! of some process and holding the key of the word it sleeps on (its index in the mapping,
//! plus 1), and one named auto-reset event per slot (`Local\atomics_....wake<slot>`,
//! owner-only like the mapping). A waiter claims a free slot, resets its event, re-reads the
//! value, and sleeps on the event while the value equals `old`; a waker, after the value
//! changed, sets the event of every slot that holds the word's key. Both sides order their
//! accesses sequentially consistently, so either the waiter reads the new value or the waker
//! sees the claimed slot, and a set event stays set until its waiter takes it: a wake-up is
//! never lost. "Wake one" wakes every sleeper on the word (the others find the value
//! unchanged and sleep again). With all 64 slots taken (64 threads asleep on one segment at
//! once), further waiters re-read the value every millisecond. A process killed while it
//! sleeps leaves its slot claimed.
//!
//! Other memory: `WaitOnAddress` / `WakeByAddress*`. On private memory (`MEM_PRIVATE`) that
//! is complete, since no other process can change it; on memory another process may map
//! (a mapping made by other means), the sleep is cut into slices of 1 ms (one timer tick,
//! up to about 16 ms) so that a change made there is seen.

use std::collections::BTreeMap;
use std::ffi::c_void;
use std::io;
use std::os::windows::io::{AsRawHandle, FromRawHandle, OwnedHandle};
use std::ptr::{null_mut, NonNull};
use std::sync::atomic::{fence, AtomicPtr, AtomicU32, Ordering};
use std::sync::{Arc, Mutex, OnceLock, RwLock};
use std::time::Duration;

use windows_sys::Win32::Foundation::{
    GetLastError, LocalFree, ERROR_ALREADY_EXISTS, ERROR_FILE_NOT_FOUND, GENERIC_ALL, HANDLE, INVALID_HANDLE_VALUE,
};
use windows_sys::Win32::Security::Authorization::GetSecurityInfo;
use windows_sys::Win32::Security::Authorization::SE_KERNEL_OBJECT;
use windows_sys::Win32::Security::Cryptography::{BCryptGenRandom, BCRYPT_USE_SYSTEM_PREFERRED_RNG};
use windows_sys::Win32::Security::{
    AddAccessAllowedAce, EqualSid, GetAce, GetLengthSid, GetTokenInformation, InitializeAcl,
    InitializeSecurityDescriptor, SetSecurityDescriptorDacl, SetSecurityDescriptorOwner, TokenUser, ACCESS_ALLOWED_ACE,
    ACE_HEADER, ACL, ACL_REVISION, DACL_SECURITY_INFORMATION, OWNER_SECURITY_INFORMATION, PSECURITY_DESCRIPTOR, PSID,
    SECURITY_ATTRIBUTES, SECURITY_DESCRIPTOR, TOKEN_QUERY, TOKEN_USER,
};
use windows_sys::Win32::Storage::FileSystem::READ_CONTROL;
use windows_sys::Win32::System::Memory::{
    CreateFileMappingW, MapViewOfFile, OpenFileMappingW, UnmapViewOfFile, VirtualQuery, FILE_MAP_READ, FILE_MAP_WRITE,
    MEMORY_BASIC_INFORMATION, MEMORY_MAPPED_VIEW_ADDRESS, MEM_PRIVATE, PAGE_READWRITE,
};
use windows_sys::Win32::System::SystemServices::{
    ACCESS_ALLOWED_ACE_TYPE, ACCESS_DENIED_ACE_TYPE, SECURITY_DESCRIPTOR_REVISION,
};
use windows_sys::Win32::System::Threading::{
    CreateEventW, GetCurrentProcess, OpenProcessToken, ResetEvent, SetEvent, WaitForSingleObject, WaitOnAddress,
    WakeByAddressAll, WakeByAddressSingle, INFINITE,
};

use super::{at_most, containing_word, load};
use crate::shm::{not_a_segment, ShmError};
use crate::Width;

/// Sizes are counted in pages of this many bytes (the format's, whatever the system's).
const PAGE: usize = 4096;
/// Slots of the wait table (at most this many threads asleep on one segment at once).
const SLOTS: usize = 64;

/// The page after a segment's bytes, shared by every process that maps it.
#[repr(C)]
struct SystemPage {
    /// Not 0 once the segment was unlinked.
    removed: AtomicU32,
    /// The wait table: 0 for a free slot, else the key of the word its sleeper waits on.
    slots: [AtomicU32; SLOTS],
}
/// The key of a word whose index does not fit: it matches every word.
const ANY_WORD: u32 = u32::MAX;

fn round_up(len: usize) -> Option<usize> {
    len.checked_add(PAGE - 1).map(|l| l / PAGE * PAGE)
}

/// The last error as an `io::Error`.
fn last_error() -> io::Error {
    io::Error::last_os_error()
}

/// `Local\` and `name` without its leading `/`, NUL-terminated UTF-16, with `suffix`.
fn object_name(name: &str, suffix: &str) -> io::Result<Vec<u16>> {
    let bare = name.strip_prefix('/').unwrap_or(name);
    if bare.is_empty() || bare.contains(['/', '\\', '\0']) {
        return Err(io::Error::new(io::ErrorKind::InvalidInput, format!("invalid segment name {name:?}")));
    }
    Ok(format!("Local\\{bare}{suffix}").encode_utf16().chain([0]).collect())
}

/// The SID of this process's user, copied (4-byte aligned storage, as a SID needs).
fn user_sid() -> io::Result<&'static [u32]> {
    static SID: OnceLock<Vec<u32>> = OnceLock::new();
    if let Some(sid) = SID.get() {
        return Ok(sid);
    }
    let mut token: HANDLE = null_mut();
    // SAFETY: the pseudo-handle of this process; `token` receives a new handle.
    if unsafe { OpenProcessToken(GetCurrentProcess(), TOKEN_QUERY, &mut token) } == 0 {
        return Err(last_error());
    }
    // SAFETY: a handle just opened, owned from here on (closed on drop).
    let token = unsafe { OwnedHandle::from_raw_handle(token) };
    let mut buffer = vec![0u64; 64]; // 512 bytes: a TOKEN_USER and its SID (at most 76 bytes)
    let mut needed = 0u32;
    // SAFETY: `buffer` is writable for the length given; TOKEN_USER is 8-byte aligned there.
    let ok =
        unsafe { GetTokenInformation(token.as_raw_handle(), TokenUser, buffer.as_mut_ptr().cast(), 512, &mut needed) };
    if ok == 0 {
        return Err(last_error());
    }
    // SAFETY: GetTokenInformation filled a TOKEN_USER whose SID points into `buffer`.
    let sid = unsafe { (*buffer.as_ptr().cast::<TOKEN_USER>()).User.Sid };
    // SAFETY: `sid` is a valid SID inside `buffer`.
    let len = unsafe { GetLengthSid(sid) } as usize;
    let mut copy = vec![0u32; len.div_ceil(4)];
    // SAFETY: `len` bytes of a valid SID into storage of at least `len` bytes.
    unsafe { std::ptr::copy_nonoverlapping(sid.cast::<u8>(), copy.as_mut_ptr().cast::<u8>(), len) };
    Ok(SID.get_or_init(|| copy))
}

/// A security descriptor that gives the user everything and nobody else anything.
struct OwnerOnly {
    descriptor: Box<SECURITY_DESCRIPTOR>,
    _acl: Vec<u32>,
    _sid: &'static [u32],
}

impl OwnerOnly {
    fn new() -> io::Result<OwnerOnly> {
        let sid = user_sid()?;
        let sid_ptr: PSID = sid.as_ptr().cast_mut().cast();
        let acl_len = size_of::<ACL>() + size_of::<ACCESS_ALLOWED_ACE>() + sid.len() * 4;
        let mut acl = vec![0u32; acl_len.div_ceil(4)];
        let acl_ptr = acl.as_mut_ptr().cast::<ACL>();
        let mut descriptor = Box::new(SECURITY_DESCRIPTOR::default());
        let sd: PSECURITY_DESCRIPTOR = (&mut *descriptor as *mut SECURITY_DESCRIPTOR).cast();
        // SAFETY: `acl` is writable for `acl_len` bytes and 4-byte aligned; `sid` is a valid
        // SID; `sd` is writable storage for a descriptor. The descriptor points at `acl` and
        // `sid`, which live as long as it (fields of the same struct, never moved: heap).
        let ok = unsafe {
            InitializeAcl(acl_ptr, acl_len as u32, ACL_REVISION) != 0
                && AddAccessAllowedAce(acl_ptr, ACL_REVISION, GENERIC_ALL, sid_ptr) != 0
                && InitializeSecurityDescriptor(sd, SECURITY_DESCRIPTOR_REVISION) != 0
                && SetSecurityDescriptorOwner(sd, sid_ptr, 0) != 0
                && SetSecurityDescriptorDacl(sd, 1, acl_ptr, 0) != 0
        };
        if !ok {
            return Err(last_error());
        }
        Ok(OwnerOnly { descriptor, _acl: acl, _sid: sid })
    }

    fn attributes(&self) -> SECURITY_ATTRIBUTES {
        SECURITY_ATTRIBUTES {
            nLength: size_of::<SECURITY_ATTRIBUTES>() as u32,
            lpSecurityDescriptor: (&*self.descriptor as *const SECURITY_DESCRIPTOR).cast_mut().cast(),
            bInheritHandle: 0,
        }
    }
}

/// Refuses the object behind `handle` unless this process's user owns it and its access
/// list lets nobody else in; `what` names it in the refusal.
fn check_private(handle: HANDLE, what: &str) -> io::Result<()> {
    let me = user_sid()?.as_ptr().cast_mut().cast::<c_void>();
    let (mut owner, mut dacl, mut descriptor): (PSID, *mut ACL, PSECURITY_DESCRIPTOR) =
        (null_mut(), null_mut(), null_mut());
    // SAFETY: `handle` is an open handle; the out-pointers are valid; on success the
    // descriptor is allocated for us and freed below with LocalFree.
    let status = unsafe {
        GetSecurityInfo(
            handle,
            SE_KERNEL_OBJECT,
            OWNER_SECURITY_INFORMATION | DACL_SECURITY_INFORMATION,
            &mut owner,
            null_mut(),
            &mut dacl,
            null_mut(),
            &mut descriptor,
        )
    };
    if status != 0 {
        return Err(io::Error::from_raw_os_error(status as i32));
    }
    let refusal = (|| {
        // SAFETY: `owner` points into the descriptor, a valid SID (or null).
        if owner.is_null() || unsafe { EqualSid(owner, me) } == 0 {
            return Some("it belongs to another user");
        }
        if dacl.is_null() {
            return Some("it has no access control list, so every user may open it");
        }
        // SAFETY: `dacl` points into the descriptor, a valid ACL.
        for i in 0..u32::from(unsafe { (*dacl).AceCount }) {
            let mut ace: *mut c_void = null_mut();
            // SAFETY: `i` is below the ACL's count; `ace` receives a pointer into the ACL.
            if unsafe { GetAce(dacl, i, &mut ace) } == 0 {
                return Some("its access control list cannot be read");
            }
            // SAFETY: every ACE starts with its header.
            let kind = u32::from(unsafe { (*ace.cast::<ACE_HEADER>()).AceType });
            if kind == ACCESS_DENIED_ACE_TYPE {
                continue;
            }
            if kind != ACCESS_ALLOWED_ACE_TYPE {
                return Some("its access control list has entries of a kind this library does not check");
            }
            // SAFETY: an ACCESS_ALLOWED_ACE, whose SID starts at `SidStart`.
            let sid = unsafe { std::ptr::addr_of_mut!((*ace.cast::<ACCESS_ALLOWED_ACE>()).SidStart) };
            // SAFETY: a valid SID inside the ACE.
            if unsafe { EqualSid(sid.cast(), me) } == 0 {
                return Some("its access control list lets other users open it");
            }
        }
        None
    })();
    // SAFETY: allocated by GetSecurityInfo, freed once; `owner` and `dacl` are not used after.
    unsafe { LocalFree(descriptor) };
    match refusal {
        None => Ok(()),
        Some(why) => Err(io::Error::new(io::ErrorKind::PermissionDenied, format!("refusing segment {what}: {why}"))),
    }
}

/// A segment's mapping as waits and wakes find it: by address, in a table of this
/// process's mappings.
#[derive(Debug)]
struct Shared {
    name: String,
    base: usize,
    /// The bytes before the wait table (header and data, rounded up to a page).
    len: usize,
    /// The handle that keeps the name alive, until `release_name`.
    handle: Mutex<Option<OwnedHandle>>,
    /// The events of the slots, opened on first use (null: not yet).
    events: [AtomicPtr<c_void>; SLOTS],
}

// SAFETY: the raw pointers are handles owned by the struct (closed in Drop) and addresses;
// handles may be used from any thread.
unsafe impl Send for Shared {}
// SAFETY: as above; every field is behind atomics or a mutex.
unsafe impl Sync for Shared {}

impl Drop for Shared {
    fn drop(&mut self) {
        for event in &self.events {
            let event = event.load(Ordering::Acquire);
            if !event.is_null() {
                // SAFETY: an event handle this struct opened and owns; closed once, here.
                drop(unsafe { OwnedHandle::from_raw_handle(event) });
            }
        }
    }
}

/// This process's segment mappings, by base address.
static MAPPINGS: RwLock<BTreeMap<usize, Arc<Shared>>> = RwLock::new(BTreeMap::new());

/// The segment mapping that holds `addr`, if any.
fn shared_at(addr: *const u8) -> Option<Arc<Shared>> {
    let addr = addr as usize;
    let mappings = MAPPINGS.read().unwrap_or_else(|e| e.into_inner());
    let (_, shared) = mappings.range(..=addr).next_back()?;
    (addr < shared.base + shared.len).then(|| shared.clone())
}

impl Shared {
    fn page(&self) -> &SystemPage {
        // SAFETY: the system page is the page after `len`, mapped while the mapping is (which
        // the callers of wait and wake guarantee), 4096-aligned, and only accessed atomically
        // by every process.
        unsafe { &*((self.base + self.len) as *const SystemPage) }
    }

    /// The key of the word holding `addr`.
    fn key(&self, addr: *const u8) -> u32 {
        let index = (containing_word(addr) as usize - self.base) / 4;
        u32::try_from(index + 1).ok().filter(|&k| k != ANY_WORD).unwrap_or(ANY_WORD)
    }

    /// The event of slot `slot`, opened (or made) on first use; None if the system refuses,
    /// or if an event of that name exists that is not owner-only.
    fn event(&self, slot: usize) -> Option<HANDLE> {
        let cached = self.events[slot].load(Ordering::Acquire);
        if !cached.is_null() {
            return Some(cached);
        }
        let name = object_name(&self.name, &format!(".wake{slot}")).ok()?;
        let security = OwnerOnly::new().ok()?;
        let attributes = security.attributes();
        // SAFETY: valid attributes and NUL-terminated name; an auto-reset event, not set.
        let raw = unsafe { CreateEventW(&attributes, 0, 0, name.as_ptr()) };
        if raw.is_null() {
            return None;
        }
        // SAFETY: GetLastError right after the call that set it.
        let existed = unsafe { GetLastError() } == ERROR_ALREADY_EXISTS;
        // SAFETY: a handle just opened, owned here.
        let event = unsafe { OwnedHandle::from_raw_handle(raw) };
        if existed && check_private(raw, &self.name).is_err() {
            return None;
        }
        match self.events[slot].compare_exchange(null_mut(), raw, Ordering::AcqRel, Ordering::Acquire) {
            Ok(_) => {
                std::mem::forget(event); // owned by `events` now, closed in Drop
                Some(raw)
            }
            Err(other) => Some(other), // another thread opened it first; ours closes
        }
    }

    /// Sleeps on the event of a claimed slot while the value equals `old`.
    ///
    /// # Safety
    /// As for `wait`.
    unsafe fn wait(&self, addr: *const u8, width: Width, old: u64, timeout: Option<Duration>) {
        let key = self.key(addr);
        let table = &self.page().slots;
        let claimed = table.iter().position(|slot| {
            slot.load(Ordering::Relaxed) == 0
                && slot.compare_exchange(0, key, Ordering::SeqCst, Ordering::Relaxed).is_ok()
        });
        let Some(slot) = claimed else {
            // Every slot is taken: re-read the value in a millisecond.
            std::thread::sleep(at_most(timeout, Duration::from_millis(1)));
            return;
        };
        match self.event(slot) {
            Some(event) => {
                // A set left from the slot's previous sleeper is dropped: a waker that saw
                // this claim sets the event after this reset, or this thread reads its value.
                // SAFETY: an open event handle.
                unsafe { ResetEvent(event) };
                fence(Ordering::SeqCst);
                // SAFETY: aligned and mapped (caller).
                if unsafe { load(addr, width) } == old {
                    // SAFETY: an open event handle.
                    unsafe { WaitForSingleObject(event, millis(timeout)) };
                }
            }
            None => std::thread::sleep(at_most(timeout, Duration::from_millis(1))),
        }
        table[slot].store(0, Ordering::SeqCst);
    }

    /// Sets the event of every slot asleep on the word of `addr`.
    fn wake(&self, addr: *const u8) {
        let key = self.key(addr);
        fence(Ordering::SeqCst); // the value's change comes before the table is read
        for (slot, claimed) in self.page().slots.iter().enumerate() {
            let holder = claimed.load(Ordering::SeqCst);
            if holder != 0 && (holder == key || holder == ANY_WORD || key == ANY_WORD) {
                if let Some(event) = self.event(slot) {
                    // SAFETY: an open event handle.
                    unsafe { SetEvent(event) };
                }
            }
        }
    }
}

/// A segment's file mapping, mapped into this process.
#[derive(Debug)]
pub(crate) struct Mapping {
    base: NonNull<u8>,
    shared: Arc<Shared>,
}

// SAFETY: the view is process-wide; the struct records where it is and shares `Shared`.
unsafe impl Send for Mapping {}
// SAFETY: as above.
unsafe impl Sync for Mapping {}

impl Mapping {
    /// Maps all of `handle` (a mapping of `name`) and records it for waits.
    fn new(handle: OwnedHandle, name: &str) -> Result<Mapping, ShmError> {
        // SAFETY: an open mapping handle; maps all of it, read-write.
        let view = unsafe { MapViewOfFile(handle.as_raw_handle(), FILE_MAP_READ | FILE_MAP_WRITE, 0, 0, 0) };
        let Some(base) = NonNull::new(view.Value.cast::<u8>()) else {
            return Err(ShmError::Io(last_error()));
        };
        let size = query(base.as_ptr()).map_or(0, |info| info.RegionSize);
        if size < 2 * PAGE {
            // SAFETY: the view just mapped, unmapped once.
            unsafe { UnmapViewOfFile(view) };
            return Err(not_a_segment(name, "too small for a header and a wait table"));
        }
        let shared = Arc::new(Shared {
            name: name.to_owned(),
            base: base.as_ptr() as usize,
            len: size - PAGE,
            handle: Mutex::new(Some(handle)),
            events: [const { AtomicPtr::new(null_mut()) }; SLOTS],
        });
        MAPPINGS.write().unwrap_or_else(|e| e.into_inner()).insert(shared.base, shared.clone());
        Ok(Mapping { base, shared })
    }

    pub(crate) fn base(&self) -> NonNull<u8> {
        self.base
    }

    pub(crate) fn len(&self) -> usize {
        self.shared.len
    }

    /// Closes this mapping's handle, so that it no longer keeps the name alive.
    fn release_name(&self) {
        drop(self.shared.handle.lock().unwrap_or_else(|e| e.into_inner()).take());
    }
}

impl Drop for Mapping {
    fn drop(&mut self) {
        MAPPINGS.write().unwrap_or_else(|e| e.into_inner()).remove(&self.shared.base);
        self.release_name();
        let view = MEMORY_MAPPED_VIEW_ADDRESS { Value: self.base.as_ptr().cast() };
        // SAFETY: this mapping's own view, unmapped once; its owner guarantees that nothing
        // uses it afterwards. A failure leaves it mapped: harmless.
        unsafe { UnmapViewOfFile(view) };
    }
}

/// Random bytes from the system's preferred generator.
pub(crate) fn random_bytes(out: &mut [u8]) -> io::Result<()> {
    let len = u32::try_from(out.len()).map_err(io::Error::other)?;
    // SAFETY: `out` is writable for `len` bytes.
    let status = unsafe { BCryptGenRandom(null_mut(), out.as_mut_ptr(), len, BCRYPT_USE_SYSTEM_PREFERRED_RNG) };
    if status < 0 {
        return Err(io::Error::other(format!("BCryptGenRandom failed: {status:#x}")));
    }
    Ok(())
}

/// A new mapping `name` for a segment of `len` bytes (zeroed, owner-only), mapped; `None`
/// if the name exists.
pub(crate) fn create(name: &str, len: usize) -> io::Result<Option<Mapping>> {
    let wide = object_name(name, "")?;
    let size =
        round_up(len).and_then(|l| l.checked_add(PAGE)).ok_or_else(|| io::Error::other("segment size overflows"))?;
    let security = OwnerOnly::new()?;
    let attributes = security.attributes();
    // SAFETY: a pagefile-backed mapping (INVALID_HANDLE_VALUE) of `size` bytes under a
    // NUL-terminated name, with a valid security descriptor.
    let raw = unsafe {
        CreateFileMappingW(
            INVALID_HANDLE_VALUE,
            &attributes,
            PAGE_READWRITE,
            (size as u64 >> 32) as u32,
            size as u32,
            wide.as_ptr(),
        )
    };
    if raw.is_null() {
        return Err(last_error());
    }
    // SAFETY: GetLastError right after the call that set it.
    let existed = unsafe { GetLastError() } == ERROR_ALREADY_EXISTS;
    // SAFETY: a handle just opened, owned here.
    let handle = unsafe { OwnedHandle::from_raw_handle(raw) };
    if existed {
        return Ok(None); // the handle to someone else's object closes here
    }
    match Mapping::new(handle, name) {
        Ok(mapping) => Ok(Some(mapping)),
        Err(ShmError::Io(e)) => Err(e),
        Err(ShmError::Format(why)) => Err(io::Error::other(why)),
    }
}

/// Maps the existing mapping `name`, refusing one that is not this user's alone; "not
/// found" once it was unlinked.
pub(crate) fn open(name: &str) -> Result<Mapping, ShmError> {
    let wide = object_name(name, "")?;
    // SAFETY: a NUL-terminated name; read-write access asked, and the right to read the
    // security descriptor (checked before mapping).
    let raw = unsafe { OpenFileMappingW(FILE_MAP_READ | FILE_MAP_WRITE | READ_CONTROL, 0, wide.as_ptr()) };
    if raw.is_null() {
        return Err(ShmError::Io(last_error()));
    }
    // SAFETY: a handle just opened, owned here.
    let handle = unsafe { OwnedHandle::from_raw_handle(raw) };
    check_private(raw, name)?;
    let mapping = Mapping::new(handle, name)?;
    if mapping.shared.page().removed.load(Ordering::SeqCst) != 0 {
        return Err(ShmError::Io(io::Error::from_raw_os_error(ERROR_FILE_NOT_FOUND as i32)));
    }
    Ok(mapping)
}

/// Objects are whole pages.
pub(crate) fn fits(mapped: usize, wanted: usize) -> bool {
    round_up(wanted) == Some(mapped)
}

/// Marks segment `name` unlinked, so that `open` refuses it in every process, and gives up
/// every hold this process has on the name (which disappears once no process holds it).
/// Mappings stay valid. `NotFound` if no segment of that name exists, or it was unlinked.
pub(crate) fn unlink(name: &str) -> io::Result<()> {
    let mine: Vec<Arc<Shared>> = MAPPINGS
        .read()
        .unwrap_or_else(|e| e.into_inner())
        .values()
        .filter(|shared| shared.name == name)
        .cloned()
        .collect();
    if mine.is_empty() {
        let mapping = open(name).map_err(|e| match e {
            ShmError::Io(e) => e,
            ShmError::Format(why) => io::Error::new(io::ErrorKind::InvalidData, why),
        })?;
        mapping.shared.page().removed.store(1, Ordering::SeqCst);
        return Ok(()); // the mapping and its handle go here
    }
    let mut was_named = false;
    for shared in &mine {
        was_named |= shared.page().removed.swap(1, Ordering::SeqCst) == 0;
        drop(shared.handle.lock().unwrap_or_else(|e| e.into_inner()).take());
    }
    if was_named {
        Ok(())
    } else {
        Err(io::Error::from_raw_os_error(ERROR_FILE_NOT_FOUND as i32))
    }
}

/// Milliseconds for a wait of `timeout` (rounded up; INFINITE for none).
fn millis(timeout: Option<Duration>) -> u32 {
    timeout.map_or(INFINITE, |r| {
        let ms = r.as_nanos().div_ceil(1_000_000);
        u32::try_from(ms).unwrap_or(INFINITE - 1).min(INFINITE - 1)
    })
}

/// What the system says of the pages at `addr` (for a view: its size, from its base).
fn query(addr: *const u8) -> Option<MEMORY_BASIC_INFORMATION> {
    let mut info = MEMORY_BASIC_INFORMATION::default();
    // SAFETY: `info` is writable for its size; the address is only looked up.
    let answered = unsafe { VirtualQuery(addr.cast(), &mut info, size_of::<MEMORY_BASIC_INFORMATION>()) };
    (answered != 0).then_some(info)
}

/// Whether `addr` is private memory (no other process can map it).
fn is_private(addr: *const u8) -> bool {
    query(addr).is_some_and(|info| info.Type == MEM_PRIVATE)
}

/// # Safety
/// `addr` is aligned to `width` (1, 2, 4 or 8) and mapped for the duration of the call.
pub(crate) unsafe fn wait(addr: *const u8, width: Width, old: u64, timeout: Option<Duration>) -> bool {
    if let Some(shared) = shared_at(addr) {
        // SAFETY: forwarded from the caller.
        unsafe { shared.wait(addr, width, old, timeout) };
        return true;
    }
    let slice = if is_private(addr) { timeout } else { Some(at_most(timeout, Duration::from_millis(1))) };
    let expected = width.to_ne_bytes(u128::from(old));
    // SAFETY: `addr` is aligned and mapped (caller); `expected` holds `width` bytes to
    // compare with. WaitOnAddress only reads the value.
    unsafe { WaitOnAddress(addr.cast(), expected.as_ptr().cast(), width.bytes(), millis(slice)) };
    true // woken, timed out or spurious: the caller re-reads; Windows has no signals here
}

/// # Safety
/// `addr` is aligned to `width`; it is only used as a key (and, in a segment, to find the
/// segment's wait table, mapped while the segment is).
pub(crate) unsafe fn wake(addr: *const u8, _width: Width, all: bool) {
    match shared_at(addr) {
        Some(shared) => shared.wake(addr),
        // SAFETY: the address is only used as a key.
        None if all => unsafe { WakeByAddressAll(addr.cast()) },
        // SAFETY: as above.
        None => unsafe { WakeByAddressSingle(addr.cast()) },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::shm::{Kind, Segment};

    /// A mapping named like a segment, of two pages, made with `attributes` (null: the
    /// process's default security), holding a valid header of one INT of width 8.
    fn planted(name: &str, attributes: *const SECURITY_ATTRIBUTES) -> OwnedHandle {
        let wide = object_name(name, "").unwrap();
        // SAFETY: a pagefile-backed mapping of two pages under a NUL-terminated name.
        let raw = unsafe {
            CreateFileMappingW(INVALID_HANDLE_VALUE, attributes, PAGE_READWRITE, 0, 2 * PAGE as u32, wide.as_ptr())
        };
        assert!(!raw.is_null(), "{}", last_error());
        // SAFETY: a handle just opened, owned here.
        let handle = unsafe { OwnedHandle::from_raw_handle(raw) };
        // SAFETY: maps the new mapping, writes a header into its first bytes, unmaps it.
        unsafe {
            let view = MapViewOfFile(raw, FILE_MAP_READ | FILE_MAP_WRITE, 0, 0, 0);
            assert!(!view.Value.is_null());
            let mut header = [0u8; 32];
            header[0..8].copy_from_slice(b"atomics\0");
            header[8..12].copy_from_slice(&1u32.to_ne_bytes());
            header[12..16].copy_from_slice(&64u32.to_ne_bytes());
            header[16..24].copy_from_slice(&8u64.to_ne_bytes());
            header[24..28].copy_from_slice(&8u32.to_ne_bytes());
            header[28..32].copy_from_slice(&(Kind::Int as u32).to_ne_bytes());
            std::ptr::copy_nonoverlapping(header.as_ptr(), view.Value.cast::<u8>(), 32);
            UnmapViewOfFile(view);
        }
        handle
    }

    fn refusal(name: &str) -> String {
        match Segment::open(name) {
            Err(ShmError::Io(e)) if e.kind() == io::ErrorKind::PermissionDenied => e.to_string(),
            other => panic!("{name}: {other:?}"),
        }
    }

    #[test]
    fn an_owner_only_mapping_is_accepted() {
        let security = OwnerOnly::new().unwrap();
        let attributes = security.attributes();
        let _held = planted("/atomics_testowneronly", &attributes);
        assert_eq!(Segment::open("/atomics_testowneronly").unwrap().header().width, 8);
    }

    #[test]
    fn a_mapping_every_user_may_open_is_refused() {
        // The user's own, with a null access list: everyone gets everything.
        let user = user_sid().unwrap();
        let mut descriptor = SECURITY_DESCRIPTOR::default();
        let sd: PSECURITY_DESCRIPTOR = (&mut descriptor as *mut SECURITY_DESCRIPTOR).cast();
        // SAFETY: `descriptor` is writable storage for a descriptor that lives past the call.
        unsafe {
            assert_ne!(InitializeSecurityDescriptor(sd, SECURITY_DESCRIPTOR_REVISION), 0);
            assert_ne!(SetSecurityDescriptorOwner(sd, user.as_ptr().cast_mut().cast(), 0), 0);
            assert_ne!(SetSecurityDescriptorDacl(sd, 1, null_mut(), 0), 0);
        }
        let attributes = SECURITY_ATTRIBUTES {
            nLength: size_of::<SECURITY_ATTRIBUTES>() as u32,
            lpSecurityDescriptor: sd.cast(),
            bInheritHandle: 0,
        };
        let _held = planted("/atomics_testnulldacl", &attributes);
        let why = refusal("/atomics_testnulldacl");
        assert!(why.ends_with("it has no access control list, so every user may open it"), "{why}");
    }

    #[test]
    fn a_mapping_that_lets_everyone_in_is_refused() {
        use windows_sys::Win32::Security::{CreateWellKnownSid, WinWorldSid};
        // The owner-only descriptor's access list, and one more entry: Everyone.
        let user = user_sid().unwrap();
        let mut world = [0u32; 17];
        let mut len = 68u32;
        let mut acl = vec![0u32; 64];
        let acl_ptr = acl.as_mut_ptr().cast::<ACL>();
        let mut descriptor = SECURITY_DESCRIPTOR::default();
        let sd: PSECURITY_DESCRIPTOR = (&mut descriptor as *mut SECURITY_DESCRIPTOR).cast();
        // SAFETY: writable storage of the sizes given, living past the calls.
        unsafe {
            assert_ne!(CreateWellKnownSid(WinWorldSid, null_mut(), world.as_mut_ptr().cast(), &mut len), 0);
            assert_ne!(InitializeAcl(acl_ptr, 256, ACL_REVISION), 0);
            assert_ne!(AddAccessAllowedAce(acl_ptr, ACL_REVISION, GENERIC_ALL, user.as_ptr().cast_mut().cast()), 0);
            assert_ne!(AddAccessAllowedAce(acl_ptr, ACL_REVISION, GENERIC_ALL, world.as_mut_ptr().cast()), 0);
            assert_ne!(InitializeSecurityDescriptor(sd, SECURITY_DESCRIPTOR_REVISION), 0);
            assert_ne!(SetSecurityDescriptorOwner(sd, user.as_ptr().cast_mut().cast(), 0), 0);
            assert_ne!(SetSecurityDescriptorDacl(sd, 1, acl_ptr, 0), 0);
        }
        let attributes = SECURITY_ATTRIBUTES {
            nLength: size_of::<SECURITY_ATTRIBUTES>() as u32,
            lpSecurityDescriptor: sd.cast(),
            bInheritHandle: 0,
        };
        let _held = planted("/atomics_testeveryone", &attributes);
        let why = refusal("/atomics_testeveryone");
        assert!(why.ends_with("its access control list lets other users open it"), "{why}");
    }
}
