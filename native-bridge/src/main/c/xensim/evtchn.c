/*
 * libxenevtchn.so.1 over xensimd.
 *
 * A handle is two connections: requests (bind, unbind) and events. The
 * events connection is the fd users poll: the daemon writes one message per
 * delivered port, and the port stays masked until xenevtchn_unmask, as with
 * Linux's evtchn device. Notify and unmask go one-way on the same socket.
 */
#define _GNU_SOURCE
#include "client.h"
#include "xensim.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

typedef int xenevtchn_port_or_error_t;
typedef uint32_t evtchn_port_t;

struct xenevtchn_handle {
    struct xsim_conn req;
    struct xsim_conn events;
    pthread_mutex_t lock;    /* guards ports[] */
    evtchn_port_t *ports;    /* bound through this handle: notify checks them */
    int nports, cap;
};

static int owns(xenevtchn_handle *h, evtchn_port_t port)
{
    pthread_mutex_lock(&h->lock);
    int found = 0;
    for (int i = 0; i < h->nports && !found; i++)
        found = h->ports[i] == port;
    pthread_mutex_unlock(&h->lock);
    return found;
}

static int remember(xenevtchn_handle *h, evtchn_port_t port)
{
    pthread_mutex_lock(&h->lock);
    if (h->nports == h->cap) {
        int cap = h->cap ? h->cap * 2 : 8;
        evtchn_port_t *p = realloc(h->ports, cap * sizeof *p);
        if (!p) {
            pthread_mutex_unlock(&h->lock);
            errno = ENOMEM;
            return -1;
        }
        h->ports = p;
        h->cap = cap;
    }
    h->ports[h->nports++] = port;
    pthread_mutex_unlock(&h->lock);
    return 0;
}

static void forget(xenevtchn_handle *h, evtchn_port_t port)
{
    pthread_mutex_lock(&h->lock);
    for (int i = 0; i < h->nports; i++) {
        if (h->ports[i] == port) {
            h->ports[i] = h->ports[--h->nports];
            break;
        }
    }
    pthread_mutex_unlock(&h->lock);
}

xenevtchn_handle *xensim_evtchn_open_as(struct xentoollog_logger *logger,
                                        unsigned int flags, uint32_t domid)
{
    (void)logger;
    (void)flags;
    xenevtchn_handle *h = calloc(1, sizeof *h);
    if (!h)
        return NULL;
    if (xsim_open(&h->req, XSIM_K_EVTCHN, domid, 0) < 0)
        goto fail;
    if (xsim_open(&h->events, XSIM_K_EVENTS, domid, h->req.id) < 0) {
        int e = errno;
        xsim_close(&h->req);
        errno = e;
        goto fail;
    }
    pthread_mutex_init(&h->lock, NULL);
    return h;
fail:
    free(h);
    return NULL;
}

xenevtchn_handle *xenevtchn_open(struct xentoollog_logger *logger, unsigned int flags)
{
    int domid = xsim_self_domid();
    if (domid < 0) {
        errno = EINVAL;
        return NULL;
    }
    return xensim_evtchn_open_as(logger, flags, (uint32_t)domid);
}

int xenevtchn_close(xenevtchn_handle *h)
{
    if (!h)
        return 0;
    /* Closing the connections unbinds every port, as closing the device does. */
    xsim_close(&h->events);
    xsim_close(&h->req);
    pthread_mutex_destroy(&h->lock);
    free(h->ports);
    free(h);
    return 0;
}

int xenevtchn_fd(xenevtchn_handle *h)
{
    if (!h) {
        errno = EINVAL;
        return -1;
    }
    return h->events.fd;
}

int xenevtchn_notify(xenevtchn_handle *h, evtchn_port_t port)
{
    if (!h || !owns(h, port)) {
        errno = EINVAL;
        return -1;
    }
    return xsim_send(h->events.fd, XSIM_EV_NOTIFY, port);
}

static xenevtchn_port_or_error_t bind_port(xenevtchn_handle *h, const struct xsim_req *req)
{
    int port = xsim_call(&h->req, req, NULL, NULL, NULL, NULL, 0, NULL);
    if (port < 0)
        return -1;
    if (remember(h, (evtchn_port_t)port) < 0) {
        struct xsim_req unbind = { .op = XSIM_EV_UNBIND, .a = (uint32_t)port };
        xsim_call(&h->req, &unbind, NULL, NULL, NULL, NULL, 0, NULL);
        return -1;
    }
    return port;
}

xenevtchn_port_or_error_t xenevtchn_bind_unbound_port(xenevtchn_handle *h, uint32_t domid)
{
    if (!h || domid > XSIM_MAX_DOMID) {
        errno = EINVAL;
        return -1;
    }
    struct xsim_req req = { .op = XSIM_EV_BIND_UNBOUND, .a = domid };
    return bind_port(h, &req);
}

xenevtchn_port_or_error_t xenevtchn_bind_interdomain(xenevtchn_handle *h, uint32_t domid,
                                                     evtchn_port_t remote_port)
{
    if (!h || domid > XSIM_MAX_DOMID) {
        errno = EINVAL;
        return -1;
    }
    struct xsim_req req = { .op = XSIM_EV_BIND_INTERDOMAIN, .a = domid, .b = remote_port };
    return bind_port(h, &req);
}

xenevtchn_port_or_error_t xenevtchn_bind_virq(xenevtchn_handle *h, unsigned int virq)
{
    (void)h;
    (void)virq;
    errno = ENOSYS; /* no virtual IRQs on a simulated host */
    return -1;
}

int xenevtchn_unbind(xenevtchn_handle *h, evtchn_port_t port)
{
    if (!h || !owns(h, port)) {
        errno = EINVAL;
        return -1;
    }
    struct xsim_req req = { .op = XSIM_EV_UNBIND, .a = port };
    if (xsim_call(&h->req, &req, NULL, NULL, NULL, NULL, 0, NULL) < 0)
        return -1;
    forget(h, port);
    return 0;
}

xenevtchn_port_or_error_t xenevtchn_pending(xenevtchn_handle *h)
{
    if (!h) {
        errno = EINVAL;
        return -1;
    }
    struct xsim_req m;
    for (;;) {
        ssize_t n = recv(h->events.fd, &m, sizeof m, 0);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return -1;
        if (n == 0) {
            errno = EIO; /* the daemon went away */
            return -1;
        }
        if (n == (ssize_t)sizeof m && m.op == XSIM_EV_EVENT)
            return (xenevtchn_port_or_error_t)m.a;
    }
}

int xenevtchn_unmask(xenevtchn_handle *h, evtchn_port_t port)
{
    if (!h || !owns(h, port)) {
        errno = EINVAL;
        return -1;
    }
    return xsim_send(h->events.fd, XSIM_EV_UNMASK, port);
}

/* Xen 4.17 also exports these; xensim has no use for them. */
int xenevtchn_restrict(xenevtchn_handle *h, uint16_t domid)
{
    (void)domid;
    if (!h) {
        errno = EINVAL;
        return -1;
    }
    return 0;
}

xenevtchn_handle *xenevtchn_fdopen(struct xentoollog_logger *logger, int fd,
                                   unsigned int flags)
{
    (void)logger;
    (void)fd;
    (void)flags;
    errno = ENOSYS; /* there is no device fd to adopt */
    return NULL;
}

int xensim_stats(struct xensim_stats *out)
{
    if (!out) {
        errno = EINVAL;
        return -1;
    }
    struct xsim_conn c;
    if (xsim_open(&c, XSIM_K_XC, 0, 0) < 0)
        return -1;
    struct xsim_req req = { .op = XSIM_STATS };
    void *data = NULL;
    size_t len = 0;
    int rc = xsim_call(&c, &req, NULL, &data, &len, NULL, 0, NULL);
    xsim_close(&c);
    if (rc < 0)
        return -1;
    if (len < sizeof(struct xsim_stats_wire)) {
        free(data);
        errno = EIO;
        return -1;
    }
    struct xsim_stats_wire w;
    memcpy(&w, data, sizeof w);
    free(data);
    *out = (struct xensim_stats){ w.connections, w.ports, w.grants, w.mappings,
                                  w.watches, w.transactions, w.domains };
    return 0;
}

/* One toolstack request as domain `self` (create and destroy want dom0). */
static int toolstack(uint32_t op, uint32_t domid, int self)
{
    if (self < 0 || domid > XSIM_MAX_DOMID) {
        errno = EINVAL;
        return -1;
    }
    struct xsim_conn c;
    if (xsim_open(&c, XSIM_K_XC, (uint32_t)self, 0) < 0)
        return -1;
    struct xsim_req req = { .op = op, .a = domid };
    int rc = xsim_call(&c, &req, NULL, NULL, NULL, NULL, 0, NULL);
    int e = errno;
    xsim_close(&c);
    errno = e;
    return rc;
}

int xensim_domain_create(uint32_t domid)
{
    return toolstack(XSIM_DOMAIN_CREATE, domid, xsim_self_domid()) < 0 ? -1 : 0;
}

int xensim_domain_destroy(uint32_t domid)
{
    return toolstack(XSIM_DOMAIN_DESTROY, domid, xsim_self_domid()) < 0 ? -1 : 0;
}

/* Asked as dom0, like xensim_stats: a guest asking must not make its own
 * domain arrive (or leave) for the length of the question. */
int xensim_domain_state(uint32_t domid)
{
    return toolstack(XSIM_DOMAIN_STATE, domid, 0);
}
