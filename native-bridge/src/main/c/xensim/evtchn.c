/*
 * libxenevtchn.so.1 over xensimd.
 *
 * A handle is one connection to the daemon (bind, unbind, who a far end is)
 * and an epoll set, which is the fd users poll. Each bound port end is an
 * eventfd in that set, armed one-shot: a delivered port stays disarmed
 * (masked) until xenevtchn_unmask re-arms it, and notifications meanwhile
 * add to the eventfd, so they coalesce into one event at unmask, as with
 * Linux's evtchn device. Notify writes the far end's eventfd directly: one
 * system call, no daemon on the way. The far end is asked for once and
 * again only after the handle's shared page says one moved on.
 */
#define _GNU_SOURCE
#include "client.h"
#include "xensim.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

typedef int xenevtchn_port_or_error_t;
typedef uint32_t evtchn_port_t;

/* epoll data of the daemon connection and of the wake eventfd, beside the ports' numbers */
#define DAEMON_TAG UINT64_MAX
#define STALE_TAG (UINT64_MAX - 1)

struct bound {                 /* a port bound through this handle */
    evtchn_port_t port;
    int efd;                   /* ours: the far end's notifications land here */
    int far_efd;               /* the far end's, to notify it; -1 if it has none */
    bool far_known;
    uint32_t far_seen;         /* the page's far_ends when far_efd was asked for */
};

struct xenevtchn_handle {
    struct xsim_conn req;
    int epfd;                  /* what users poll: our eventfds and the daemon's hang-up */
    /*
     * A port unbound while its event was waiting leaves the epoll set, yet a poller
     * may have seen the set readable because of it: such events are kept here and
     * delivered anyway (the evtchn device delivers a port unbound after it fired), so
     * that xenevtchn_pending never blocks a caller whose poll said an event was there.
     */
    int stale_efd;             /* readable while stale[] is not empty */
    evtchn_port_t *stale;
    int nstale, stale_cap;
    struct xsim_ev_shared *shared;
    pthread_mutex_t lock;      /* guards ports[]; held across a notify's write so an
                                  unbind cannot close the fd under it */
    struct bound *ports;
    int nports, cap;
};

static struct bound *find(xenevtchn_handle *h, evtchn_port_t port)
{
    for (int i = 0; i < h->nports; i++)
        if (h->ports[i].port == port)
            return &h->ports[i];
    return NULL;
}

static void close_fd(int fd)
{
    if (fd >= 0)
        close(fd);
}

static int arm(xenevtchn_handle *h, const struct bound *b, int op)
{
    struct epoll_event ev = { .events = EPOLLIN | EPOLLONESHOT, .data.u64 = b->port };
    return epoll_ctl(h->epfd, op, b->efd, &ev);
}

/* Asks for the handle's shared page and maps it; 0 or -1 with errno. */
static int map_shared(xenevtchn_handle *h)
{
    struct xsim_req req = { .op = XSIM_EV_SHARED };
    int fd = -1, nfds = 0;
    if (xsim_call(&h->req, &req, NULL, NULL, NULL, &fd, 1, &nfds) < 0)
        return -1;
    if (nfds != 1) {
        errno = EIO;
        return -1;
    }
    void *page = mmap(NULL, XSIM_PAGE, PROT_READ, MAP_SHARED, fd, 0);
    int e = errno;
    close(fd);
    if (page == MAP_FAILED) {
        errno = e;
        return -1;
    }
    h->shared = page;
    return 0;
}

xenevtchn_handle *xensim_evtchn_open_as(struct xentoollog_logger *logger,
                                        unsigned int flags, uint32_t domid)
{
    (void)logger;
    (void)flags;
    xenevtchn_handle *h = calloc(1, sizeof *h);
    if (!h)
        return NULL;
    h->epfd = -1;
    h->stale_efd = -1;
    if (xsim_open(&h->req, XSIM_K_EVTCHN, domid, 0) < 0)
        goto fail;
    h->epfd = epoll_create1(EPOLL_CLOEXEC);
    h->stale_efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    /* The daemon's hang-up wakes the poller, whose pending() then says EIO. */
    struct epoll_event hup = { .events = EPOLLRDHUP, .data.u64 = DAEMON_TAG };
    struct epoll_event stale = { .events = EPOLLIN, .data.u64 = STALE_TAG };
    if (h->epfd < 0 || h->stale_efd < 0 || epoll_ctl(h->epfd, EPOLL_CTL_ADD, h->req.fd, &hup) < 0 ||
        epoll_ctl(h->epfd, EPOLL_CTL_ADD, h->stale_efd, &stale) < 0 || map_shared(h) < 0)
        goto fail;
    pthread_mutex_init(&h->lock, NULL);
    return h;
fail: {
    int e = errno;
    close_fd(h->epfd);
    close_fd(h->stale_efd);
    xsim_close(&h->req);
    free(h);
    errno = e;
    return NULL;
}
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
    /* Closing the connection unbinds every port, as closing the device does. */
    xsim_close(&h->req);
    for (int i = 0; i < h->nports; i++) {
        close(h->ports[i].efd);
        close_fd(h->ports[i].far_efd);
    }
    close(h->epfd);
    close(h->stale_efd);
    munmap(h->shared, XSIM_PAGE);
    pthread_mutex_destroy(&h->lock);
    free(h->stale);
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
    return h->epfd;
}

/* b's far end as the daemon knows it now; 0, or -1 with errno. Under h->lock. */
static int ask_far_end(xenevtchn_handle *h, struct bound *b, uint32_t seen)
{
    struct xsim_req req = { .op = XSIM_EV_FAR_END, .a = b->port };
    int fd = -1, nfds = 0;
    if (xsim_call(&h->req, &req, NULL, NULL, NULL, &fd, 1, &nfds) < 0)
        return -1;
    close_fd(b->far_efd);
    b->far_efd = nfds == 1 ? fd : -1;
    b->far_known = true;
    b->far_seen = seen;
    return 0;
}

int xenevtchn_notify(xenevtchn_handle *h, evtchn_port_t port)
{
    if (!h) {
        errno = EINVAL;
        return -1;
    }
    pthread_mutex_lock(&h->lock);
    struct bound *b = find(h, port);
    int rc = 0;
    if (!b) {
        errno = EINVAL;
        rc = -1;
    } else {
        /* Read before asking: a change while we ask shows as a new value next time. */
        uint32_t seen = __atomic_load_n(&h->shared->far_ends, __ATOMIC_ACQUIRE);
        if (!b->far_known || b->far_seen != seen)
            rc = ask_far_end(h, b, seen);
        /* No far end: Xen drops a notification on an unbound port. */
        if (rc == 0 && b->far_efd >= 0)
            rc = eventfd_write(b->far_efd, 1);
    }
    pthread_mutex_unlock(&h->lock);
    return rc;
}

static xenevtchn_port_or_error_t bind_port(xenevtchn_handle *h, const struct xsim_req *req)
{
    int efd = -1, nfds = 0;
    int port = xsim_call(&h->req, req, NULL, NULL, NULL, &efd, 1, &nfds);
    if (port < 0)
        return -1;
    int e = EIO;
    if (nfds == 1) {
        pthread_mutex_lock(&h->lock);
        struct bound *grown = h->ports;
        if (h->nports == h->cap) {
            int cap = h->cap ? h->cap * 2 : 8;
            grown = realloc(h->ports, cap * sizeof *grown);
            if (grown) {
                h->ports = grown;
                h->cap = cap;
            }
        }
        if (grown) {
            struct bound *b = &h->ports[h->nports];
            *b = (struct bound){ .port = (evtchn_port_t)port, .efd = efd, .far_efd = -1 };
            if (arm(h, b, EPOLL_CTL_ADD) == 0) {
                h->nports++;
                pthread_mutex_unlock(&h->lock);
                return port;
            }
        }
        e = grown ? errno : ENOMEM;
        pthread_mutex_unlock(&h->lock);
    }
    close_fd(efd);
    struct xsim_req unbind = { .op = XSIM_EV_UNBIND, .a = (uint32_t)port };
    xsim_call(&h->req, &unbind, NULL, NULL, NULL, NULL, 0, NULL);
    errno = e;
    return -1;
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

/* Under h->lock: port's waiting event outlives its unbinding (see stale_efd). */
static void keep_stale(xenevtchn_handle *h, evtchn_port_t port)
{
    if (h->nstale == h->stale_cap) {
        int cap = h->stale_cap ? h->stale_cap * 2 : 4;
        evtchn_port_t *grown = realloc(h->stale, cap * sizeof *grown);
        if (!grown)
            return; /* the event is lost, as a port unbound before it fired would lose it */
        h->stale = grown;
        h->stale_cap = cap;
    }
    h->stale[h->nstale++] = port;
    eventfd_write(h->stale_efd, 1);
}

/* Under h->lock: the oldest stale event's port, or -1 if none is left. */
static int take_stale(xenevtchn_handle *h)
{
    if (h->nstale == 0)
        return -1;
    int port = (int)h->stale[0];
    memmove(h->stale, h->stale + 1, --h->nstale * sizeof *h->stale);
    if (h->nstale == 0) {
        eventfd_t count;
        eventfd_read(h->stale_efd, &count);
    }
    return port;
}

int xenevtchn_unbind(xenevtchn_handle *h, evtchn_port_t port)
{
    if (!h) {
        errno = EINVAL;
        return -1;
    }
    /*
     * Atomic, as the evtchn device's unbind is: the lock is held from the daemon's unbind
     * until our entry is gone. Once the daemon has freed the number, another thread's
     * bind may get it at once; were our old entry still there, find() would hand that
     * bind's notify and unmask the old port's far end and fd, and its events would be lost.
     */
    pthread_mutex_lock(&h->lock);
    struct bound *b = find(h, port);
    if (!b) {
        pthread_mutex_unlock(&h->lock);
        errno = EINVAL;
        return -1;
    }
    struct xsim_req req = { .op = XSIM_EV_UNBIND, .a = port };
    if (xsim_call(&h->req, &req, NULL, NULL, NULL, NULL, 0, NULL) < 0) {
        int e = errno;
        pthread_mutex_unlock(&h->lock);
        errno = e;
        return -1;
    }
    epoll_ctl(h->epfd, EPOLL_CTL_DEL, b->efd, NULL);
    eventfd_t count;
    if (eventfd_read(b->efd, &count) == 0)
        keep_stale(h, port);
    close(b->efd);
    close_fd(b->far_efd);
    *b = h->ports[--h->nports];
    pthread_mutex_unlock(&h->lock);
    return 0;
}

/* Blocks until a port is delivered, as reading the evtchn device does. */
xenevtchn_port_or_error_t xenevtchn_pending(xenevtchn_handle *h)
{
    if (!h) {
        errno = EINVAL;
        return -1;
    }
    for (;;) {
        struct epoll_event ev;
        int n = epoll_wait(h->epfd, &ev, 1, -1);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return -1;
        if (ev.data.u64 == DAEMON_TAG) {
            errno = EIO; /* the daemon went away */
            return -1;
        }
        if (ev.data.u64 == STALE_TAG) {
            pthread_mutex_lock(&h->lock);
            int port = take_stale(h);
            pthread_mutex_unlock(&h->lock);
            if (port >= 0)
                return port;
            continue;
        }
        evtchn_port_t port = (evtchn_port_t)ev.data.u64;
        pthread_mutex_lock(&h->lock);
        struct bound *b = find(h, port);
        eventfd_t count;
        /*
         * Xen delivers at the first notification and masks the port, so any later one
         * stays pending for the unmask. The first is the one that woke us (unmask leaves
         * at most one behind): more than one means some came after the delivery.
         */
        if (b && eventfd_read(b->efd, &count) == 0 && count > 1)
            eventfd_write(b->efd, 1);
        pthread_mutex_unlock(&h->lock);
        /* Delivered even if unbound since it fired, as the evtchn device does: looking
         * again could block a caller whose poll said an event was there. */
        return (xenevtchn_port_or_error_t)port;
    }
}

int xenevtchn_unmask(xenevtchn_handle *h, evtchn_port_t port)
{
    if (!h) {
        errno = EINVAL;
        return -1;
    }
    pthread_mutex_lock(&h->lock);
    struct bound *b = find(h, port);
    int rc = -1;
    if (b) {
        /* What came while masked is one pending event, as Xen's pending bit: one left. */
        eventfd_t count;
        if (eventfd_read(b->efd, &count) == 0)
            eventfd_write(b->efd, 1);
        rc = arm(h, b, EPOLL_CTL_MOD);
    } else {
        errno = EINVAL;
    }
    pthread_mutex_unlock(&h->lock);
    return rc;
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
