#include <zmq.h>

#ifdef __linux__
#include <stdint.h>
#include <sys/epoll.h>

/* epoll over ZeroMQ's ZMQ_FD descriptors, for a thread that drives many sockets (Wire's DealerFleet).
   struct epoll_event is packed on x86-64, which Swift does not import as written; these take and give
   plain integers instead. */
static inline int anasod_epoll_create(void) { return epoll_create1(EPOLL_CLOEXEC); }

static inline int anasod_epoll_add(int epoll, int fd, uint64_t token) {
    struct epoll_event event;
    event.events = EPOLLIN;
    event.data.u64 = token;
    return epoll_ctl(epoll, EPOLL_CTL_ADD, fd, &event);
}

/* Waits up to timeout milliseconds; writes the tokens of up to max (≤ 256) ready descriptors. */
static inline int anasod_epoll_wait(int epoll, uint64_t *tokens, int max, int timeout) {
    struct epoll_event events[256];
    if (max > 256) max = 256;
    int n = epoll_wait(epoll, events, max, timeout);
    for (int i = 0; i < n; i++) tokens[i] = events[i].data.u64;
    return n;
}
#endif
