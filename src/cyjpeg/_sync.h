/* A lock and a condition variable for threads that run without the GIL (the two-stage decode pipeline in
 * _decoder.pyx): POSIX threads where they exist, the Windows slim reader/writer lock and condition variable
 * (Vista and later) on Windows. The threads themselves are started by Python's thread pool; this is only
 * what they need to wait for each other.
 *
 * cy_sync_init returns 0 on success; a POSIX lock that cannot be made declines the pipeline (the caller then
 * decodes on one thread), it is never an error the user sees.
 */
#ifndef CYJPEG_SYNC_H
#define CYJPEG_SYNC_H

#if defined(_WIN32)
#ifndef WIN32_LEAN_AND_MEAN
#define WIN32_LEAN_AND_MEAN
#endif
#include <windows.h>

typedef struct {
    SRWLOCK lock;
    CONDITION_VARIABLE changed;
} cy_sync;

static inline int cy_sync_init(cy_sync* sync) {
    InitializeSRWLock(&sync->lock);
    InitializeConditionVariable(&sync->changed);
    return 0;
}
static inline void cy_sync_destroy(cy_sync* sync) { (void)sync; }
static inline void cy_sync_lock(cy_sync* sync) { AcquireSRWLockExclusive(&sync->lock); }
static inline void cy_sync_unlock(cy_sync* sync) { ReleaseSRWLockExclusive(&sync->lock); }
static inline void cy_sync_wait(cy_sync* sync) { SleepConditionVariableSRW(&sync->changed, &sync->lock, INFINITE, 0); }
static inline void cy_sync_wake_all(cy_sync* sync) { WakeAllConditionVariable(&sync->changed); }

#else
#include <pthread.h>

typedef struct {
    pthread_mutex_t lock;
    pthread_cond_t changed;
} cy_sync;

static inline int cy_sync_init(cy_sync* sync) {
    if (pthread_mutex_init(&sync->lock, NULL) != 0)
        return -1;
    if (pthread_cond_init(&sync->changed, NULL) != 0) {
        pthread_mutex_destroy(&sync->lock);
        return -1;
    }
    return 0;
}
static inline void cy_sync_destroy(cy_sync* sync) {
    pthread_cond_destroy(&sync->changed);
    pthread_mutex_destroy(&sync->lock);
}
static inline void cy_sync_lock(cy_sync* sync) { pthread_mutex_lock(&sync->lock); }
static inline void cy_sync_unlock(cy_sync* sync) { pthread_mutex_unlock(&sync->lock); }
static inline void cy_sync_wait(cy_sync* sync) { pthread_cond_wait(&sync->changed, &sync->lock); }
static inline void cy_sync_wake_all(cy_sync* sync) { pthread_cond_broadcast(&sync->changed); }
#endif

#endif
