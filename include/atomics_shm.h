/*
 * atomics_shm.h: C and C++ access to the shared-memory atomics of the Python package `atomics`
 * and of the Rust crate `atomics-core`, on Linux, macOS and Windows. Header-only. The format is
 * documented in docs/shared-memory.md ("Layout").
 *
 *   A segment is a named shared-memory object (POSIX shm_open on Linux and macOS, a file mapping
 *   on Windows) beginning with a 64-byte header (atomics_shm_header: magic "atomics\0",
 *   version 1, header size 64, data size, width and kind of its single atomic, or 0 and 0 for a
 *   layout of several), then the data. An atomic of width w (1, 2, 4, 8 or 16) at data offset o
 *   is at byte 64 + o of the mapping, o % w == 0, and holds a native-endian integer (two's
 *   complement for INT) that every program accesses only with lock-free atomic operations of
 *   width w: C11 _Atomic / <stdatomic.h>, C++ std::atomic_ref (C++20) or std::atomic, Rust
 *   AtomicI64 / atomics_core::AtomicView.
 *
 * Use (C11; link with -lrt on glibc older than 2.34; on Windows with -lbcrypt -ladvapi32):
 *
 *   #include "atomics_shm.h"              // first, or define _DEFAULT_SOURCE / build with -std=gnu11
 *   #include <stdatomic.h>
 *
 *   atomics_shm seg;                      // Python: c = atomics.atomic(8, atomics.INT, shared=True)
 *   int rc = atomics_shm_attach(name, 8, ATOMICS_SHM_INT, &seg);         // name = c.shared_name
 *   if (rc != ATOMICS_SHM_OK) { fprintf(stderr, "%s\n", atomics_shm_strerror(rc)); exit(1); }
 *   _Atomic int64_t *counter = (_Atomic int64_t *)seg.data;
 *   atomic_fetch_add(counter, 1);
 *   atomics_shm_notify_all_in(&seg, counter);  // wakes Python's c.wait(old) and Rust's view.wait(old)
 *   atomics_shm_close(&seg);
 *
 * Every function returns ATOMICS_SHM_OK (0) or a negative atomics_shm_status; for
 * ATOMICS_SHM_ESYS, errno says what the system refused (ENOENT: no segment of that name).
 *
 * Waiting and notifying: atomics_shm_wait_in / atomics_shm_notify_*_in take the segment and work
 * on every system. On Windows, where processes wake each other through the segment's wait
 * table, the forms without the segment (atomics_shm_wait, atomics_shm_notify_*) do not exist:
 * using them is a compile-time error that names the form to use.
 */
#ifndef ATOMICS_SHM_H
#define ATOMICS_SHM_H

#if defined(_WIN32)
#define ATOMICS_SHM_WINDOWS 1
#endif

#if !defined(ATOMICS_SHM_WINDOWS)
/* shm_open, mmap, ftruncate, clock_gettime, syscall: POSIX 2008 and the futex syscall. These
 * only take effect if this header comes before every system header (or use -std=gnu11). */
#if !defined(_GNU_SOURCE) && !defined(_DEFAULT_SOURCE) && !defined(_POSIX_C_SOURCE) && !defined(_XOPEN_SOURCE) && \
    !defined(_BSD_SOURCE) && !defined(_DARWIN_C_SOURCE)
#define _DEFAULT_SOURCE 1
#if defined(__APPLE__)
#define _DARWIN_C_SOURCE 1
#endif
#endif
#endif

#include <errno.h>
#include <limits.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#if defined(ATOMICS_SHM_WINDOWS)
#include <windows.h>
#include <aclapi.h>
#include <bcrypt.h>
#if defined(_MSC_VER)
#pragma comment(lib, "bcrypt.lib")
#pragma comment(lib, "advapi32.lib")
#endif
#else
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#if defined(__APPLE__)
#include <dlfcn.h>
#endif
#endif

#if defined(__linux__)
#include <linux/futex.h>
#include <sys/syscall.h>
#if defined(SYS_futex)
#define ATOMICS_SHM_FUTEX 1
/* glibc declares syscall() only with _DEFAULT_SOURCE or _GNU_SOURCE. */
#if !defined(__cplusplus) && defined(__GLIBC__) && !defined(__USE_MISC)
extern long syscall(long number, ...);
#endif
#endif
#endif

#if !defined(__GNUC__) && !defined(__clang__)
#error "atomics_shm.h needs the __atomic builtins of GCC or Clang (clang-cl on Windows)"
#endif

/* The header. */
#define ATOMICS_SHM_MAGIC "atomics" /* 8 bytes with its terminating NUL */
#define ATOMICS_SHM_VERSION 1u
#define ATOMICS_SHM_HEADER_SIZE 64u
/* The longest name this header handles, NUL included (the libraries' names have 20 to 30 characters). */
#define ATOMICS_SHM_NAME_MAX 256
/* Windows: slots of a segment's wait table (docs/shared-memory.md, "Windows"). */
#define ATOMICS_SHM_WAIT_SLOTS 64

/* The kind of a segment's single atomic. */
enum atomics_shm_kind {
    ATOMICS_SHM_LAYOUT = 0, /* several atomics at offsets the programs agree on */
    ATOMICS_SHM_INT = 1,    /* a signed integer (two's complement) */
    ATOMICS_SHM_UINT = 2,   /* an unsigned integer */
    ATOMICS_SHM_BYTES = 3,  /* raw bytes */
    ATOMICS_SHM_FLOAT = 4   /* an IEEE 754 float (width 4) or double (width 8) */
};

/* What the functions return. */
enum atomics_shm_status {
    ATOMICS_SHM_OK = 0,
    ATOMICS_SHM_ESYS = -1,      /* the system refused: see errno (ENOENT: no such segment) */
    ATOMICS_SHM_EFORMAT = -2,   /* not an atomics segment: too small, wrong magic or sizes */
    ATOMICS_SHM_EVERSION = -3,  /* an atomics segment of another layout version */
    ATOMICS_SHM_EMISMATCH = -4, /* its atomic has another width or kind than asked for */
    ATOMICS_SHM_EINVAL = -5,    /* an invalid argument (name too long, size overflow, ...) */
    ATOMICS_SHM_EFOREIGN = -6   /* it belongs to another user, or other users may open it */
};

/* The 64 bytes at the start of every segment; integers native-endian. */
typedef struct atomics_shm_header {
    unsigned char magic[8]; /* "atomics\0" */
    uint32_t version;       /* 1 */
    uint32_t header_size;   /* 64 */
    uint64_t data_size;     /* bytes after the header */
    uint32_t width;         /* width of the single atomic, 0 for a layout */
    uint32_t kind;          /* enum atomics_shm_kind */
    unsigned char reserved[32];
} atomics_shm_header;

#ifdef __cplusplus
static_assert(sizeof(atomics_shm_header) == ATOMICS_SHM_HEADER_SIZE, "the header is 64 bytes");
#else
_Static_assert(sizeof(atomics_shm_header) == ATOMICS_SHM_HEADER_SIZE, "the header is 64 bytes");
#endif

/* A segment mapped into this process. */
typedef struct atomics_shm {
    char name[ATOMICS_SHM_NAME_MAX]; /* what other processes open it by ("/atomics_...") */
    void *base;                      /* the mapping: header, then data */
    size_t size;                     /* bytes mapped (on macOS and Windows whole pages) */
    void *data;                      /* base + 64: data offsets count from here */
    size_t data_size;                /* bytes of data */
    uint32_t width;                  /* the header's width (0 for a layout) */
    uint32_t kind;                   /* the header's kind */
#if defined(ATOMICS_SHM_WINDOWS)
    HANDLE mapping;                         /* the file mapping, which keeps the name alive */
    HANDLE events[ATOMICS_SHM_WAIT_SLOTS]; /* the wait table's events, opened on first use */
#endif
} atomics_shm;

/* A message for a status. */
static inline const char *atomics_shm_strerror(int status) {
    switch (status) {
    case ATOMICS_SHM_OK:
        return "success";
    case ATOMICS_SHM_ESYS:
        return strerror(errno);
    case ATOMICS_SHM_EFORMAT:
        return "not an atomics segment (too small, wrong magic, header size or data size)";
    case ATOMICS_SHM_EVERSION:
        return "an atomics segment of another layout version";
    case ATOMICS_SHM_EMISMATCH:
        return "the segment's atomic has another width or kind";
    case ATOMICS_SHM_EINVAL:
        return "invalid argument";
    case ATOMICS_SHM_EFOREIGN:
        return "refusing a segment that belongs to another user or that other users may open";
    default:
        return "unknown status";
    }
}

static inline int atomics_shm__copy_name(atomics_shm *seg, const char *name) {
    size_t len = strlen(name);
    if (len >= sizeof seg->name) {
        return ATOMICS_SHM_EINVAL;
    }
    memcpy(seg->name, name, len + 1);
    return ATOMICS_SHM_OK;
}

/* A fresh name: "/atomics_" and 11 random base-32 characters, from 11 random bytes. */
static inline void atomics_shm__fresh_name(atomics_shm *seg, const unsigned char random[11]) {
    static const char alphabet[] = "abcdefghijklmnopqrstuvwxyz234567";
    int i;
    memcpy(seg->name, "/atomics_", 9);
    for (i = 0; i < 11; i++) {
        seg->name[9 + i] = alphabet[random[i] % 32];
    }
    seg->name[20] = '\0';
}

/* Checks the header at `base` of a mapping of `mapped` bytes whose segment may use `usable`
 * of them, and fills `seg` from it. `fits(usable, 64 + data size)` says whether the object is
 * as long as the header says (exactly, or the same number of pages where the system rounds). */
static inline int atomics_shm__check(atomics_shm *seg, void *base, size_t mapped, size_t usable,
                                     int (*fits)(size_t, uint64_t)) {
    atomics_shm_header header;
    if (usable < ATOMICS_SHM_HEADER_SIZE) {
        return ATOMICS_SHM_EFORMAT;
    }
    /* The creator writes the header once, before anyone knows the name: one copy, then checks. */
    memcpy(&header, base, sizeof header);
    if (memcmp(header.magic, ATOMICS_SHM_MAGIC, 8) != 0) {
        return ATOMICS_SHM_EFORMAT;
    }
    if (header.version != ATOMICS_SHM_VERSION) {
        return ATOMICS_SHM_EVERSION;
    }
    if (header.header_size != ATOMICS_SHM_HEADER_SIZE || header.data_size > SIZE_MAX - ATOMICS_SHM_HEADER_SIZE ||
        !fits(usable, header.data_size + ATOMICS_SHM_HEADER_SIZE)) {
        return ATOMICS_SHM_EFORMAT;
    }
    seg->base = base;
    seg->size = mapped;
    seg->data = (unsigned char *)base + ATOMICS_SHM_HEADER_SIZE;
    seg->data_size = (size_t)header.data_size;
    seg->width = header.width;
    seg->kind = header.kind;
    return ATOMICS_SHM_OK;
}

static inline void atomics_shm__write_header(void *base, size_t data_size, uint32_t width, uint32_t kind) {
    atomics_shm_header header;
    memset(&header, 0, sizeof header);
    memcpy(header.magic, ATOMICS_SHM_MAGIC, 8);
    header.version = ATOMICS_SHM_VERSION;
    header.header_size = ATOMICS_SHM_HEADER_SIZE;
    header.data_size = (uint64_t)data_size;
    header.width = width;
    header.kind = kind;
    memcpy(base, &header, sizeof header); /* before anyone knows the name */
}

static inline void atomics_shm__describe(atomics_shm *seg, void *base, size_t mapped, size_t data_size, uint32_t width,
                                         uint32_t kind) {
    seg->base = base;
    seg->size = mapped;
    seg->data = (unsigned char *)base + ATOMICS_SHM_HEADER_SIZE;
    seg->data_size = data_size;
    seg->width = width;
    seg->kind = kind;
}

/* ---------------------------------------------------------------------------------------- */
#if defined(ATOMICS_SHM_WINDOWS)
/* Windows: pagefile-backed file mappings "Local\atomics_..." with an owner-only security
 * descriptor. The object is the segment rounded up to pages of 4096 bytes, plus one page: a
 * 4-byte "unlinked" flag, then the wait table (64 slots of 4 bytes, each 0 or the key of the
 * word its sleeper waits on: the word's index in the mapping plus 1), and one named auto-reset
 * event per slot, "Local\atomics_....wake<slot>". */

#define ATOMICS_SHM__PAGE 4096u
#define ATOMICS_SHM__ANY_WORD 0xffffffffu

static inline size_t atomics_shm__round_up(uint64_t len) {
    return (size_t)((len + ATOMICS_SHM__PAGE - 1) / ATOMICS_SHM__PAGE * ATOMICS_SHM__PAGE);
}

static inline int atomics_shm__pages_fit(size_t usable, uint64_t wanted) {
    return wanted <= SIZE_MAX - ATOMICS_SHM__PAGE && atomics_shm__round_up(wanted) == usable;
}

/* errno for the last Windows error, and ATOMICS_SHM_ESYS. */
static inline int atomics_shm__win_error(void) {
    DWORD code = GetLastError();
    errno = code == ERROR_FILE_NOT_FOUND || code == ERROR_PATH_NOT_FOUND ? ENOENT
            : code == ERROR_ACCESS_DENIED                                ? EACCES
            : code == ERROR_ALREADY_EXISTS                               ? EEXIST
            : code == ERROR_NOT_ENOUGH_MEMORY || code == ERROR_OUTOFMEMORY ? ENOMEM
                                                                          : EIO;
    return ATOMICS_SHM_ESYS;
}

/* "Local\" + name without its "/" + suffix, or EINVAL. */
static inline int atomics_shm__object_name(const char *name, const char *suffix, char *out, size_t out_size) {
    const char *bare = name[0] == '/' ? name + 1 : name;
    if (bare[0] == '\0' || strpbrk(bare, "/\\") != NULL || 6 + strlen(bare) + strlen(suffix) + 1 > out_size) {
        return ATOMICS_SHM_EINVAL;
    }
    memcpy(out, "Local\\", 6);
    memcpy(out + 6, bare, strlen(bare));
    memcpy(out + 6 + strlen(bare), suffix, strlen(suffix) + 1);
    return ATOMICS_SHM_OK;
}

/* This process's user SID, in `buffer`. */
static inline PSID atomics_shm__user_sid(void *buffer, DWORD size) {
    HANDLE token;
    DWORD needed;
    BOOL ok;
    if (!OpenProcessToken(GetCurrentProcess(), TOKEN_QUERY, &token)) {
        return NULL;
    }
    ok = GetTokenInformation(token, TokenUser, buffer, size, &needed);
    CloseHandle(token);
    return ok ? ((TOKEN_USER *)buffer)->User.Sid : NULL;
}

/* A security descriptor that gives the user everything and nobody else anything. */
typedef struct atomics_shm__owner_only {
    DWORD64 user[64]; /* TOKEN_USER and its SID */
    DWORD64 acl[32];
    SECURITY_DESCRIPTOR descriptor;
    SECURITY_ATTRIBUTES attributes;
} atomics_shm__owner_only;

static inline int atomics_shm__make_owner_only(atomics_shm__owner_only *s) {
    PSID sid = atomics_shm__user_sid(s->user, sizeof s->user);
    if (sid == NULL || !InitializeAcl((PACL)s->acl, sizeof s->acl, ACL_REVISION) ||
        !AddAccessAllowedAce((PACL)s->acl, ACL_REVISION, GENERIC_ALL, sid) ||
        !InitializeSecurityDescriptor(&s->descriptor, SECURITY_DESCRIPTOR_REVISION) ||
        !SetSecurityDescriptorOwner(&s->descriptor, sid, FALSE) ||
        !SetSecurityDescriptorDacl(&s->descriptor, TRUE, (PACL)s->acl, FALSE)) {
        return atomics_shm__win_error();
    }
    s->attributes.nLength = sizeof s->attributes;
    s->attributes.lpSecurityDescriptor = &s->descriptor;
    s->attributes.bInheritHandle = FALSE;
    return ATOMICS_SHM_OK;
}

/* ATOMICS_SHM_OK if the object of `handle` is owned by this user and lets nobody else in. */
static inline int atomics_shm__check_private(HANDLE handle) {
    DWORD64 user[64];
    PSID me = atomics_shm__user_sid(user, sizeof user), owner = NULL;
    PACL dacl = NULL;
    PSECURITY_DESCRIPTOR descriptor = NULL;
    int status = ATOMICS_SHM_OK;
    DWORD i;
    if (me == NULL) {
        return atomics_shm__win_error();
    }
    if (GetSecurityInfo(handle, SE_KERNEL_OBJECT, OWNER_SECURITY_INFORMATION | DACL_SECURITY_INFORMATION, &owner, NULL,
                        &dacl, NULL, &descriptor) != ERROR_SUCCESS) {
        return atomics_shm__win_error();
    }
    if (owner == NULL || !EqualSid(owner, me) || dacl == NULL) {
        status = ATOMICS_SHM_EFOREIGN;
    }
    for (i = 0; status == ATOMICS_SHM_OK && i < dacl->AceCount; i++) {
        void *ace;
        if (!GetAce(dacl, i, &ace)) {
            status = ATOMICS_SHM_EFOREIGN;
        } else if (((ACE_HEADER *)ace)->AceType == ACCESS_DENIED_ACE_TYPE) {
            continue;
        } else if (((ACE_HEADER *)ace)->AceType != ACCESS_ALLOWED_ACE_TYPE ||
                   !EqualSid((PSID) & ((ACCESS_ALLOWED_ACE *)ace)->SidStart, me)) {
            status = ATOMICS_SHM_EFOREIGN;
        }
    }
    LocalFree(descriptor);
    return status;
}

/* The 4-byte "unlinked" flag and the wait table, in the page after the segment. */
static inline uint32_t *atomics_shm__system_page(const atomics_shm *seg) {
    return (uint32_t *)((unsigned char *)seg->base + seg->size - ATOMICS_SHM__PAGE);
}

/* Maps all of `mapping` and checks it; on success `seg` owns the handle. */
static inline int atomics_shm__map(atomics_shm *seg, HANDLE mapping) {
    MEMORY_BASIC_INFORMATION info;
    void *base = MapViewOfFile(mapping, FILE_MAP_READ | FILE_MAP_WRITE, 0, 0, 0);
    int status;
    if (base == NULL) {
        return atomics_shm__win_error();
    }
    if (VirtualQuery(base, &info, sizeof info) == 0 || info.RegionSize < 2 * ATOMICS_SHM__PAGE) {
        UnmapViewOfFile(base);
        return ATOMICS_SHM_EFORMAT;
    }
    status = atomics_shm__check(seg, base, info.RegionSize, info.RegionSize - ATOMICS_SHM__PAGE, atomics_shm__pages_fit);
    if (status == ATOMICS_SHM_OK && __atomic_load_n(atomics_shm__system_page(seg), __ATOMIC_SEQ_CST) != 0) {
        errno = ENOENT; /* unlinked */
        status = ATOMICS_SHM_ESYS;
    }
    if (status != ATOMICS_SHM_OK) {
        UnmapViewOfFile(base);
        seg->base = seg->data = NULL;
        return status;
    }
    seg->mapping = mapping;
    return ATOMICS_SHM_OK;
}

static inline int atomics_shm_open(const char *name, atomics_shm *seg) {
    char object[ATOMICS_SHM_NAME_MAX + 16];
    HANDLE mapping;
    int status;
    memset(seg, 0, sizeof *seg);
    if (atomics_shm__copy_name(seg, name) != ATOMICS_SHM_OK ||
        atomics_shm__object_name(name, "", object, sizeof object) != ATOMICS_SHM_OK) {
        return ATOMICS_SHM_EINVAL;
    }
    mapping = OpenFileMappingA(FILE_MAP_READ | FILE_MAP_WRITE | READ_CONTROL, FALSE, object);
    if (mapping == NULL) {
        return atomics_shm__win_error();
    }
    status = atomics_shm__check_private(mapping);
    if (status == ATOMICS_SHM_OK) {
        status = atomics_shm__map(seg, mapping);
    }
    if (status != ATOMICS_SHM_OK) {
        CloseHandle(mapping);
    }
    return status;
}

static inline int atomics_shm_create(size_t data_size, uint32_t width, uint32_t kind, atomics_shm *seg) {
    atomics_shm__owner_only security;
    unsigned char random[11];
    char object[ATOMICS_SHM_NAME_MAX + 16];
    HANDLE mapping = NULL;
    uint64_t size;
    int tries, status;
    memset(seg, 0, sizeof *seg);
    if (data_size > SIZE_MAX - 2 * ATOMICS_SHM__PAGE - ATOMICS_SHM_HEADER_SIZE) {
        return ATOMICS_SHM_EINVAL;
    }
    size = (uint64_t)atomics_shm__round_up(data_size + ATOMICS_SHM_HEADER_SIZE) + ATOMICS_SHM__PAGE;
    status = atomics_shm__make_owner_only(&security);
    if (status != ATOMICS_SHM_OK) {
        return status;
    }
    for (tries = 0; tries < 16 && mapping == NULL; tries++) {
        if (BCryptGenRandom(NULL, random, sizeof random, BCRYPT_USE_SYSTEM_PREFERRED_RNG) < 0) {
            errno = EIO;
            return ATOMICS_SHM_ESYS;
        }
        atomics_shm__fresh_name(seg, random);
        atomics_shm__object_name(seg->name, "", object, sizeof object);
        mapping = CreateFileMappingA(INVALID_HANDLE_VALUE, &security.attributes, PAGE_READWRITE, (DWORD)(size >> 32),
                                     (DWORD)size, object);
        if (mapping == NULL) {
            return atomics_shm__win_error();
        }
        if (GetLastError() == ERROR_ALREADY_EXISTS) {
            CloseHandle(mapping); /* someone else's */
            mapping = NULL;
        }
    }
    if (mapping == NULL) {
        errno = EEXIST;
        return ATOMICS_SHM_ESYS;
    }
    seg->base = MapViewOfFile(mapping, FILE_MAP_READ | FILE_MAP_WRITE, 0, 0, 0);
    if (seg->base == NULL) {
        status = atomics_shm__win_error();
        CloseHandle(mapping);
        return status;
    }
    atomics_shm__write_header(seg->base, data_size, width, kind);
    atomics_shm__describe(seg, seg->base, (size_t)size, data_size, width, kind);
    seg->mapping = mapping;
    return ATOMICS_SHM_OK;
}

/* Unmaps the segment in this process and closes its handles (the name goes once no process
 * holds it). */
static inline int atomics_shm_close(atomics_shm *seg) {
    int i, rc = 1;
    if (seg->base != NULL) {
        rc = UnmapViewOfFile(seg->base);
    }
    if (seg->mapping != NULL) {
        CloseHandle(seg->mapping);
    }
    for (i = 0; i < ATOMICS_SHM_WAIT_SLOTS; i++) {
        if (seg->events[i] != NULL) {
            CloseHandle(seg->events[i]);
            seg->events[i] = NULL;
        }
    }
    seg->base = seg->data = NULL;
    seg->mapping = NULL;
    return rc ? ATOMICS_SHM_OK : atomics_shm__win_error();
}

/* Marks segment `name` unlinked: no process can open it any more (mappings stay valid). The
 * name itself goes once no process holds it: close your own segment too. */
static inline int atomics_shm_unlink(const char *name) {
    atomics_shm seg;
    int status = atomics_shm_open(name, &seg);
    if (status != ATOMICS_SHM_OK) {
        return status;
    }
    __atomic_store_n(atomics_shm__system_page(&seg), 1u, __ATOMIC_SEQ_CST);
    return atomics_shm_close(&seg);
}

/* The event of wait-table slot `slot`, opened (or made) on first use; NULL if refused. */
static inline HANDLE atomics_shm__event(atomics_shm *seg, int slot) {
    HANDLE event = __atomic_load_n(&seg->events[slot], __ATOMIC_ACQUIRE), expected = NULL;
    char object[ATOMICS_SHM_NAME_MAX + 32], suffix[16];
    atomics_shm__owner_only security;
    if (event != NULL) {
        return event;
    }
    suffix[0] = '.', suffix[1] = 'w', suffix[2] = 'a', suffix[3] = 'k', suffix[4] = 'e';
    if (slot >= 10) {
        suffix[5] = (char)('0' + slot / 10), suffix[6] = (char)('0' + slot % 10), suffix[7] = '\0';
    } else {
        suffix[5] = (char)('0' + slot), suffix[6] = '\0';
    }
    if (atomics_shm__object_name(seg->name, suffix, object, sizeof object) != ATOMICS_SHM_OK ||
        atomics_shm__make_owner_only(&security) != ATOMICS_SHM_OK) {
        return NULL;
    }
    event = CreateEventA(&security.attributes, FALSE, FALSE, object);
    if (event == NULL) {
        return NULL;
    }
    if (GetLastError() == ERROR_ALREADY_EXISTS && atomics_shm__check_private(event) != ATOMICS_SHM_OK) {
        CloseHandle(event);
        return NULL;
    }
    if (!__atomic_compare_exchange_n(&seg->events[slot], &expected, event, 0, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
        CloseHandle(event); /* another thread opened it first */
        return expected;
    }
    return event;
}

static inline uint32_t atomics_shm__key(const atomics_shm *seg, const void *addr) {
    uint64_t index = (uint64_t)(((uintptr_t)addr & ~(uintptr_t)3) - (uintptr_t)seg->base) / 4 + 1;
    return index >= ATOMICS_SHM__ANY_WORD ? ATOMICS_SHM__ANY_WORD : (uint32_t)index;
}

static inline int64_t atomics_shm__now_ns(void) {
    return (int64_t)GetTickCount64() * 1000000;
}

#else /* POSIX: Linux, macOS and the other Unix systems */
/* ---------------------------------------------------------------------------------------- */

#if defined(__linux__)
/* /dev/shm keeps exact sizes; a link is never followed and a FIFO never waited on. */
#define ATOMICS_SHM__OPEN_FLAGS (O_RDWR | O_NOFOLLOW | O_NONBLOCK)
static inline int atomics_shm__size_fits(size_t usable, uint64_t wanted) {
    return (uint64_t)usable == wanted;
}
#else
/* macOS rounds sizes up to whole pages. */
#define ATOMICS_SHM__OPEN_FLAGS O_RDWR
static inline int atomics_shm__size_fits(size_t usable, uint64_t wanted) {
    long page = sysconf(_SC_PAGESIZE);
    return wanted <= (uint64_t)usable && (uint64_t)usable - wanted < (uint64_t)(page > 0 ? page : 4096);
}
#endif

/* Maps segment `name` (as shm_open names it: "/atomics_...") and checks its header. On
 * success `seg` describes it; atomics_shm_close() unmaps it. Refuses (ATOMICS_SHM_EFOREIGN)
 * a segment of another user or one that the group or others may open. */
static inline int atomics_shm_open(const char *name, atomics_shm *seg) {
    struct stat st;
    void *base;
    int fd, saved, status;
    size_t size;
    memset(seg, 0, sizeof *seg);
    if (atomics_shm__copy_name(seg, name) != ATOMICS_SHM_OK) {
        return ATOMICS_SHM_EINVAL;
    }
    fd = shm_open(name, ATOMICS_SHM__OPEN_FLAGS, 0);
    if (fd < 0) {
        return errno == ELOOP ? ATOMICS_SHM_EFORMAT : ATOMICS_SHM_ESYS;
    }
    if (fstat(fd, &st) != 0) {
        saved = errno;
        close(fd);
        errno = saved;
        return ATOMICS_SHM_ESYS;
    }
#if defined(__linux__)
    if (!S_ISREG(st.st_mode)) {
        close(fd);
        return ATOMICS_SHM_EFORMAT;
    }
#endif
    if (st.st_uid != geteuid() || (st.st_mode & 077) != 0) {
        close(fd);
        return ATOMICS_SHM_EFOREIGN;
    }
    if (st.st_size < (off_t)ATOMICS_SHM_HEADER_SIZE || (uintmax_t)st.st_size > (uintmax_t)SIZE_MAX) {
        close(fd);
        return ATOMICS_SHM_EFORMAT;
    }
    size = (size_t)st.st_size;
    base = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    saved = errno;
    close(fd);
    if (base == MAP_FAILED) {
        errno = saved;
        return ATOMICS_SHM_ESYS;
    }
    status = atomics_shm__check(seg, base, size, size, atomics_shm__size_fits);
    if (status != ATOMICS_SHM_OK) {
        munmap(base, size);
        seg->base = seg->data = NULL;
    }
    return status;
}

/* Creates a new segment of `data_size` zeroed data bytes under a fresh unguessable name
 * ("/atomics_" and 11 random characters, in seg->name), mode 0600, refusing existing names.
 * `width` and `kind` describe its single atomic (a width and ATOMICS_SHM_INT, _UINT, _BYTES or _FLOAT,
 * which Python's atomics.shared.attach(name) reads), or are 0 and ATOMICS_SHM_LAYOUT for a
 * layout (Python: SharedSegment.attach(name).atomic(offset, width, atype)). The creator
 * removes the name with atomics_shm_unlink(seg->name) when nobody needs to attach any more. */
static inline int atomics_shm_create(size_t data_size, uint32_t width, uint32_t kind, atomics_shm *seg) {
    unsigned char random[11];
    int fd = -1, saved, tries;
    void *base;
    size_t size;
    memset(seg, 0, sizeof *seg);
    if (data_size > SIZE_MAX - ATOMICS_SHM_HEADER_SIZE ||
        (uintmax_t)(data_size + ATOMICS_SHM_HEADER_SIZE) > (uintmax_t)INTMAX_MAX) {
        return ATOMICS_SHM_EINVAL;
    }
    size = data_size + ATOMICS_SHM_HEADER_SIZE;
    for (tries = 0; tries < 16 && fd < 0; tries++) {
        int urandom = open("/dev/urandom", O_RDONLY);
        ssize_t got;
        if (urandom < 0) {
            return ATOMICS_SHM_ESYS;
        }
        got = read(urandom, random, sizeof random);
        saved = errno;
        close(urandom);
        if (got != (ssize_t)sizeof random) {
            errno = got < 0 ? saved : EIO;
            return ATOMICS_SHM_ESYS;
        }
        atomics_shm__fresh_name(seg, random);
        fd = shm_open(seg->name, O_CREAT | O_EXCL | O_RDWR, 0600);
        if (fd < 0 && errno != EEXIST) {
            return ATOMICS_SHM_ESYS;
        }
    }
    if (fd < 0) {
        return ATOMICS_SHM_ESYS; /* errno: EEXIST */
    }
    if (ftruncate(fd, (off_t)size) != 0 ||
        (base = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0)) == MAP_FAILED) {
        saved = errno;
        close(fd);
        shm_unlink(seg->name);
        errno = saved;
        return ATOMICS_SHM_ESYS;
    }
    close(fd);
    atomics_shm__write_header(base, data_size, width, kind);
    atomics_shm__describe(seg, base, size, data_size, width, kind);
    return ATOMICS_SHM_OK;
}

/* Unmaps the segment in this process (the name stays: see atomics_shm_unlink). */
static inline int atomics_shm_close(atomics_shm *seg) {
    int rc = seg->base != NULL ? munmap(seg->base, seg->size) : 0;
    seg->base = seg->data = NULL;
    return rc == 0 ? ATOMICS_SHM_OK : ATOMICS_SHM_ESYS;
}

/* Removes the name `name` (mappings stay valid everywhere). */
static inline int atomics_shm_unlink(const char *name) {
    return shm_unlink(name) == 0 ? ATOMICS_SHM_OK : ATOMICS_SHM_ESYS;
}

static inline int64_t atomics_shm__now_ns(void) {
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (int64_t)now.tv_sec * 1000000000 + now.tv_nsec;
}

#endif /* POSIX */
/* ---------------------------------------------------------------------------------------- */

/* Maps segment `name` holding a single atomic of `width` bytes and kind `kind`, as made by
 * Python's atomics.atomic(width, atype, shared=True) (name: obj.shared_name) or Rust's
 * Segment::create(width, width, kind). The atomic is at seg->data. */
static inline int atomics_shm_attach(const char *name, uint32_t width, uint32_t kind, atomics_shm *seg) {
    int status = atomics_shm_open(name, seg);
    if (status != ATOMICS_SHM_OK) {
        return status;
    }
    if (seg->width != width || seg->kind != kind || seg->data_size != width) {
        atomics_shm_close(seg);
        return ATOMICS_SHM_EMISMATCH;
    }
    return ATOMICS_SHM_OK;
}

/* The address of the atomic of `width` bytes at data offset `offset`, or NULL when it does
 * not fit in the data, `offset` is not a multiple of `width`, or `width` is not 1, 2, 4, 8
 * or 16. */
static inline void *atomics_shm_at(const atomics_shm *seg, size_t offset, size_t width) {
    if ((width != 1 && width != 2 && width != 4 && width != 8 && width != 16) || offset % width != 0 ||
        offset > seg->data_size || width > seg->data_size - offset) {
        return NULL;
    }
    return (unsigned char *)seg->data + offset;
}

/* wait / notify, compatible with Python's obj.wait()/notify_*() and Rust's AtomicView: the
 * waiter sleeps only while the value still equals `old`, in a way any process mapping the
 * segment can wake (Linux: a shared futex on the aligned 4-byte word holding the start of the
 * value; macOS: os_sync_wait_on_address or __ulock with their shared flags, chosen at run time,
 * polling where neither exists; Windows: the segment's wait table); a notifier wakes it after
 * changing the value. */

/* The aligned 4-byte word that holds (the start of) the value at `addr`. */
static inline uint32_t *atomics_shm__word(const void *addr) {
    return (uint32_t *)((uintptr_t)addr & ~(uintptr_t)3);
}

/* Reads the value of `width` bytes at `addr` and the word a wait sleeps on, in one atomic
 * access, so that the sleep compares against exactly what was compared with `old`. */
static inline uint64_t atomics_shm__snapshot(const void *addr, size_t width, uint32_t *word_value) {
    uint32_t *word = atomics_shm__word(addr);
    if (width == 8) {
        uint64_t value = __atomic_load_n((const uint64_t *)addr, __ATOMIC_SEQ_CST);
        memcpy(word_value, &value, 4); /* the half at the lower address */
        return value;
    }
    /* Widths 1, 2 and 4 lie inside one aligned word (they are aligned to their width). */
    uint32_t current = __atomic_load_n(word, __ATOMIC_SEQ_CST);
    size_t offset = (size_t)((uintptr_t)addr - (uintptr_t)word);
    *word_value = current;
    if (width == 1) {
        uint8_t v;
        memcpy(&v, (unsigned char *)&current + offset, 1);
        return v;
    }
    if (width == 2) {
        uint16_t v;
        memcpy(&v, (unsigned char *)&current + offset, 2);
        return v;
    }
    return current;
}

#if defined(__APPLE__)
/* macOS: the address waits looked up at run time (<os/os_sync_wait_on_address.h>, 14.4+;
 * xnu's __ulock_wait2, 11+, and __ulock_wait, 10.12+), so that one build runs everywhere. */
typedef int (*atomics_shm__os_sync_wait)(void *, uint64_t, size_t, uint32_t, uint32_t, uint64_t);
typedef int (*atomics_shm__os_sync_wait_forever)(void *, uint64_t, size_t, uint32_t);
typedef int (*atomics_shm__os_sync_wake)(void *, size_t, uint32_t);
typedef int (*atomics_shm__ulock_wait2)(uint32_t, void *, uint64_t, uint64_t, uint64_t);
typedef int (*atomics_shm__ulock_wait)(uint32_t, void *, uint64_t, uint32_t);
typedef int (*atomics_shm__ulock_wake)(uint32_t, void *, uint64_t);
#define ATOMICS_SHM__OS_SYNC_SHARED 1u
#define ATOMICS_SHM__OS_CLOCK_MACH_ABSOLUTE_TIME 32u
#define ATOMICS_SHM__UL_COMPARE_AND_WAIT_SHARED 3u
#define ATOMICS_SHM__UL_COMPARE_AND_WAIT64_SHARED 6u
#define ATOMICS_SHM__ULF_WAKE_ALL 0x100u
#define ATOMICS_SHM__ULF_NO_ERRNO 0x01000000u

static inline void *atomics_shm__symbol(const char *name) {
    return dlsym(RTLD_DEFAULT, name);
}

/* Sleeps while the `size` (4 or 8) bytes at `addr` equal `value`, for at most `timeout_ns`
 * (negative: no limit). 0 when woken, timed out or the memory differed; -1 with errno EINTR
 * when a signal interrupted; 1 when the system has no address wait (poll instead). */
static inline int atomics_shm__apple_wait(void *addr, size_t size, uint64_t value, int64_t timeout_ns) {
    atomics_shm__os_sync_wait wait = (atomics_shm__os_sync_wait)atomics_shm__symbol("os_sync_wait_on_address_with_timeout");
    atomics_shm__os_sync_wait_forever forever =
        (atomics_shm__os_sync_wait_forever)atomics_shm__symbol("os_sync_wait_on_address");
    atomics_shm__ulock_wait2 wait2;
    atomics_shm__ulock_wait wait1;
    uint32_t op = size == 8 ? ATOMICS_SHM__UL_COMPARE_AND_WAIT64_SHARED : ATOMICS_SHM__UL_COMPARE_AND_WAIT_SHARED;
    int rc;
    if (wait != NULL && forever != NULL) {
        rc = timeout_ns < 0 ? forever(addr, value, size, ATOMICS_SHM__OS_SYNC_SHARED)
                            : wait(addr, value, size, ATOMICS_SHM__OS_SYNC_SHARED,
                                   ATOMICS_SHM__OS_CLOCK_MACH_ABSOLUTE_TIME, timeout_ns > 0 ? (uint64_t)timeout_ns : 1);
        return rc < 0 && errno == EINTR ? -1 : 0;
    }
    wait2 = (atomics_shm__ulock_wait2)atomics_shm__symbol("__ulock_wait2");
    wait1 = (atomics_shm__ulock_wait)atomics_shm__symbol("__ulock_wait");
    if (wait2 != NULL) {
        rc = wait2(op | ATOMICS_SHM__ULF_NO_ERRNO, addr, value, timeout_ns < 0 ? 0 : (uint64_t)(timeout_ns > 0 ? timeout_ns : 1), 0);
    } else if (wait1 != NULL) {
        int64_t us = timeout_ns < 0 ? 0 : timeout_ns / 1000 + 1;
        rc = wait1(op | ATOMICS_SHM__ULF_NO_ERRNO, addr, value, (uint32_t)(us > UINT32_MAX ? UINT32_MAX : us));
    } else {
        return 1;
    }
    if (rc == -EINTR) {
        errno = EINTR;
        return -1;
    }
    return rc == -EINVAL && size == 8 ? 1 : 0; /* no 64-bit compare-and-wait (before macOS 11): poll */
}

static inline void atomics_shm__apple_wake(void *addr, size_t size, int all) {
    atomics_shm__os_sync_wake wake = (atomics_shm__os_sync_wake)atomics_shm__symbol(
        all ? "os_sync_wake_by_address_all" : "os_sync_wake_by_address_any");
    atomics_shm__ulock_wake ulock;
    uint32_t flags = ATOMICS_SHM__ULF_NO_ERRNO | (all ? ATOMICS_SHM__ULF_WAKE_ALL : 0u);
    if (wake != NULL && atomics_shm__symbol("os_sync_wait_on_address") != NULL) {
        wake(addr, size, ATOMICS_SHM__OS_SYNC_SHARED);
        return;
    }
    ulock = (atomics_shm__ulock_wake)atomics_shm__symbol("__ulock_wake");
    if (ulock != NULL) {
        if (size == 8 && ulock(ATOMICS_SHM__UL_COMPARE_AND_WAIT64_SHARED | flags, addr, 0) != -EINVAL) {
            return;
        }
        ulock(ATOMICS_SHM__UL_COMPARE_AND_WAIT_SHARED | flags, addr, 0);
    }
}
#endif /* __APPLE__ */

/* Blocks while the `width`-byte value (1, 2, 4 or 8) at `addr` in segment `seg` equals `old`
 * (its low `width` bytes), for at most `timeout_ms` milliseconds (negative: no limit). Returns
 * 1 when the value differs (at once if it already does), 0 when the time passed, -1 when a
 * signal interrupted the sleep (errno EINTR; the value may still equal `old`) or `width` is
 * not waitable or `addr` not in the segment (errno EINVAL). Spurious wake-ups are absorbed. */
static inline int atomics_shm_wait_in(atomics_shm *seg, const void *addr, size_t width, uint64_t old, long timeout_ms) {
    int64_t deadline = timeout_ms < 0 ? -1 : atomics_shm__now_ns() + (int64_t)timeout_ms * 1000000;
    int64_t pause_ns = 1000;
    if ((width != 1 && width != 2 && width != 4 && width != 8) || (uintptr_t)addr % width != 0 || seg->base == NULL ||
        (uintptr_t)addr < (uintptr_t)seg->data || (uintptr_t)addr + width > (uintptr_t)seg->data + seg->data_size) {
        errno = EINVAL;
        return -1;
    }
    if (width < 8) {
        old &= ((uint64_t)1 << (8 * width)) - 1;
    }
    for (;;) {
        uint32_t word_value;
        int64_t slice_ns;
        if (atomics_shm__snapshot(addr, width, &word_value) != old) {
            return 1;
        }
        if (deadline >= 0) {
            slice_ns = deadline - atomics_shm__now_ns();
            if (slice_ns <= 0) {
                return 0;
            }
        } else {
            slice_ns = INT64_MAX;
        }
#if defined(ATOMICS_SHM_WINDOWS)
        {
            uint32_t *slots = atomics_shm__system_page(seg) + 1, key = atomics_shm__key(seg, addr), expected;
            int slot;
            HANDLE event = NULL;
            DWORD ms = slice_ns == INT64_MAX ? INFINITE
                       : slice_ns / 1000000 >= (int64_t)INFINITE - 1 ? INFINITE - 1
                                                                     : (DWORD)((slice_ns + 999999) / 1000000);
            for (slot = 0; slot < ATOMICS_SHM_WAIT_SLOTS; slot++) {
                expected = 0;
                if (__atomic_load_n(&slots[slot], __ATOMIC_RELAXED) == 0 &&
                    __atomic_compare_exchange_n(&slots[slot], &expected, key, 0, __ATOMIC_SEQ_CST, __ATOMIC_RELAXED)) {
                    break;
                }
            }
            if (slot < ATOMICS_SHM_WAIT_SLOTS) {
                event = atomics_shm__event(seg, slot);
            }
            if (event != NULL) {
                ResetEvent(event); /* a waker that saw the claim sets it after this */
                __atomic_thread_fence(__ATOMIC_SEQ_CST);
                if (atomics_shm__snapshot(addr, width, &word_value) == old) {
                    WaitForSingleObject(event, ms);
                }
            } else {
                Sleep(1); /* every slot taken: read the value again in a millisecond */
            }
            if (slot < ATOMICS_SHM_WAIT_SLOTS) {
                __atomic_store_n(&slots[slot], 0u, __ATOMIC_SEQ_CST);
            }
            (void)pause_ns;
        }
#elif defined(ATOMICS_SHM_FUTEX)
        {
            struct timespec ts;
            if (width == 8 && slice_ns > 1000000) {
                slice_ns = 1000000; /* the futex watches the low half: see the high half within 1 ms */
            }
            ts.tv_sec = (time_t)(slice_ns / 1000000000);
            ts.tv_nsec = (long)(slice_ns % 1000000000);
            /* No FUTEX_PRIVATE_FLAG: a shared futex, woken from other processes. */
            if (syscall(SYS_futex, atomics_shm__word(addr), FUTEX_WAIT, word_value, slice_ns == INT64_MAX ? NULL : &ts,
                        NULL, 0) != 0 &&
                errno == EINTR) {
                return -1;
            }
            (void)pause_ns;
        }
#else
        {
            struct timespec ts;
            int rc = 1;
#if defined(__APPLE__)
            if (width == 8) {
                uint64_t value = __atomic_load_n((const uint64_t *)addr, __ATOMIC_SEQ_CST);
                rc = value == old ? atomics_shm__apple_wait((void *)addr, 8, value, slice_ns == INT64_MAX ? -1 : slice_ns)
                                  : 0;
            } else {
                rc = atomics_shm__apple_wait(atomics_shm__word(addr), 4, word_value, slice_ns == INT64_MAX ? -1 : slice_ns);
            }
            if (rc < 0) {
                return -1;
            }
#endif
            if (rc > 0) {
                /* No address wait: re-read with a backoff of at most 1 ms (notify has nothing to do). */
                if (slice_ns > pause_ns) {
                    slice_ns = pause_ns;
                }
                ts.tv_sec = 0;
                ts.tv_nsec = (long)slice_ns;
                if (nanosleep(&ts, NULL) != 0 && errno == EINTR) {
                    return -1;
                }
                pause_ns = pause_ns * 2 > 1000000 ? 1000000 : pause_ns * 2;
            }
        }
#endif
    }
}

/* Wakes the threads and processes waiting on the value at `addr` of segment `seg` (call it
 * after changing the value): one of them, or all. On Windows "one" may wake several (those
 * that find the value unchanged sleep again). */
static inline void atomics_shm__wake_in(atomics_shm *seg, const void *addr, int all) {
#if defined(ATOMICS_SHM_WINDOWS)
    uint32_t *slots = atomics_shm__system_page(seg) + 1, key = atomics_shm__key(seg, addr), holder;
    int slot;
    (void)all;
    __atomic_thread_fence(__ATOMIC_SEQ_CST); /* the value's change comes before the table is read */
    for (slot = 0; slot < ATOMICS_SHM_WAIT_SLOTS; slot++) {
        holder = __atomic_load_n(&slots[slot], __ATOMIC_SEQ_CST);
        if (holder != 0 && (holder == key || holder == ATOMICS_SHM__ANY_WORD || key == ATOMICS_SHM__ANY_WORD)) {
            HANDLE event = atomics_shm__event(seg, slot);
            if (event != NULL) {
                SetEvent(event);
            }
        }
    }
#elif defined(ATOMICS_SHM_FUTEX)
    (void)seg;
    syscall(SYS_futex, atomics_shm__word(addr), FUTEX_WAKE, all ? INT_MAX : 1, NULL, NULL, 0);
#elif defined(__APPLE__)
    (void)seg;
    /* Waiters on 8 bytes sleep on the value, the others on the word holding it. */
    if (seg->base != NULL && (uintptr_t)addr % 8 == 0 && (uintptr_t)addr + 8 <= (uintptr_t)seg->data + seg->data_size) {
        atomics_shm__apple_wake((void *)addr, 8, all);
    }
    atomics_shm__apple_wake(atomics_shm__word(addr), 4, all);
#else
    (void)seg;
    (void)addr;
    (void)all;
#endif
}

/* Wakes one thread or process waiting on the value at `addr` of `seg` (call it after changing
 * the value). */
static inline void atomics_shm_notify_one_in(atomics_shm *seg, const void *addr) {
    atomics_shm__wake_in(seg, addr, 0);
}

/* Wakes every thread and process waiting on the value at `addr` of `seg` (call it after
 * changing the value): Python's obj.wait(old), Rust's AtomicView::wait and atomics_shm_wait_in. */
static inline void atomics_shm_notify_all_in(atomics_shm *seg, const void *addr) {
    atomics_shm__wake_in(seg, addr, 1);
}

#if defined(ATOMICS_SHM_WINDOWS)
/* Windows wakes other processes through the segment: the forms without it do not exist. */
#define atomics_shm_wait(addr, width, old, timeout_ms) atomics_shm_wait__on_Windows_use_atomics_shm_wait_in
#define atomics_shm_notify_one(addr) atomics_shm_notify_one__on_Windows_use_atomics_shm_notify_one_in
#define atomics_shm_notify_all(addr) atomics_shm_notify_all__on_Windows_use_atomics_shm_notify_all_in
#else
/* Linux and macOS: the same without the segment (any shared memory, a segment's or not). */
static inline int atomics_shm_wait(const void *addr, size_t width, uint64_t old, long timeout_ms) {
    atomics_shm any;
    memset(&any, 0, sizeof any);
    any.base = any.data = (void *)((uintptr_t)addr - ((uintptr_t)addr % 8));
    any.data_size = 16;
    return atomics_shm_wait_in(&any, addr, width, old, timeout_ms);
}

static inline void atomics_shm_notify_one(const void *addr) {
    atomics_shm any;
    memset(&any, 0, sizeof any);
    any.base = any.data = (void *)((uintptr_t)addr - ((uintptr_t)addr % 8));
    any.data_size = 16;
    atomics_shm__wake_in(&any, addr, 0);
}

static inline void atomics_shm_notify_all(const void *addr) {
    atomics_shm any;
    memset(&any, 0, sizeof any);
    any.base = any.data = (void *)((uintptr_t)addr - ((uintptr_t)addr % 8));
    any.data_size = 16;
    atomics_shm__wake_in(&any, addr, 1);
}
#endif

#endif /* ATOMICS_SHM_H */
