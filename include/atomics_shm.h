/*
 * atomics_shm.h: C and C++ access to the shared-memory atomics of the Python package `atomics`
 * and of the Rust crate `atomics-core`. Header-only, POSIX (shm_open + mmap); wait/notify use
 * the Linux futex (elsewhere: polling, as the Rust core does). The format is documented in
 * docs/shared-memory.md ("Layout").
 *
 *   A segment is a POSIX shared-memory object of 64 + data_size bytes: a 64-byte header
 *   (atomics_shm_header: magic "atomics\0", version 1, header size 64, data size, width and
 *   kind of its single atomic, or 0 and 0 for a layout of several), then the data. An atomic of
 *   width w (1, 2, 4, 8 or 16) at data offset o is at byte 64 + o of the mapping, o % w == 0,
 *   and holds a native-endian integer (two's complement for INT) that every program accesses
 *   only with lock-free atomic operations of width w: C11 _Atomic / <stdatomic.h>, C++
 *   std::atomic_ref (C++20) or std::atomic, Rust AtomicI64 / atomics_core::AtomicView.
 *
 * Use (C11; link with -lrt on glibc older than 2.34):
 *
 *   #include "atomics_shm.h"              // first, or define _DEFAULT_SOURCE / build with -std=gnu11
 *   #include <stdatomic.h>
 *
 *   atomics_shm seg;                      // Python: c = atomics.atomic(8, atomics.INT, shared=True)
 *   int rc = atomics_shm_attach(name, 8, ATOMICS_SHM_INT, &seg);         // name = c.shared_name
 *   if (rc != ATOMICS_SHM_OK) { fprintf(stderr, "%s\n", atomics_shm_strerror(rc)); exit(1); }
 *   _Atomic int64_t *counter = (_Atomic int64_t *)seg.data;
 *   atomic_fetch_add(counter, 1);
 *   atomics_shm_notify_all(counter);      // wakes Python's c.wait(old) and Rust's view.wait(old)
 *   atomics_shm_close(&seg);
 *
 * Every function returns ATOMICS_SHM_OK (0) or a negative atomics_shm_status; for
 * ATOMICS_SHM_ESYS, errno says what the system refused (ENOENT: no segment of that name).
 */
#ifndef ATOMICS_SHM_H
#define ATOMICS_SHM_H

/* shm_open, mmap, ftruncate, clock_gettime, syscall: POSIX 2008 and the futex syscall. These
 * only take effect if this header comes before every system header (or use -std=gnu11). */
#if !defined(_GNU_SOURCE) && !defined(_DEFAULT_SOURCE) && !defined(_POSIX_C_SOURCE) && !defined(_XOPEN_SOURCE) && \
    !defined(_BSD_SOURCE)
#define _DEFAULT_SOURCE 1
#endif

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

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
#error "atomics_shm.h needs the __atomic builtins of GCC or Clang"
#endif

/* The header. */
#define ATOMICS_SHM_MAGIC "atomics" /* 8 bytes with its terminating NUL */
#define ATOMICS_SHM_VERSION 1u
#define ATOMICS_SHM_HEADER_SIZE 64u
/* The longest name this header handles, NUL included (the libraries' names have 20 characters). */
#define ATOMICS_SHM_NAME_MAX 256

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
    ATOMICS_SHM_EINVAL = -5     /* an invalid argument (name too long, size overflow, ...) */
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
    size_t size;                     /* bytes mapped: 64 + data_size */
    void *data;                      /* base + 64: data offsets count from here */
    size_t data_size;                /* bytes of data */
    uint32_t width;                  /* the header's width (0 for a layout) */
    uint32_t kind;                   /* the header's kind */
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

/* Maps segment `name` (as shm_open names it: "/atomics_...") and checks its header. On
 * success `seg` describes it; atomics_shm_close() unmaps it. */
static inline int atomics_shm_open(const char *name, atomics_shm *seg) {
    struct stat st;
    atomics_shm_header header;
    void *base;
    int fd, saved;
    size_t size;
    memset(seg, 0, sizeof *seg);
    if (atomics_shm__copy_name(seg, name) != ATOMICS_SHM_OK) {
        return ATOMICS_SHM_EINVAL;
    }
    fd = shm_open(name, O_RDWR, 0);
    if (fd < 0) {
        return ATOMICS_SHM_ESYS;
    }
    if (fstat(fd, &st) != 0) {
        saved = errno;
        close(fd);
        errno = saved;
        return ATOMICS_SHM_ESYS;
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
    /* The creator writes the header once, before anyone knows the name. */
    memcpy(&header, base, sizeof header);
    int status = ATOMICS_SHM_OK;
    if (memcmp(header.magic, ATOMICS_SHM_MAGIC, 8) != 0) {
        status = ATOMICS_SHM_EFORMAT;
    } else if (header.version != ATOMICS_SHM_VERSION) {
        status = ATOMICS_SHM_EVERSION;
    } else if (header.header_size != ATOMICS_SHM_HEADER_SIZE || header.data_size != size - ATOMICS_SHM_HEADER_SIZE) {
        status = ATOMICS_SHM_EFORMAT;
    }
    if (status != ATOMICS_SHM_OK) {
        munmap(base, size);
        return status;
    }
    seg->base = base;
    seg->size = size;
    seg->data = (unsigned char *)base + ATOMICS_SHM_HEADER_SIZE;
    seg->data_size = size - ATOMICS_SHM_HEADER_SIZE;
    seg->width = header.width;
    seg->kind = header.kind;
    return ATOMICS_SHM_OK;
}

/* Maps segment `name` holding a single atomic of `width` bytes and kind `kind`, as made by
 * Python's atomics.atomic(width, atype, shared=True) (name: obj.shared_name) or Rust's
 * Segment::create(width, width, kind). The atomic is at seg->data. */
static inline int atomics_shm_attach(const char *name, uint32_t width, uint32_t kind, atomics_shm *seg) {
    int status = atomics_shm_open(name, seg);
    if (status != ATOMICS_SHM_OK) {
        return status;
    }
    if (seg->width != width || seg->kind != kind || seg->data_size != width) {
        munmap(seg->base, seg->size);
        seg->base = seg->data = NULL;
        return ATOMICS_SHM_EMISMATCH;
    }
    return ATOMICS_SHM_OK;
}

/* Creates a new segment of `data_size` zeroed data bytes under a fresh unguessable name
 * ("/atomics_" and 11 random characters, in seg->name), mode 0600, refusing existing names.
 * `width` and `kind` describe its single atomic (a width and ATOMICS_SHM_INT, _UINT, _BYTES or _FLOAT,
 * which Python's atomics.shared.attach(name) reads), or are 0 and ATOMICS_SHM_LAYOUT for a
 * layout (Python: SharedSegment.attach(name).atomic(offset, width, atype)). The creator
 * removes the name with atomics_shm_unlink(seg->name) when nobody needs to attach any more. */
static inline int atomics_shm_create(size_t data_size, uint32_t width, uint32_t kind, atomics_shm *seg) {
    static const char alphabet[] = "abcdefghijklmnopqrstuvwxyz234567";
    unsigned char random[11];
    atomics_shm_header header;
    int fd = -1, saved, tries, i;
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
        memcpy(seg->name, "/atomics_", 9);
        for (i = 0; i < 11; i++) {
            seg->name[9 + i] = alphabet[random[i] % 32];
        }
        seg->name[20] = '\0';
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
    memset(&header, 0, sizeof header);
    memcpy(header.magic, ATOMICS_SHM_MAGIC, 8);
    header.version = ATOMICS_SHM_VERSION;
    header.header_size = ATOMICS_SHM_HEADER_SIZE;
    header.data_size = (uint64_t)data_size;
    header.width = width;
    header.kind = kind;
    memcpy(base, &header, sizeof header); /* before anyone knows the name */
    seg->base = base;
    seg->size = size;
    seg->data = (unsigned char *)base + ATOMICS_SHM_HEADER_SIZE;
    seg->data_size = data_size;
    seg->width = width;
    seg->kind = kind;
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

/* wait / notify, compatible with Python's obj.wait()/notify_*() and Rust's AtomicView: the
 * waiter sleeps on the aligned 4-byte word holding the start of the value (a shared futex,
 * keyed by the physical page, so any process mapping the segment can wake it); a notifier
 * wakes that word after changing the value. */

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

static inline int64_t atomics_shm__now_ns(void) {
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (int64_t)now.tv_sec * 1000000000 + now.tv_nsec;
}

/* Blocks while the `width`-byte value (1, 2, 4 or 8) at `addr` equals `old` (its low `width`
 * bytes), for at most `timeout_ms` milliseconds (negative: no limit). Returns 1 when the
 * value differs (at once if it already does), 0 when the time passed, -1 when a signal
 * interrupted the sleep (errno EINTR; the value may still equal `old`) or `width` is not
 * waitable (errno EINVAL). Spurious wake-ups are absorbed. For width 8 the futex watches the
 * lower-addressed half, so the sleep is cut into slices of 1 ms to see a change of the other
 * half that nobody notifies. */
static inline int atomics_shm_wait(const void *addr, size_t width, uint64_t old, long timeout_ms) {
    int64_t deadline = timeout_ms < 0 ? -1 : atomics_shm__now_ns() + (int64_t)timeout_ms * 1000000;
    int64_t pause_ns = 1000;
    if ((width != 1 && width != 2 && width != 4 && width != 8) || (uintptr_t)addr % width != 0) {
        errno = EINVAL;
        return -1;
    }
    if (width < 8) {
        old &= ((uint64_t)1 << (8 * width)) - 1;
    }
    for (;;) {
        uint32_t word_value;
        int64_t slice_ns;
        struct timespec ts;
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
#if defined(ATOMICS_SHM_FUTEX)
        if (width == 8 && slice_ns > 1000000) {
            slice_ns = 1000000;
        }
        ts.tv_sec = (time_t)(slice_ns / 1000000000);
        ts.tv_nsec = (long)(slice_ns % 1000000000);
        /* No FUTEX_PRIVATE_FLAG: a shared futex, woken from other processes. */
        if (syscall(SYS_futex, atomics_shm__word(addr), FUTEX_WAIT, word_value,
                    slice_ns == INT64_MAX ? NULL : &ts, NULL, 0) != 0 &&
            errno == EINTR) {
            return -1;
        }
        (void)pause_ns;
#else
        /* No futex known: re-read with a backoff of at most 1 ms (notify has nothing to do). */
        if (slice_ns > pause_ns) {
            slice_ns = pause_ns;
        }
        ts.tv_sec = 0;
        ts.tv_nsec = (long)slice_ns;
        if (nanosleep(&ts, NULL) != 0 && errno == EINTR) {
            return -1;
        }
        pause_ns = pause_ns * 2 > 1000000 ? 1000000 : pause_ns * 2;
        (void)word_value;
#endif
    }
}

static inline void atomics_shm__wake(const void *addr, int count) {
#if defined(ATOMICS_SHM_FUTEX)
    syscall(SYS_futex, atomics_shm__word(addr), FUTEX_WAKE, count, NULL, NULL, 0);
#else
    (void)addr;
    (void)count;
#endif
}

/* Wakes one thread or process waiting on the value at `addr` (call it after changing it). */
static inline void atomics_shm_notify_one(const void *addr) {
    atomics_shm__wake(addr, 1);
}

/* Wakes every thread and process waiting on the value at `addr` (call it after changing it):
 * Python's obj.wait(old), Rust's AtomicView::wait and atomics_shm_wait. */
static inline void atomics_shm_notify_all(const void *addr) {
    atomics_shm__wake(addr, INT_MAX);
}

#endif /* ATOMICS_SHM_H */
