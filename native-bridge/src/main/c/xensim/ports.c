/*
 * Event channels with Xen's rules.
 *
 * Port numbers are per domain, lowest free first, from 1. An unbound port
 * names the one remote domain allowed to bind it. Closing one end of an
 * interdomain channel puts the other end back to unbound for the closer's
 * domain.
 *
 * Each port end is an eventfd, made here and handed to its owner at bind; a
 * notifier writes its far end's eventfd itself (it asks here who that is,
 * and asks again when its handle's page says a far end moved on). Masking
 * and coalescing are the receiver's (evtchn.c). What stays here is what Xen
 * decides: who may bind, who the far end is, and the notifications of a
 * process that died (port_send).
 */
#define _GNU_SOURCE
#include "daemon.h"

#include <errno.h>
#include <stdlib.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <unistd.h>

#define MAX_PORTS 65536

enum { P_UNBOUND = 1, P_INTERDOMAIN };

struct port {
    uint32_t num;
    uint32_t dom;
    int state;
    uint32_t rdom;           /* unbound: who may bind; interdomain: the peer */
    uint32_t rport;
    struct conn *owner;      /* the EVTCHN connection; NULL once it closed */
    int efd;                 /* signalled when the far end notifies (its owner holds it too) */
    int refs;                /* unmap notifications holding it bound */
};

struct domain_ports {
    struct port **slot;      /* indexed by port number */
    uint32_t cap;
};

static struct domain_ports doms[XSIM_MAX_DOMID + 1];
static uint32_t live_ports;

static struct port *lookup(uint32_t dom, uint32_t num)
{
    if (dom > XSIM_MAX_DOMID || num >= doms[dom].cap)
        return NULL;
    return doms[dom].slot[num];
}

static struct port *alloc_port(uint32_t dom)
{
    struct domain_ports *d = &doms[dom];
    uint32_t num = 1;
    while (num < d->cap && d->slot[num])
        num++;
    if (num >= MAX_PORTS)
        return NULL;
    if (num >= d->cap) {
        uint32_t cap = d->cap ? d->cap * 2 : 64;
        struct port **s = realloc(d->slot, cap * sizeof *s);
        if (!s)
            return NULL;
        for (uint32_t i = d->cap; i < cap; i++)
            s[i] = NULL;
        d->slot = s;
        d->cap = cap;
    }
    struct port *p = calloc(1, sizeof *p);
    if (!p)
        return NULL;
    p->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (p->efd < 0) {
        free(p);
        return NULL;
    }
    p->num = num;
    p->dom = dom;
    d->slot[num] = p;
    live_ports++;
    return p;
}

/* The other end of p's interdomain channel, while both ends say so. */
static struct port *far_end(const struct port *p)
{
    if (p->state != P_INTERDOMAIN)
        return NULL;
    struct port *r = lookup(p->rdom, p->rport);
    if (!r || r->state != P_INTERDOMAIN || r->rdom != p->dom || r->rport != p->num)
        return NULL;
    return r;
}

/* Tells p's owner that p's far end changed: its library asks again. */
static void far_end_moved(struct port *p)
{
    if (p && p->owner && p->owner->ev_shared)
        __atomic_fetch_add(&p->owner->ev_shared->far_ends, 1, __ATOMIC_RELEASE);
}

/* Signals the far end of p's channel, as EVTCHNOP_send does: for a
 * notification that the daemon runs (its process died or unmapped). */
void port_send(struct port *p)
{
    struct port *r = p ? far_end(p) : NULL;
    if (!r || !r->owner)
        return; /* unbound, or the far end is kept only for a notification: nobody listens */
    eventfd_write(r->efd, 1);
}

/* Frees p; its peer, if any, goes back to unbound for p's domain. */
static void really_close(struct port *p)
{
    struct port *r = far_end(p);
    if (r) {
        r->state = P_UNBOUND;
        r->rport = 0;
        far_end_moved(r);
    }
    doms[p->dom].slot[p->num] = NULL;
    live_ports--;
    close(p->efd);
    free(p);
}

static void close_port(struct port *p)
{
    p->owner = NULL;
    /* Nobody listens on p from now on: its far end should stop signalling it. */
    struct port *r = far_end(p);
    far_end_moved(r);
    if (p->refs == 0)
        really_close(p);
}

struct port *port_ref(uint32_t domid, uint32_t num)
{
    struct port *p = lookup(domid, num);
    if (p && p->owner)
        p->refs++;
    else
        p = NULL;
    return p;
}

void port_unref(struct port *p)
{
    if (p && --p->refs == 0 && !p->owner)
        really_close(p);
}

static int bind_unbound(struct conn *c, uint32_t rdom)
{
    if (rdom > XSIM_MAX_DOMID)
        return -EINVAL;
    struct port *p = alloc_port(c->domid);
    if (!p)
        return -ENOSPC;
    p->state = P_UNBOUND;
    p->rdom = rdom;
    p->owner = c;
    return (int)p->num;
}

static int bind_interdomain(struct conn *c, uint32_t rdom, uint32_t rport)
{
    struct port *r = lookup(rdom, rport);
    if (!r || !r->owner || r->state != P_UNBOUND || r->rdom != c->domid)
        return -EINVAL;
    struct port *p = alloc_port(c->domid);
    if (!p)
        return -ENOSPC;
    p->state = P_INTERDOMAIN;
    p->rdom = rdom;
    p->rport = rport;
    p->owner = c;
    r->state = P_INTERDOMAIN;
    r->rport = p->num;
    far_end_moved(r);
    return (int)p->num;
}

static struct port *owned(struct conn *c, uint32_t num)
{
    struct port *p = lookup(c->domid, num);
    return p && p->owner == c ? p : NULL;
}

/* The handle's page, made on its first request: one sealed memfd page, mapped
 * here to write and by the library to read (it gets a read-only fd). */
static void shared_page(struct conn *c)
{
    if (c->ev_shared) {
        reply_err(c, EEXIST);
        return;
    }
    int fd = sealed_memfd("xensim-evtchn", XSIM_PAGE);
    if (fd < 0) {
        reply_err(c, errno);
        return;
    }
    void *page = mmap(NULL, XSIM_PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    int ro = page == MAP_FAILED ? -1 : reopen_read_only(fd);
    if (ro < 0) {
        int e = errno;
        if (page != MAP_FAILED)
            munmap(page, XSIM_PAGE);
        close(fd);
        reply_err(c, e);
        return;
    }
    close(fd);
    c->ev_shared = page;
    reply(c, 0, NULL, 0, &ro, 1);
    close(ro);
}

static void bound(struct conn *c, int rc)
{
    if (rc < 0) {
        reply_err(c, -rc);
        return;
    }
    struct port *p = lookup(c->domid, (uint32_t)rc);
    reply(c, rc, NULL, 0, &p->efd, 1);
}

void ports_handle(struct conn *c, const struct xsim_req *req)
{
    switch (req->op) {
    case XSIM_EV_SHARED:
        shared_page(c);
        return;
    case XSIM_EV_BIND_UNBOUND:
        bound(c, bind_unbound(c, req->a));
        return;
    case XSIM_EV_BIND_INTERDOMAIN:
        bound(c, bind_interdomain(c, req->a, req->b));
        return;
    case XSIM_EV_FAR_END: {
        struct port *p = owned(c, req->a);
        if (!p) {
            reply_err(c, EINVAL);
            return;
        }
        struct port *r = far_end(p);
        if (r && r->owner)
            reply(c, 0, NULL, 0, &r->efd, 1);
        else
            reply(c, 0, NULL, 0, NULL, 0);
        return;
    }
    case XSIM_EV_UNBIND: {
        struct port *p = owned(c, req->a);
        if (!p) {
            reply_err(c, EINVAL);
            return;
        }
        close_port(p);
        reply(c, 0, NULL, 0, NULL, 0);
        return;
    }
    default:
        reply_err(c, ENOSYS);
    }
}

void ports_conn_closed(struct conn *c)
{
    if (c->kind != XSIM_K_EVTCHN)
        return;
    struct domain_ports *d = &doms[c->domid];
    for (uint32_t i = 1; i < d->cap; i++)
        if (d->slot[i] && d->slot[i]->owner == c)
            close_port(d->slot[i]);
    if (c->ev_shared) {
        /* A handle that lives on (its domain destroyed under it) asks again, and fails. */
        __atomic_fetch_add(&c->ev_shared->far_ends, 1, __ATOMIC_RELEASE);
        munmap(c->ev_shared, XSIM_PAGE);
        c->ev_shared = NULL;
    }
}

uint32_t ports_count(void)
{
    return live_ports;
}
