/*
 * Event channels with Xen's rules.
 *
 * Port numbers are per domain, lowest free first, from 1. An unbound port
 * names the one remote domain allowed to bind it. Closing one end of an
 * interdomain channel puts the other end back to unbound for the closer's
 * domain. A delivered port is masked until unmasked; notifications while it
 * is masked coalesce into one pending event, delivered at unmask.
 */
#include "daemon.h"

#include <errno.h>
#include <stdlib.h>

#define MAX_PORTS 65536

enum { P_UNBOUND = 1, P_INTERDOMAIN };

struct port {
    uint32_t num;
    uint32_t dom;
    int state;
    uint32_t rdom;           /* unbound: who may bind; interdomain: the peer */
    uint32_t rport;
    struct conn *owner;      /* the EVTCHN connection; NULL once it closed */
    bool masked, pending;
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
    p->num = num;
    p->dom = dom;
    d->slot[num] = p;
    live_ports++;
    return p;
}

static void deliver(struct port *p)
{
    struct conn *events = p->owner ? p->owner->partner : NULL;
    if (!events) {
        p->pending = true;
        return;
    }
    p->pending = false;
    p->masked = true;
    push(events, XSIM_EV_EVENT, p->num, NULL, 0);
}

/* Signals the far end of p's channel, as EVTCHNOP_send does. */
void port_send(struct port *p)
{
    if (!p || p->state != P_INTERDOMAIN)
        return;
    struct port *r = lookup(p->rdom, p->rport);
    if (!r || r->state != P_INTERDOMAIN || r->rdom != p->dom || r->rport != p->num)
        return;
    if (!r->owner)
        return; /* kept only for a notification: nobody listens */
    if (r->masked)
        r->pending = true;
    else
        deliver(r);
}

/* Frees p; its peer, if any, goes back to unbound for p's domain. */
static void really_close(struct port *p)
{
    if (p->state == P_INTERDOMAIN) {
        struct port *r = lookup(p->rdom, p->rport);
        if (r && r->state == P_INTERDOMAIN && r->rdom == p->dom && r->rport == p->num) {
            r->state = P_UNBOUND;
            r->rport = 0;
        }
    }
    doms[p->dom].slot[p->num] = NULL;
    live_ports--;
    free(p);
}

static void close_port(struct port *p)
{
    p->owner = NULL;
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
    return (int)p->num;
}

static struct port *owned(struct conn *c, uint32_t num)
{
    struct port *p = lookup(c->domid, num);
    return p && p->owner == c ? p : NULL;
}

void ports_handle(struct conn *c, const struct xsim_req *req)
{
    switch (req->op) {
    case XSIM_EV_BIND_UNBOUND: {
        int rc = bind_unbound(c, req->a);
        rc < 0 ? reply_err(c, -rc) : reply(c, rc, NULL, 0, NULL, 0);
        return;
    }
    case XSIM_EV_BIND_INTERDOMAIN: {
        int rc = bind_interdomain(c, req->a, req->b);
        rc < 0 ? reply_err(c, -rc) : reply(c, rc, NULL, 0, NULL, 0);
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

/* Notify and unmask arrive one-way on the handle's events connection. */
void ports_event_message(struct conn *events, const struct xsim_req *req)
{
    struct conn *c = events->partner;
    struct port *p = c ? owned(c, req->a) : NULL;
    if (!p)
        return;
    if (req->op == XSIM_EV_NOTIFY) {
        port_send(p);
    } else if (req->op == XSIM_EV_UNMASK) {
        p->masked = false;
        if (p->pending)
            deliver(p);
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
}

uint32_t ports_count(void)
{
    return live_ports;
}
