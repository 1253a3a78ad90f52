/*
 * The library side of a connection to xensimd: find or start the daemon,
 * say HELLO, and make synchronous requests. Linked into every xensim
 * library with hidden visibility.
 */
#ifndef XENSIM_CLIENT_H
#define XENSIM_CLIENT_H

#include <stddef.h>
#include <stdint.h>
#include <pthread.h>
#include "proto.h"

#define XSIM_HIDDEN __attribute__((visibility("hidden")))

struct xsim_conn {
    int fd;
    uint32_t id;             /* the daemon's id for this connection */
    uint32_t domid;
    pthread_mutex_t lock;    /* one request in flight per connection */
};

/* The domain of this process: XENSIM_DOMID, default 0; -1 if invalid. */
XSIM_HIDDEN int xsim_self_domid(void);

/* Connects as `kind` for `domid`; 0, or -1 with errno. */
XSIM_HIDDEN int xsim_open(struct xsim_conn *c, int kind, uint32_t domid,
                          uint32_t partner);
XSIM_HIDDEN void xsim_close(struct xsim_conn *c);

/*
 * One request and its reply. `out`/`out_len`: reply payload, malloc'd (or
 * NULL) — the caller frees it. `fds`/`nfds`: fds received (at most
 * `max_fds`). Returns the reply's ret (>= 0), or -1 with errno.
 */
XSIM_HIDDEN int xsim_call(struct xsim_conn *c, const struct xsim_req *req,
                          const void *payload, void **out, size_t *out_len,
                          int *fds, int max_fds, int *nfds);

/* A one-way message (event-channel notify/unmask). 0 or -1 with errno. */
XSIM_HIDDEN int xsim_send(int fd, uint32_t op, uint32_t a);

#endif
