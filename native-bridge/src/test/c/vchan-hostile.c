/*
 * vchan-hostile: a vchan CLIENT that completes the handshake, moves data both
 * ways and, at random moments, writes random values into the shared control
 * page: indices, orders, live and notify bytes, the grant list. Xen library
 * calls only (xenstore, gnttab, evtchn), no libxenvchan: a peer that breaks
 * the protocol on purpose, to show that the server on the other side fails
 * that one channel cleanly.
 *
 *   vchan-hostile --peer DOMID --path-prefix P --mutations M --seed S [--per-round K] [--timeout-ms T]
 *
 * Round r = 0, 1, ... connects to the server published at P<r> (waiting for
 * it), then mutates up to 2K times (K = 100 by default), or until the server
 * removes its keys (it noticed and closed), and closes; rounds go on until M
 * mutations are done. Prints "seed S" first and "done mutations=N rounds=R"
 * at the end. Exit 0, or 2 if a server never showed up.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <xenevtchn.h>
#include <xengnttab.h>
#include <xenstore.h>

enum { LEFT_CONS = 0, LEFT_PROD = 4, RIGHT_CONS = 8, RIGHT_PROD = 12, LEFT_ORDER = 16, RIGHT_ORDER = 18,
       CLI_LIVE = 20, SRV_LIVE = 21, CLI_NOTIFY = 22, SRV_NOTIFY = 23, GRANTS = 24 };

static uint64_t rng;

/* splitmix64: reproducible from the printed seed */
static uint64_t next(void)
{
    uint64_t z = (rng += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static uint32_t below(uint32_t n)
{
    return (uint32_t)(next() % n);
}

static long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

static int read_number(struct xs_handle *xs, const char *path, const char *key)
{
    char full[256];
    unsigned int len;
    snprintf(full, sizeof full, "%s/%s", path, key);
    char *v = xs_read(xs, XBT_NULL, full, &len);
    if (!v) {
        return -1;
    }
    int n = atoi(v);
    free(v);
    return n;
}

struct channel {
    volatile uint8_t *page;
    uint8_t *left, *right;       /* left: we write; right: we read */
    uint32_t left_size, right_size;
    int left_pages, right_pages;  /* 0: in the control page */
    evtchn_port_t port;
};

static volatile uint32_t *u32(struct channel *c, int off)
{
    return (volatile uint32_t *)(c->page + off);
}

static void *ring_memory(xengnttab_handle *g, int peer, struct channel *c, int order, int first_ref, int *pages)
{
    if (order == 10) {
        *pages = 0;
        return (void *)(c->page + 1024);
    }
    if (order == 11) {
        *pages = 0;
        return (void *)(c->page + 2048);
    }
    *pages = 1 << (order - 12);
    uint32_t refs[256];
    for (int i = 0; i < *pages; i++) {
        refs[i] = *u32(c, GRANTS + 4 * (first_ref + i));
    }
    return xengnttab_map_domain_grant_refs(g, *pages, peer, refs, PROT_READ | PROT_WRITE);
}

static int connect_round(struct xs_handle *xs, xenevtchn_handle *e, xengnttab_handle *g, int peer,
                         const char *path, long timeout_ms, struct channel *c)
{
    long deadline = now_ms() + timeout_ms;
    int ref, remote;
    while ((ref = read_number(xs, path, "ring-ref")) <= 0 || (remote = read_number(xs, path, "event-channel")) <= 0) {
        if (now_ms() > deadline) {
            return -1;
        }
        struct timespec pause = {0, 200000}; /* XenStore has no cheaper wait for us here */
        nanosleep(&pause, NULL);
    }
    int port = xenevtchn_bind_interdomain(e, peer, remote);
    if (port < 0) {
        return -1;
    }
    c->port = port;
    xenevtchn_unmask(e, c->port);
    /* the unmap notification tells the server if we die */
    c->page = xengnttab_map_grant_ref_notify(g, peer, ref, PROT_READ | PROT_WRITE, CLI_LIVE, c->port);
    if (!c->page) {
        xenevtchn_unbind(e, c->port);
        return -1;
    }
    int lo = *(volatile uint16_t *)(c->page + LEFT_ORDER), ro = *(volatile uint16_t *)(c->page + RIGHT_ORDER);
    c->left_size = 1u << lo;
    c->right_size = 1u << ro;
    c->left = ring_memory(g, peer, c, lo, 0, &c->left_pages);
    c->right = ring_memory(g, peer, c, ro, c->left_pages, &c->right_pages);
    if (!c->left || !c->right) {
        fprintf(stderr, "vchan-hostile: cannot map the rings of %s (orders %d/%d)\n", path, lo, ro);
        exit(3);
    }
    c->page[CLI_LIVE] = 1;
    __atomic_or_fetch(&c->page[SRV_NOTIFY], 1, __ATOMIC_SEQ_CST);
    xenevtchn_notify(e, c->port);
    return 0;
}

/* Honest traffic between the mutations, as long as the indices make sense. */
static void move_data(struct channel *c)
{
    uint32_t cons = __atomic_load_n(u32(c, LEFT_CONS), __ATOMIC_ACQUIRE);
    uint32_t prod = __atomic_load_n(u32(c, LEFT_PROD), __ATOMIC_ACQUIRE);
    if (prod - cons < c->left_size) {
        uint32_t n = below(c->left_size - (prod - cons)) + 1;
        for (uint32_t i = 0; i < n; i++) {
            c->left[(prod + i) & (c->left_size - 1)] = (uint8_t)(prod + i);
        }
        __atomic_store_n(u32(c, LEFT_PROD), prod + n, __ATOMIC_RELEASE);
    }
    cons = __atomic_load_n(u32(c, RIGHT_CONS), __ATOMIC_ACQUIRE);
    prod = __atomic_load_n(u32(c, RIGHT_PROD), __ATOMIC_ACQUIRE);
    if (prod - cons <= c->right_size) {
        __atomic_store_n(u32(c, RIGHT_CONS), cons + below(prod - cons + 1), __ATOMIC_RELEASE);
    }
    /* ask to be woken both ways, as a reader and writer would */
    __atomic_or_fetch(&c->page[SRV_NOTIFY], 3, __ATOMIC_SEQ_CST);
}

/* A value a careless or malicious peer might write: random, extreme, or close to the current one. */
static uint32_t hostile_value(uint32_t current, uint32_t size)
{
    switch (below(8)) {
    case 0: return (uint32_t)next();
    case 1: return 0;
    case 2: return 0xffffffffu;
    case 3: return current + below(5) - 2;
    case 4: return current + size;
    case 5: return current + size + 1;
    case 6: return current - size - 1;
    default: return current ^ (1u << below(32));
    }
}

static void mutate(struct channel *c)
{
    uint32_t size = c->left_size > c->right_size ? c->left_size : c->right_size;
    switch (below(5)) {
    case 0: { /* an index */
        int off = 4 * (int)below(4);
        __atomic_store_n(u32(c, off), hostile_value(*u32(c, off), size), __ATOMIC_SEQ_CST);
        break;
    }
    case 1: { /* an order */
        int off = below(2) ? LEFT_ORDER : RIGHT_ORDER;
        *(volatile uint16_t *)(c->page + off) = (uint16_t)(below(2) ? below(24) : next());
        break;
    }
    case 2: /* a live byte */
        c->page[CLI_LIVE + below(2)] = (uint8_t)(below(2) ? below(4) : next());
        break;
    case 3: /* a notify byte */
        __atomic_store_n(&c->page[CLI_NOTIFY + below(2)], (uint8_t)next(), __ATOMIC_SEQ_CST);
        break;
    default: /* the grant list (and whatever lies after it, up to the first in-page ring) */
        __atomic_store_n(u32(c, GRANTS + 4 * (int)below((1024 - GRANTS) / 4)), (uint32_t)next(), __ATOMIC_SEQ_CST);
        break;
    }
}

static void close_round(xenevtchn_handle *e, xengnttab_handle *g, struct channel *c)
{
    c->page[CLI_LIVE] = 0;
    if (c->left_pages) {
        xengnttab_unmap(g, c->left, c->left_pages);
    }
    if (c->right_pages) {
        xengnttab_unmap(g, c->right, c->right_pages);
    }
    xengnttab_unmap(g, (void *)c->page, 1); /* fires the unmap notification */
    xenevtchn_notify(e, c->port);
    xenevtchn_unbind(e, c->port);
}

int main(int argc, char **argv)
{
    int peer = 0;
    const char *prefix = NULL;
    long per_round = 100, mutations = 1000, timeout_ms = 30000, rounds = 0;
    uint64_t seed = 1;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (!strcmp(argv[i], "--peer")) peer = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--path-prefix")) prefix = argv[i + 1];
        else if (!strcmp(argv[i], "--per-round")) per_round = atol(argv[i + 1]);
        else if (!strcmp(argv[i], "--mutations")) mutations = atol(argv[i + 1]);
        else if (!strcmp(argv[i], "--seed")) seed = strtoull(argv[i + 1], NULL, 0);
        else if (!strcmp(argv[i], "--timeout-ms")) timeout_ms = atol(argv[i + 1]);
        else { fprintf(stderr, "vchan-hostile: unknown option %s\n", argv[i]); return 64; }
    }
    if (!prefix || per_round < 1) {
        fprintf(stderr, "usage: vchan-hostile --peer DOMID --path-prefix P --mutations M --seed S [--per-round K]\n");
        return 64;
    }
    rng = seed;
    printf("seed %" PRIu64 "\n", seed);
    fflush(stdout);
    struct xs_handle *xs = xs_open(0);
    xenevtchn_handle *e = xenevtchn_open(NULL, 0);
    xengnttab_handle *g = xengnttab_open(NULL, 0);
    if (!xs || !e || !g) {
        fprintf(stderr, "vchan-hostile: cannot open the Xen libraries: %s\n", strerror(errno));
        return 2;
    }
    long done = 0;
    for (long r = 0; done < mutations; r++, rounds++) {
        char path[200];
        snprintf(path, sizeof path, "%s%ld", prefix, r);
        struct channel c;
        memset(&c, 0, sizeof c);
        if (connect_round(xs, e, g, peer, path, timeout_ms, &c) < 0) {
            fprintf(stderr, "vchan-hostile: no server at %s within %ld ms: %s\n", path, timeout_ms, strerror(errno));
            return 2;
        }
        long budget = below((uint32_t)(2 * per_round)) + 1;
        for (long step = 0; budget > 0; step++) {
            for (uint32_t k = below(4); k > 0; k--) {
                move_data(&c);
            }
            if (below(2)) {
                mutate(&c);
                done++;
                budget--;
            }
            if (below(4) == 0) {
                xenevtchn_notify(e, c.port);
            }
            /* the server removes its keys when it gives up on the channel */
            if (step % 16 == 15 && read_number(xs, path, "ring-ref") < 0) {
                break;
            }
        }
        close_round(e, g, &c);
    }
    printf("done mutations=%ld rounds=%ld\n", done, rounds);
    fflush(stdout);
    xengnttab_close(g);
    xenevtchn_close(e);
    xs_close(xs);
    return 0;
}
