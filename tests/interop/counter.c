/*
 * A C11 program sharing counters with Python and Rust programs through include/atomics_shm.h,
 * with the commands of the Rust example crates/atomics-core/examples/shared_counter.rs
 * (tests/test_interop.py runs both the same way):
 *
 *   add NAME DELTA          adds DELTA to the atomic of atomics.atomic(8, atomics.INT,
 *                           shared=True) and prints the previous value
 *   create VALUE            creates a segment holding one INT of width 8 set to VALUE, prints its
 *                           name, waits (at most 10 s) until someone changes it, prints the new
 *                           value, unlinks the name
 *   notify NAME VALUE MS    attaches to the INT of width 4 or 8 of segment NAME, sleeps MS ms,
 *                           stores VALUE and wakes every waiter
 *   count NAME N            in the layout [counter: int64 at 0, start: uint32 at 64, ready:
 *                           uint32 at 128]: adds 1 to ready (and notifies), waits until start is
 *                           not 0, then adds 1 to counter N times
 *
 * Build: cc -std=c11 -O2 -Iinclude tests/interop/counter.c -o counter -lrt
 *        (Windows: x86_64-w64-mingw32-gcc ... -o counter.exe -lbcrypt)
 */
#include "atomics_shm.h" /* first: it selects the POSIX interfaces it needs */

#include <inttypes.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#if defined(_WIN32)
static void sleep_ms(long ms) {
    Sleep((DWORD)ms);
}
#else
static void sleep_ms(long ms) {
    struct timespec delay = {ms / 1000, (ms % 1000) * 1000000};
    nanosleep(&delay, NULL);
}
#endif

/* The atomics of the segment are lock-free, so address-free: they work across processes. */
_Static_assert(ATOMIC_LLONG_LOCK_FREE == 2 && ATOMIC_INT_LOCK_FREE == 2, "lock-free 4- and 8-byte atomics");
_Static_assert(sizeof(_Atomic int64_t) == 8 && sizeof(_Atomic uint32_t) == 4, "atomics of their own width");

enum { COUNTER = 0, START = 64, READY = 128 };

static int fail(const char *what, int status) {
    fprintf(stderr, "counter: %s: %s\n", what, atomics_shm_strerror(status));
    return 1;
}

static int add(const char *name, int64_t delta) {
    atomics_shm seg;
    int rc = atomics_shm_attach(name, 8, ATOMICS_SHM_INT, &seg);
    if (rc != ATOMICS_SHM_OK) {
        return fail(name, rc);
    }
    _Atomic int64_t *counter = (_Atomic int64_t *)seg.data;
    printf("%" PRId64 "\n", atomic_fetch_add(counter, delta));
    atomics_shm_close(&seg);
    return 0;
}

static int create(int64_t value) {
    atomics_shm seg;
    int rc = atomics_shm_create(8, 8, ATOMICS_SHM_INT, &seg);
    if (rc != ATOMICS_SHM_OK) {
        return fail("create", rc);
    }
    _Atomic int64_t *atomic = (_Atomic int64_t *)seg.data;
    atomic_store(atomic, value);
    printf("%s\n", seg.name);
    fflush(stdout);
    int changed = atomics_shm_wait_in(&seg, atomic, 8, (uint64_t)value, 10000);
    printf("%" PRId64 "\n", atomic_load(atomic));
    atomics_shm_unlink(seg.name);
    atomics_shm_close(&seg);
    if (changed != 1) {
        fprintf(stderr, "counter: the value did not change (%d)\n", changed);
        return 1;
    }
    return 0;
}

static int notify(const char *name, int64_t value, long ms) {
    atomics_shm seg;
    int rc = atomics_shm_open(name, &seg);
    if (rc == ATOMICS_SHM_OK && (seg.kind != ATOMICS_SHM_INT || (seg.width != 4 && seg.width != 8))) {
        atomics_shm_close(&seg);
        rc = ATOMICS_SHM_EMISMATCH;
    }
    if (rc != ATOMICS_SHM_OK) {
        return fail(name, rc);
    }
    sleep_ms(ms);
    if (seg.width == 4) {
        atomic_store((_Atomic int32_t *)seg.data, (int32_t)value);
    } else {
        atomic_store((_Atomic int64_t *)seg.data, value);
    }
    atomics_shm_notify_all_in(&seg, seg.data);
    atomics_shm_close(&seg);
    return 0;
}

static int count(const char *name, long n) {
    atomics_shm seg;
    int rc = atomics_shm_open(name, &seg);
    if (rc != ATOMICS_SHM_OK) {
        return fail(name, rc);
    }
    _Atomic int64_t *counter = (_Atomic int64_t *)atomics_shm_at(&seg, COUNTER, 8);
    _Atomic uint32_t *start = (_Atomic uint32_t *)atomics_shm_at(&seg, START, 4);
    _Atomic uint32_t *ready = (_Atomic uint32_t *)atomics_shm_at(&seg, READY, 4);
    if (counter == NULL || start == NULL || ready == NULL) {
        return fail(name, ATOMICS_SHM_EFORMAT);
    }
    atomic_fetch_add(ready, 1);
    atomics_shm_notify_all_in(&seg, ready);
    while (atomic_load(start) == 0) {
        if (atomics_shm_wait_in(&seg, start, 4, 0, 60000) == 0) {
            fprintf(stderr, "counter: no start signal within 60 s\n");
            return 1;
        }
    }
    for (long i = 0; i < n; i++) {
        atomic_fetch_add(counter, 1);
    }
    atomics_shm_close(&seg);
    return 0;
}

int main(int argc, char **argv) {
    if (argc == 4 && strcmp(argv[1], "add") == 0) {
        return add(argv[2], strtoll(argv[3], NULL, 10));
    }
    if (argc == 3 && strcmp(argv[1], "create") == 0) {
        return create(strtoll(argv[2], NULL, 10));
    }
    if (argc == 5 && strcmp(argv[1], "notify") == 0) {
        return notify(argv[2], strtoll(argv[3], NULL, 10), strtol(argv[4], NULL, 10));
    }
    if (argc == 4 && strcmp(argv[1], "count") == 0) {
        return count(argv[2], strtol(argv[3], NULL, 10));
    }
    fprintf(stderr, "usage: counter add NAME DELTA | create VALUE | notify NAME VALUE MS | count NAME N\n");
    return 2;
}
