/*
 * Grant sharing and mapping.
 *
 * A share is one memfd of `count` pages, created here and passed to the
 * sharer; each page gets a grant ref in the sharer's domain, naming the one
 * domain that may map it and whether writably. The daemon keeps each memfd
 * mapped too, so it can clear an unmap-notification byte for a process that
 * died. Each memfd is sealed at its size (memory.c).
 */
#define _GNU_SOURCE
#include "daemon.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define FIRST_REF 8          /* Linux keeps refs below 8 for itself */
#define MAX_REFS (1u << 20)
#define NONE UINT32_MAX

struct backing {
    int fd;
    char *base;
    uint32_t npages;
    int refs;                /* grants and notifications using it */
};

struct grant {
    struct backing *b;
    uint32_t page;
    uint32_t grantee;
    bool writable;
};

/* Clear a byte and signal a port when a mapping or share goes away. */
struct notify {
    struct backing *b;       /* NULL: no byte to clear */
    uint32_t offset;         /* byte within the page */
    uint32_t page;
    struct port *port;       /* NULL: no event */
};

struct share {
    uint32_t id;
    uint32_t dom;
    uint32_t count;
    uint32_t *refs;
    struct notify n;
    struct share *next;
};

struct mapping {
    uint32_t id;
    struct notify n;
    struct mapping *next;
};

struct domain_grants {
    struct grant **slot;     /* indexed by ref */
    uint32_t cap;
};

static struct domain_grants doms[XSIM_MAX_DOMID + 1];
static uint32_t next_id = 1;
static uint32_t live_grants, live_mappings;

static uint32_t new_id(void)
{
    uint32_t id = next_id++;
    if (next_id > INT32_MAX)
        next_id = 1;
    return id;
}

static void backing_unref(struct backing *b)
{
    if (b && --b->refs == 0) {
        munmap(b->base, (size_t)b->npages * XSIM_PAGE);
        close(b->fd);
        free(b);
    }
}

static struct backing *backing_new(uint32_t npages)
{
    struct backing *b = calloc(1, sizeof *b);
    if (!b)
        return NULL;
    size_t size = (size_t)npages * XSIM_PAGE;
    b->fd = sealed_memfd("xensim-grant", size);
    if (b->fd < 0)
        goto fail;
    b->base = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, b->fd, 0);
    if (b->base == MAP_FAILED)
        goto fail_fd;
    b->npages = npages;
    b->refs = 1; /* the creator's, dropped once grants hold it */
    return b;
fail_fd:
    close(b->fd);
fail:
    free(b);
    return NULL;
}

/* Drops a notification without running it: its domain was destroyed, and
 * Xen neither clears the byte nor sends the event then. */
static void notify_drop(struct notify *n)
{
    backing_unref(n->b);
    n->b = NULL;
    port_unref(n->port);
    n->port = NULL;
}

static void notify_fire(struct notify *n)
{
    if (n->b) {
        __atomic_store_n(n->b->base + (size_t)n->page * XSIM_PAGE + n->offset, 0,
                         __ATOMIC_SEQ_CST);
        backing_unref(n->b);
        n->b = NULL;
    }
    if (n->port) {
        port_send(n->port);
        port_unref(n->port);
        n->port = NULL;
    }
}

/* Registers a notification; -errno if the port is not one of dom's. */
static int notify_set(struct notify *n, uint32_t dom, struct backing *b, uint32_t page,
                      uint32_t offset, uint32_t port)
{
    *n = (struct notify){ 0 };
    if (offset != NONE && offset >= XSIM_PAGE)
        return -EINVAL;
    if (port != NONE) {
        n->port = port_ref(dom, port);
        if (!n->port)
            return -EINVAL;
    }
    if (offset != NONE) {
        n->b = b;
        n->offset = offset;
        n->page = page;
        b->refs++;
    }
    return 0;
}

static struct grant *grant_at(uint32_t dom, uint32_t ref)
{
    if (dom > XSIM_MAX_DOMID || ref >= doms[dom].cap)
        return NULL;
    return doms[dom].slot[ref];
}

/* Lowest free refs, not necessarily consecutive. */
static int alloc_refs(uint32_t dom, uint32_t count, uint32_t *refs)
{
    struct domain_grants *d = &doms[dom];
    uint32_t ref = FIRST_REF;
    for (uint32_t i = 0; i < count; i++, ref++) {
        while (ref < d->cap && d->slot[ref])
            ref++;
        if (ref >= MAX_REFS)
            return -ENOSPC;
        if (ref >= d->cap) {
            uint32_t cap = d->cap ? d->cap : 256;
            while (cap <= ref)
                cap *= 2;
            struct grant **s = realloc(d->slot, cap * sizeof *s);
            if (!s)
                return -ENOMEM;
            memset(s + d->cap, 0, (cap - d->cap) * sizeof *s);
            d->slot = s;
            d->cap = cap;
        }
        refs[i] = ref;
        d->slot[ref] = (struct grant *)1; /* reserved until filled */
    }
    return 0;
}

static void free_refs(uint32_t dom, const uint32_t *refs, uint32_t count)
{
    for (uint32_t i = 0; i < count; i++) {
        if (refs[i] < FIRST_REF || refs[i] >= doms[dom].cap)
            continue; /* never allocated */
        struct grant *g = doms[dom].slot[refs[i]];
        doms[dom].slot[refs[i]] = NULL;
        if (g && g != (struct grant *)1) {
            backing_unref(g->b);
            free(g);
            live_grants--;
        }
    }
}

static void share(struct conn *c, const struct xsim_req *req)
{
    uint32_t count = req->b;
    if (count == 0 || count > XSIM_MAX_MAP_PAGES || req->a > XSIM_MAX_DOMID) {
        reply_err(c, EINVAL);
        return;
    }
    struct share *s = calloc(1, sizeof *s);
    uint32_t *refs = calloc(count, sizeof *refs);
    struct backing *b = backing_new(count);
    int err = ENOMEM;
    if (!s || !refs || !b)
        goto fail;
    int rc = alloc_refs(c->domid, count, refs);
    if (rc < 0) {
        free_refs(c->domid, refs, count);
        err = -rc;
        goto fail;
    }
    for (uint32_t i = 0; i < count; i++) {
        struct grant *g = calloc(1, sizeof *g);
        if (!g) {
            free_refs(c->domid, refs, count);
            goto fail;
        }
        *g = (struct grant){ b, i, req->a, req->c != 0 };
        b->refs++;
        doms[c->domid].slot[refs[i]] = g;
        live_grants++;
    }
    rc = notify_set(&s->n, c->domid, b, 0, req->d, req->e);
    if (rc < 0) {
        free_refs(c->domid, refs, count);
        err = -rc;
        goto fail;
    }
    s->id = new_id();
    s->dom = c->domid;
    s->count = count;
    s->refs = refs;
    s->next = c->shares;
    c->shares = s;
    reply(c, (int32_t)s->id, refs, count * sizeof *refs, &b->fd, 1);
    backing_unref(b);
    return;
fail:
    free(s);
    free(refs);
    backing_unref(b);
    reply_err(c, err);
}

static void share_free(struct share *s, bool notify)
{
    notify ? notify_fire(&s->n) : notify_drop(&s->n);
    free_refs(s->dom, s->refs, s->count);
    free(s->refs);
    free(s);
}

static void unshare(struct conn *c, uint32_t id)
{
    for (struct share **pp = &c->shares; *pp; pp = &(*pp)->next) {
        if ((*pp)->id == id) {
            struct share *s = *pp;
            *pp = s->next;
            share_free(s, true);
            reply(c, 0, NULL, 0, NULL, 0);
            return;
        }
    }
    reply_err(c, EINVAL);
}

/* Checks every ref first: mapping is all or nothing. */
static void map(struct conn *c, const struct xsim_req *req, const char *payload, size_t len)
{
    uint32_t count = req->b;
    bool want_write = (req->c & PROT_WRITE) != 0;
    if (count == 0 || count > XSIM_MAX_MAP_PAGES || len != (size_t)count * 8 ||
        (count > 1 && (req->d != NONE || req->e != NONE))) {
        reply_err(c, EINVAL);
        return;
    }
    uint32_t *layout = calloc(count, 2 * sizeof *layout);
    struct grant **gs = calloc(count, sizeof *gs);
    int fds[XSIM_MAX_FDS];
    struct backing *seen[XSIM_MAX_FDS];
    int nfds = 0, err = 0;
    if (!layout || !gs) {
        err = ENOMEM;
        goto out;
    }
    for (uint32_t i = 0; i < count && !err; i++) {
        uint32_t dom, ref;
        memcpy(&dom, payload + 8 * i, 4);
        memcpy(&ref, payload + 8 * i + 4, 4);
        struct grant *g = grant_at(dom, ref);
        if (!g || g == (struct grant *)1 || g->grantee != c->domid) {
            err = EINVAL;
            break;
        }
        if (want_write && !g->writable) {
            err = EACCES;
            break;
        }
        gs[i] = g;
        int fi = 0;
        while (fi < nfds && seen[fi] != g->b)
            fi++;
        if (fi == nfds) {
            if (nfds == XSIM_MAX_FDS) {
                err = E2BIG;
                break;
            }
            seen[nfds] = g->b;
            fds[nfds++] = g->b->fd;
        }
        layout[2 * i] = (uint32_t)fi;
        layout[2 * i + 1] = g->page;
    }
    if (err)
        goto out;
    struct mapping *m = calloc(1, sizeof *m);
    if (!m) {
        err = ENOMEM;
        goto out;
    }
    int rc = notify_set(&m->n, c->domid, gs[0]->b, gs[0]->page, req->d, req->e);
    if (rc < 0) {
        free(m);
        err = -rc;
        goto out;
    }
    m->id = new_id();
    m->next = c->mappings;
    c->mappings = m;
    live_mappings++;
    /* A read-only mapping gets read-only fds, so that the mapper cannot make
     * it writable with mprotect: Xen maps it read-only. (Without /proc, the
     * read-write fds go.) */
    int ro[XSIM_MAX_FDS], nro = 0;
    while (!want_write && nro < nfds && (ro[nro] = reopen_read_only(fds[nro])) >= 0)
        nro++;
    reply(c, (int32_t)m->id, layout, (size_t)count * 2 * sizeof *layout,
          nro == nfds ? ro : fds, nfds);
    while (nro > 0)
        close(ro[--nro]);
out:
    if (err)
        reply_err(c, err);
    free(layout);
    free(gs);
}

static void mapping_free(struct mapping *m, bool notify)
{
    notify ? notify_fire(&m->n) : notify_drop(&m->n);
    live_mappings--;
    free(m);
}

static void unmap(struct conn *c, uint32_t id)
{
    for (struct mapping **pp = &c->mappings; *pp; pp = &(*pp)->next) {
        if ((*pp)->id == id) {
            struct mapping *m = *pp;
            *pp = m->next;
            mapping_free(m, true);
            reply(c, 0, NULL, 0, NULL, 0);
            return;
        }
    }
    reply_err(c, EINVAL);
}

void grants_handle(struct conn *c, const struct xsim_req *req, const char *payload, size_t len)
{
    if (c->kind == XSIM_K_GNTSHR && req->op == XSIM_GS_SHARE)
        share(c, req);
    else if (c->kind == XSIM_K_GNTSHR && req->op == XSIM_GS_UNSHARE)
        unshare(c, req->a);
    else if (c->kind == XSIM_K_GNTTAB && req->op == XSIM_GT_MAP)
        map(c, req, payload, len);
    else if (c->kind == XSIM_K_GNTTAB && req->op == XSIM_GT_UNMAP)
        unmap(c, req->a);
    else
        reply_err(c, ENOSYS);
}

/* A closed handle or a dead process: its notifications fire now. A
 * destroyed domain's go without them. */
void grants_conn_closed(struct conn *c)
{
    while (c->mappings) {
        struct mapping *m = c->mappings;
        c->mappings = m->next;
        mapping_free(m, !c->destroyed);
    }
    while (c->shares) {
        struct share *s = c->shares;
        c->shares = s->next;
        share_free(s, !c->destroyed);
    }
}

uint32_t grants_count(void)
{
    return live_grants;
}

uint32_t mappings_count(void)
{
    return live_mappings;
}
