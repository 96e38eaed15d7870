# The lock and condition variable of _sync.h (POSIX threads, or SRWLOCK on Windows), for the threads that
# work without the GIL: the decode pipeline's two stages (_decoder.pyx) and JobGate (_encoder.pyx).
cdef extern from "_sync.h":
    ctypedef struct cy_sync:
        pass
    int cy_sync_init(cy_sync* sync) noexcept nogil
    void cy_sync_destroy(cy_sync* sync) noexcept nogil
    void cy_sync_lock(cy_sync* sync) noexcept nogil
    void cy_sync_unlock(cy_sync* sync) noexcept nogil
    void cy_sync_wait(cy_sync* sync) noexcept nogil
    void cy_sync_wake_all(cy_sync* sync) noexcept nogil
