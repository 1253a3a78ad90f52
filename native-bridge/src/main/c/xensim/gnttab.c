/*
 * libxengnttab.so.1 over xensimd: grant mapping (xengnttab_*) and sharing
 * (xengntshr_*).
 *
 * Granted pages are pages of memfds owned by the daemon. Sharing returns one
 * fd for the new pages; mapping returns the backing fd of each ref, and we
 * map them contiguously into one reserved region. Both are plain
 * MAP_SHARED mappings, so a caller may release them with munmap.
 */
#define _GNU_SOURCE
#include "client.h"
#include "xensim.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

typedef uint32_t evtchn_port_t;

/* A region this handle mapped or shared, for unmap/unshare by address. */
struct region {
    void *addr;
    uint32_t count;
    uint32_t id;             /* the daemon's map or share id */
};

struct xengntdev_handle {
    struct xsim_conn conn;
    pthread_mutex_t lock;
    struct region *regions;
    int nregions, cap;
};

static struct xengntdev_handle *open_as(int kind, uint32_t domid)
{
    struct xengntdev_handle *h = calloc(1, sizeof *h);
    if (!h)
        return NULL;
    if (xsim_open(&h->conn, kind, domid, 0) < 0) {
        free(h);
        return NULL;
    }
    pthread_mutex_init(&h->lock, NULL);
    return h;
}

static struct xengntdev_handle *open_self(int kind)
{
    int domid = xsim_self_domid();
    if (domid < 0) {
        errno = EINVAL;
        return NULL;
    }
    return open_as(kind, (uint32_t)domid);
}

/*
 * Closing releases the daemon's side (grants, notifications) but leaves the
 * caller's mappings in place, as closing the Linux devices does: the caller
 * may have unmapped and reused those addresses already.
 */
static int close_handle(struct xengntdev_handle *h)
{
    if (!h)
        return 0;
    xsim_close(&h->conn);
    pthread_mutex_destroy(&h->lock);
    free(h->regions);
    free(h);
    return 0;
}

static int add_region(struct xengntdev_handle *h, void *addr, uint32_t count, uint32_t id)
{
    pthread_mutex_lock(&h->lock);
    if (h->nregions == h->cap) {
        int cap = h->cap ? h->cap * 2 : 8;
        struct region *r = realloc(h->regions, cap * sizeof *r);
        if (!r) {
            pthread_mutex_unlock(&h->lock);
            errno = ENOMEM;
            return -1;
        }
        h->regions = r;
        h->cap = cap;
    }
    h->regions[h->nregions++] = (struct region){ addr, count, id };
    pthread_mutex_unlock(&h->lock);
    return 0;
}

/* Removes the region at addr with `count` pages; its daemon id, or -1. */
static int take_region(struct xengntdev_handle *h, void *addr, uint32_t count)
{
    int id = -1;
    pthread_mutex_lock(&h->lock);
    for (int i = 0; i < h->nregions; i++) {
        if (h->regions[i].addr == addr && h->regions[i].count == count) {
            id = (int)h->regions[i].id;
            h->regions[i] = h->regions[--h->nregions];
            break;
        }
    }
    pthread_mutex_unlock(&h->lock);
    return id;
}

static void release(struct xengntdev_handle *h, uint32_t op, uint32_t id)
{
    struct xsim_req req = { .op = op, .a = id };
    int e = errno;
    xsim_call(&h->conn, &req, NULL, NULL, NULL, NULL, 0, NULL);
    errno = e;
}

/* ---- mapping ---- */

xengnttab_handle *xensim_gnttab_open_as(struct xentoollog_logger *logger,
                                        unsigned int flags, uint32_t domid)
{
    (void)logger;
    (void)flags;
    return open_as(XSIM_K_GNTTAB, domid);
}

xengnttab_handle *xengnttab_open(struct xentoollog_logger *logger, unsigned int flags)
{
    (void)logger;
    (void)flags;
    return open_self(XSIM_K_GNTTAB);
}

int xengnttab_close(xengnttab_handle *h)
{
    return close_handle(h);
}

int xengnttab_set_max_grants(xengnttab_handle *h, uint32_t nr_grants)
{
    (void)nr_grants;
    if (!h) {
        errno = EINVAL;
        return -1;
    }
    return 0;
}

/* Maps each run of pages that are consecutive in one backing fd at once. */
static int map_runs(char *base, uint32_t count, const uint32_t *layout,
                    const int *fds, int nfds, int prot)
{
    uint32_t i = 0;
    while (i < count) {
        uint32_t fdi = layout[2 * i], page = layout[2 * i + 1], run = 1;
        if ((int)fdi >= nfds) {
            errno = EIO;
            return -1;
        }
        while (i + run < count && layout[2 * (i + run)] == fdi &&
               layout[2 * (i + run) + 1] == page + run)
            run++;
        void *at = mmap(base + (size_t)i * XSIM_PAGE, (size_t)run * XSIM_PAGE, prot,
                        MAP_SHARED | MAP_FIXED, fds[fdi], (off_t)page * XSIM_PAGE);
        if (at == MAP_FAILED)
            return -1;
        i += run;
    }
    return 0;
}

static void *map_refs(xengnttab_handle *h, uint32_t count, const uint32_t *domids,
                      const uint32_t *refs, int prot, uint32_t notify_offset,
                      evtchn_port_t notify_port)
{
    if (!h || count == 0 || count > XSIM_MAX_MAP_PAGES || !refs || !domids ||
        !(prot & PROT_READ) || (prot & ~(PROT_READ | PROT_WRITE))) {
        errno = EINVAL;
        return NULL;
    }
    uint32_t *pairs = malloc((size_t)count * 2 * sizeof *pairs);
    if (!pairs)
        return NULL;
    for (uint32_t i = 0; i < count; i++) {
        pairs[2 * i] = domids[i];
        pairs[2 * i + 1] = refs[i];
    }
    struct xsim_req req = { .op = XSIM_GT_MAP, .b = count, .c = (uint32_t)prot,
                            .d = notify_offset, .e = notify_port,
                            .len = count * 2 * sizeof *pairs };
    void *layout = NULL;
    size_t len = 0;
    int fds[XSIM_MAX_FDS], nfds = 0;
    int id = xsim_call(&h->conn, &req, pairs, &layout, &len, fds, XSIM_MAX_FDS, &nfds);
    free(pairs);
    if (id < 0)
        return NULL;
    void *base = MAP_FAILED;
    if (len != (size_t)count * 2 * sizeof(uint32_t)) {
        errno = EIO;
        goto out;
    }
    base = mmap(NULL, (size_t)count * XSIM_PAGE, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (base == MAP_FAILED)
        goto out;
    if (map_runs(base, count, layout, fds, nfds, prot) < 0 ||
        add_region(h, base, count, (uint32_t)id) < 0) {
        int e = errno;
        munmap(base, (size_t)count * XSIM_PAGE);
        errno = e;
        base = MAP_FAILED;
    }
out:
    for (int i = 0; i < nfds; i++)
        close(fds[i]);
    free(layout);
    if (base == MAP_FAILED) {
        release(h, XSIM_GT_UNMAP, (uint32_t)id);
        return NULL;
    }
    return base;
}

void *xengnttab_map_grant_refs(xengnttab_handle *h, uint32_t count, uint32_t *domids,
                               uint32_t *refs, int prot)
{
    return map_refs(h, count, domids, refs, prot, UINT32_MAX, UINT32_MAX);
}

void *xengnttab_map_domain_grant_refs(xengnttab_handle *h, uint32_t count, uint32_t domid,
                                      uint32_t *refs, int prot)
{
    if (count == 0 || count > XSIM_MAX_MAP_PAGES) {
        errno = EINVAL;
        return NULL;
    }
    uint32_t *domids = malloc((size_t)count * sizeof *domids);
    if (!domids)
        return NULL;
    for (uint32_t i = 0; i < count; i++)
        domids[i] = domid;
    void *p = map_refs(h, count, domids, refs, prot, UINT32_MAX, UINT32_MAX);
    int e = errno;
    free(domids);
    errno = e;
    return p;
}

void *xengnttab_map_grant_ref(xengnttab_handle *h, uint32_t domid, uint32_t ref, int prot)
{
    return map_refs(h, 1, &domid, &ref, prot, UINT32_MAX, UINT32_MAX);
}

void *xengnttab_map_grant_ref_notify(xengnttab_handle *h, uint32_t domid, uint32_t ref,
                                     int prot, uint32_t notify_offset,
                                     evtchn_port_t notify_port)
{
    if (notify_offset != UINT32_MAX && notify_offset >= XSIM_PAGE) {
        errno = EINVAL;
        return NULL;
    }
    return map_refs(h, 1, &domid, &ref, prot, notify_offset, notify_port);
}

int xengnttab_unmap(xengnttab_handle *h, void *start_address, uint32_t count)
{
    if (!h) {
        errno = EINVAL;
        return -1;
    }
    int id = take_region(h, start_address, count);
    if (id < 0) {
        errno = EINVAL;
        return -1;
    }
    /* Tell the daemon first: its notification clears a byte in this page. */
    release(h, XSIM_GT_UNMAP, (uint32_t)id);
    return munmap(start_address, (size_t)count * XSIM_PAGE);
}

int xengnttab_fd(xengnttab_handle *h)
{
    if (!h) {
        errno = EINVAL;
        return -1;
    }
    return h->conn.fd;
}

int xengnttab_grant_copy(xengnttab_handle *h, uint32_t count, void *segs)
{
    (void)h;
    (void)count;
    (void)segs;
    errno = ENOSYS;
    return -1;
}

/* ---- sharing ---- */

xengntshr_handle *xensim_gntshr_open_as(struct xentoollog_logger *logger,
                                        unsigned int flags, uint32_t domid)
{
    (void)logger;
    (void)flags;
    return open_as(XSIM_K_GNTSHR, domid);
}

xengntshr_handle *xengntshr_open(struct xentoollog_logger *logger, unsigned int flags)
{
    (void)logger;
    (void)flags;
    return open_self(XSIM_K_GNTSHR);
}

int xengntshr_close(xengntshr_handle *h)
{
    return close_handle(h);
}

static void *share(xengntshr_handle *h, uint32_t domid, int count, uint32_t *refs,
                   int writable, uint32_t notify_offset, evtchn_port_t notify_port)
{
    if (!h || count <= 0 || count > XSIM_MAX_MAP_PAGES || !refs || domid > XSIM_MAX_DOMID) {
        errno = EINVAL;
        return NULL;
    }
    struct xsim_req req = { .op = XSIM_GS_SHARE, .a = domid, .b = (uint32_t)count,
                            .c = writable ? 1 : 0, .d = notify_offset, .e = notify_port };
    void *out = NULL;
    size_t len = 0;
    int fd = -1, nfds = 0;
    int id = xsim_call(&h->conn, &req, NULL, &out, &len, &fd, 1, &nfds);
    if (id < 0)
        return NULL;
    void *base = MAP_FAILED;
    if (nfds != 1 || len != (size_t)count * sizeof(uint32_t)) {
        errno = EIO;
    } else {
        /* The sharer always has its pages read-write, as with gntalloc. */
        base = mmap(NULL, (size_t)count * XSIM_PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
        if (base != MAP_FAILED && add_region(h, base, (uint32_t)count, (uint32_t)id) < 0) {
            munmap(base, (size_t)count * XSIM_PAGE);
            base = MAP_FAILED;
        }
    }
    if (nfds == 1)
        close(fd);
    if (base == MAP_FAILED) {
        free(out);
        release(h, XSIM_GS_UNSHARE, (uint32_t)id);
        return NULL;
    }
    memcpy(refs, out, len);
    free(out);
    return base;
}

void *xengntshr_share_pages(xengntshr_handle *h, uint32_t domid, int count, uint32_t *refs,
                            int writable)
{
    return share(h, domid, count, refs, writable, UINT32_MAX, UINT32_MAX);
}

void *xengntshr_share_page_notify(xengntshr_handle *h, uint32_t domid, uint32_t *ref,
                                  int writable, uint32_t notify_offset,
                                  evtchn_port_t notify_port)
{
    if (notify_offset != UINT32_MAX && notify_offset >= XSIM_PAGE) {
        errno = EINVAL;
        return NULL;
    }
    return share(h, domid, 1, ref, writable, notify_offset, notify_port);
}

int xengntshr_unshare(xengntshr_handle *h, void *start_address, uint32_t count)
{
    if (!h) {
        errno = EINVAL;
        return -1;
    }
    int id = take_region(h, start_address, count);
    if (id < 0) {
        errno = EINVAL;
        return -1;
    }
    release(h, XSIM_GS_UNSHARE, (uint32_t)id);
    return munmap(start_address, (size_t)count * XSIM_PAGE);
}

int xengntshr_fd(xengntshr_handle *h)
{
    return xengnttab_fd(h);
}
