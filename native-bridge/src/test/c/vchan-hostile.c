/*
 * vchan-hostile: a vchan peer, client or server, that completes the handshake,
 * moves data both ways and, at random moments, writes random values into the
 * shared control page: indices, orders, live and notify bytes, the grant list.
 * Xen library calls only (xenstore, gnttab, gntshr, evtchn), no libxenvchan: a
 * peer that breaks the protocol on purpose, to show that our end on the other
 * side fails that one channel cleanly.
 *
 *   vchan-hostile [--server] --peer DOMID --path-prefix P --mutations M --seed S [--per-round K] [--timeout-ms T]
 *       [--done-key KEY]
 *   vchan-hostile --flood-ms D --peer DOMID --path-prefix P [--timeout-ms T]
 *
 * Round r = 0, 1, ... uses the path P<r>, mutates up to 2K times (K = 100 by
 * default) and closes; rounds go on until M mutations are done.
 *   client (default): connects to the server published at P<r> (waiting for
 *     it); a round also ends when the server removes its keys (it noticed and
 *     closed).
 *   server (--server): publishes P<r> as libxenvchan's server does, ring orders
 *     cycling through 10/11, 11/10, 12/12, 13/11, 11/13; sometimes corrupts the
 *     orders or the grant list before the client comes; waits for the client's
 *     live byte; a round also ends when that byte drops to 0 (the client
 *     noticed and closed, or refused the page).
 * A mutation may also be the shrink: reopen the memory behind the control page
 * (/proc/self/map_files) and truncate it, as a peer holding xensim's memfd
 * could; Xen's pages are no file, and xensim seals its memfds, so it must be
 * refused. Were it to take, we say so and stop touching the page, so that
 * the SIGBUS, if any, is our peer's.
 * Prints "seed S" first and "done mutations=N rounds=R shrinks=S refused=F"
 * at the end, and writes the same to XenStore at KEY if given (for a peer in
 * another domain, which cannot see our output). Exit 0, or 2 if the peer
 * never showed up.
 *
 * --flood-ms D: a client at P0 that breaks nothing in the page but notifies
 * in a tight loop for D ms, while it writes a counting pattern (byte i of the
 * stream is i mod 256) and checks that the server echoes it. Prints
 * "flooding" once connected and "flood notifications=N echoed=E" at the end
 * (after D ms, or when the server closed); exit 4 if an echoed byte is wrong.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>
#include <xenevtchn.h>
#include <xengnttab.h>
#include <xenstore.h>

enum { LEFT_CONS = 0, LEFT_PROD = 4, RIGHT_CONS = 8, RIGHT_PROD = 12, LEFT_ORDER = 16, RIGHT_ORDER = 18,
       CLI_LIVE = 20, SRV_LIVE = 21, CLI_NOTIFY = 22, SRV_NOTIFY = 23, GRANTS = 24, PAGE = 4096 };

enum kind { INDEX, ORDER, LIVE, NOTIFY, GRANT_LIST, SHRINK, KINDS };

static uint64_t rng;
static long shrinks, refused;

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

static int read_value(struct xs_handle *xs, const char *key)
{
    unsigned int len;
    char *v = xs_read(xs, XBT_NULL, key, &len);
    if (!v) {
        return -1;
    }
    int n = atoi(v);
    free(v);
    return n;
}

static int read_number(struct xs_handle *xs, const char *path, const char *key)
{
    char full[256];
    snprintf(full, sizeof full, "%s/%s", path, key);
    return read_value(xs, full);
}

struct ring {
    uint8_t *data;
    uint32_t size;
    int cons, prod;  /* offsets of its indices in the control page */
    int pages;       /* granted pages; 0: inside the control page */
};

struct channel {
    volatile uint8_t *page;
    struct ring left, right;  /* left: client -> server */
    struct ring *out, *in;    /* the ring we write, the ring we read */
    int peer_notify;          /* the byte where we ask the peer to wake us */
    evtchn_port_t port;
};

static volatile uint32_t *u32(struct channel *c, int off)
{
    return (volatile uint32_t *)(c->page + off);
}

static void init_roles(struct channel *c, bool server)
{
    c->left.cons = LEFT_CONS;
    c->left.prod = LEFT_PROD;
    c->right.cons = RIGHT_CONS;
    c->right.prod = RIGHT_PROD;
    c->out = server ? &c->right : &c->left;
    c->in = server ? &c->left : &c->right;
    c->peer_notify = server ? CLI_NOTIFY : SRV_NOTIFY;
}

/* Honest traffic between the mutations, as long as the indices make sense. */
static void move_data(struct channel *c)
{
    struct ring *o = c->out, *i = c->in;
    uint32_t cons = __atomic_load_n(u32(c, o->cons), __ATOMIC_ACQUIRE);
    uint32_t prod = __atomic_load_n(u32(c, o->prod), __ATOMIC_ACQUIRE);
    if (prod - cons < o->size) {
        uint32_t n = below(o->size - (prod - cons)) + 1;
        for (uint32_t k = 0; k < n; k++) {
            o->data[(prod + k) & (o->size - 1)] = (uint8_t)(prod + k);
        }
        __atomic_store_n(u32(c, o->prod), prod + n, __ATOMIC_RELEASE);
    }
    cons = __atomic_load_n(u32(c, i->cons), __ATOMIC_ACQUIRE);
    prod = __atomic_load_n(u32(c, i->prod), __ATOMIC_ACQUIRE);
    if (prod - cons <= i->size) {
        __atomic_store_n(u32(c, i->cons), cons + below(prod - cons + 1), __ATOMIC_RELEASE);
    }
    /* ask to be woken both ways, as a reader and writer would */
    __atomic_or_fetch(&c->page[c->peer_notify], 3, __ATOMIC_SEQ_CST);
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

static void mutate_kind(struct channel *c, enum kind kind)
{
    uint32_t size = c->left.size > c->right.size ? c->left.size : c->right.size;
    switch (kind) {
    case INDEX: {
        int off = 4 * (int)below(4);
        __atomic_store_n(u32(c, off), hostile_value(*u32(c, off), size), __ATOMIC_SEQ_CST);
        break;
    }
    case ORDER: {
        int off = below(2) ? LEFT_ORDER : RIGHT_ORDER;
        *(volatile uint16_t *)(c->page + off) = (uint16_t)(below(2) ? below(24) : next());
        break;
    }
    case LIVE:
        c->page[CLI_LIVE + below(2)] = (uint8_t)(below(2) ? below(4) : next());
        break;
    case NOTIFY:
        __atomic_store_n(&c->page[CLI_NOTIFY + below(2)], (uint8_t)next(), __ATOMIC_SEQ_CST);
        break;
    default: /* the grant list (and whatever lies after it, up to the first in-page ring) */
        __atomic_store_n(u32(c, GRANTS + 4 * (int)below((1024 - GRANTS) / 4)), (uint32_t)next(), __ATOMIC_SEQ_CST);
        break;
    }
}

/* Truncates the file behind our mapping of the control page: 1 if it took, 0 if refused, -1 if not reopenable. */
static int truncate_backing(struct channel *c)
{
    unsigned long addr = (unsigned long)c->page, lo, hi;
    int fd = -1;
    FILE *maps = fopen("/proc/self/maps", "r");
    char line[512];
    while (maps && fgets(line, sizeof line, maps)) {
        if (sscanf(line, "%lx-%lx", &lo, &hi) == 2 && lo <= addr && addr < hi) {
            char path[96];
            snprintf(path, sizeof path, "/proc/self/map_files/%lx-%lx", lo, hi);
            fd = open(path, O_RDWR | O_CLOEXEC);
            break;
        }
    }
    if (maps) {
        fclose(maps);
    }
    if (fd < 0) {
        return -1;
    }
    int rc = ftruncate(fd, 0);
    close(fd);
    return rc == 0;
}

static void shrink(struct channel *c)
{
    int took = truncate_backing(c);
    shrinks++;
    if (took == 0) {
        refused++;
    } else if (took > 0) {
        fprintf(stderr, "vchan-hostile: the shrink took: the control page is cut short\n");
        for (;;) {
            pause(); /* our own next access would fault: leave the page to the peer */
        }
    }
}

static void mutate(struct channel *c)
{
    enum kind kind = (enum kind)below(KINDS);
    if (kind == SHRINK) {
        shrink(c);
    } else {
        mutate_kind(c, kind);
    }
}

/* Takes what the peer signalled, so that its events keep coming as they would to a reader. */
static void drain_events(xenevtchn_handle *e)
{
    struct pollfd p = { .fd = xenevtchn_fd(e), .events = POLLIN };
    if (poll(&p, 1, 0) > 0) {
        int port = xenevtchn_pending(e);
        if (port >= 0) {
            xenevtchn_unmask(e, port);
        }
    }
}

/* ---- client ---- */

static void *map_ring(xengnttab_handle *g, int peer, struct channel *c, struct ring *r, int order, int first_ref)
{
    r->size = 1u << order;
    if (order == 10 || order == 11) {
        r->pages = 0;
        return (void *)(c->page + (order == 10 ? 1024 : 2048));
    }
    r->pages = 1 << (order - 12);
    uint32_t refs[256];
    for (int i = 0; i < r->pages; i++) {
        refs[i] = *u32(c, GRANTS + 4 * (first_ref + i));
    }
    return xengnttab_map_domain_grant_refs(g, r->pages, peer, refs, PROT_READ | PROT_WRITE);
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
    c->left.data = map_ring(g, peer, c, &c->left, lo, 0);
    c->right.data = map_ring(g, peer, c, &c->right, ro, c->left.pages);
    if (!c->left.data || !c->right.data) {
        fprintf(stderr, "vchan-hostile: cannot map the rings of %s (orders %d/%d)\n", path, lo, ro);
        exit(3);
    }
    c->page[CLI_LIVE] = 1;
    __atomic_or_fetch(&c->page[SRV_NOTIFY], 1, __ATOMIC_SEQ_CST);
    xenevtchn_notify(e, c->port);
    return 0;
}

static void close_client_round(xenevtchn_handle *e, xengnttab_handle *g, struct channel *c)
{
    c->page[CLI_LIVE] = 0;
    if (c->left.pages) {
        xengnttab_unmap(g, c->left.data, c->left.pages);
    }
    if (c->right.pages) {
        xengnttab_unmap(g, c->right.data, c->right.pages);
    }
    xengnttab_unmap(g, (void *)c->page, 1); /* fires the unmap notification */
    xenevtchn_notify(e, c->port);
    xenevtchn_unbind(e, c->port);
}

/* ---- server ---- */

static const int ORDERS[][2] = {{10, 11}, {11, 10}, {12, 12}, {13, 11}, {11, 13}};

static void *share_ring(xengntshr_handle *s, int peer, struct channel *c, struct ring *r, int order, int *next_ref)
{
    r->size = 1u << order;
    if (order == 10 || order == 11) {
        r->pages = 0;
        return (void *)(c->page + (order == 10 ? 1024 : 2048));
    }
    r->pages = 1 << (order - 12);
    uint32_t refs[256];
    void *memory = xengntshr_share_pages(s, peer, r->pages, refs, 1);
    for (int i = 0; memory && i < r->pages; i++) {
        *u32(c, GRANTS + 4 * (*next_ref)++) = refs[i];
    }
    return memory;
}

static bool write_key(struct xs_handle *xs, xs_transaction_t t, const char *path, const char *key, int value,
                      struct xs_permissions *perms)
{
    char full[256], text[16];
    snprintf(full, sizeof full, "%s/%s", path, key);
    snprintf(text, sizeof text, "%d", value);
    return xs_write(xs, t, full, text, strlen(text)) && xs_set_permissions(xs, t, full, perms, 2);
}

/* Both keys in one transaction, readable by the peer only, retried while it conflicts. */
static int publish_keys(struct xs_handle *xs, int self, int peer, const char *path, uint32_t ref, int port)
{
    struct xs_permissions perms[2] = { { .id = self, .perms = XS_PERM_NONE }, { .id = peer, .perms = XS_PERM_READ } };
    for (;;) {
        xs_transaction_t t = xs_transaction_start(xs);
        if (t == XBT_NULL) {
            return -1;
        }
        if (!write_key(xs, t, path, "ring-ref", (int)ref, perms)
                || !write_key(xs, t, path, "event-channel", port, perms)) {
            xs_transaction_end(xs, t, true);
            return -1;
        }
        if (xs_transaction_end(xs, t, false)) {
            return 0;
        }
        if (errno != EAGAIN) {
            return -1;
        }
    }
}

static int publish_round(struct xs_handle *xs, xenevtchn_handle *e, xengntshr_handle *s, int self, int peer,
                         const char *path, long round, struct channel *c)
{
    int port = xenevtchn_bind_unbound_port(e, peer);
    if (port < 0) {
        return -1;
    }
    c->port = port;
    xenevtchn_unmask(e, c->port);
    uint32_t ref;
    /* the unmap notification tells the client if we die */
    c->page = xengntshr_share_page_notify(s, peer, &ref, 1, SRV_LIVE, c->port);
    if (!c->page) {
        return -1;
    }
    memset((void *)c->page, 0, PAGE);
    const int *orders = ORDERS[round % (long)(sizeof ORDERS / sizeof ORDERS[0])];
    *(volatile uint16_t *)(c->page + LEFT_ORDER) = (uint16_t)orders[0];
    *(volatile uint16_t *)(c->page + RIGHT_ORDER) = (uint16_t)orders[1];
    int next_ref = 0;
    c->left.data = share_ring(s, peer, c, &c->left, orders[0], &next_ref);
    c->right.data = share_ring(s, peer, c, &c->right, orders[1], &next_ref);
    if (!c->left.data || !c->right.data) {
        return -1;
    }
    c->page[CLI_NOTIFY] = 1;
    c->page[CLI_LIVE] = 2;
    c->page[SRV_LIVE] = 1;
    return publish_keys(xs, self, peer, path, ref, c->port);
}

/* Sleeps on the event channel until the client's live byte leaves 2; 1 if it came, 0 if it refused. */
static int await_client(xenevtchn_handle *e, struct channel *c, long timeout_ms)
{
    long deadline = now_ms() + timeout_ms;
    while (c->page[CLI_LIVE] == 2) {
        long left = deadline - now_ms();
        if (left <= 0) {
            return -1;
        }
        struct pollfd p = { .fd = xenevtchn_fd(e), .events = POLLIN };
        if (poll(&p, 1, (int)left) > 0) {
            drain_events(e);
        }
    }
    return c->page[CLI_LIVE] != 0;
}

static void close_server_round(struct xs_handle *xs, xenevtchn_handle *e, xengntshr_handle *s, const char *path,
                               struct channel *c)
{
    c->page[SRV_LIVE] = 0;
    xs_rm(xs, XBT_NULL, path);
    if (c->left.pages) {
        xengntshr_unshare(s, c->left.data, c->left.pages);
    }
    if (c->right.pages) {
        xengntshr_unshare(s, c->right.data, c->right.pages);
    }
    xengntshr_unshare(s, (void *)c->page, 1); /* fires the unmap notification */
    xenevtchn_notify(e, c->port);
    xenevtchn_unbind(e, c->port);
}

/* ---- both ---- */

struct options {
    bool server;
    long flood_ms;
    const char *done_key;
    int peer;
    const char *prefix;
    long per_round, mutations, timeout_ms;
    uint64_t seed;
};

struct xen {
    struct xs_handle *xs;
    xenevtchn_handle *e;
    xengnttab_handle *g;
    xengntshr_handle *s;
    int self;
};

/* Data both ways, with up to 2K mutations at random moments in between; returns how many were done. */
static long attack(struct xen *x, const struct options *o, const char *path, struct channel *c)
{
    long budget = below((uint32_t)(2 * o->per_round)) + 1, done = 0;
    for (long step = 0; done < budget; step++) {
        for (uint32_t k = below(4); k > 0; k--) {
            move_data(c);
        }
        if (below(2)) {
            mutate(c);
            done++;
        }
        if (below(4) == 0) {
            xenevtchn_notify(x->e, c->port);
        }
        drain_events(x->e);
        /* the peer gives up on the channel: a server removes its keys, a client its live byte */
        if (step % 16 == 15 && (o->server ? c->page[CLI_LIVE] == 0 : read_number(x->xs, path, "ring-ref") < 0)) {
            break;
        }
    }
    return done;
}

/* One channel as a server: publish, maybe corrupt what the client will check, wait for it, attack, close. */
static long server_round(struct xen *x, const struct options *o, const char *path, long round)
{
    struct channel c;
    memset(&c, 0, sizeof c);
    init_roles(&c, true);
    if (publish_round(x->xs, x->e, x->s, x->self, o->peer, path, round, &c) < 0) {
        fprintf(stderr, "vchan-hostile: cannot publish %s: %s\n", path, strerror(errno));
        exit(3);
    }
    long done = 0;
    if (below(8) == 0) {
        for (uint32_t k = below(4) + 1; k > 0; k--, done++) {
            mutate_kind(&c, below(2) ? ORDER : GRANT_LIST);
        }
    }
    int came = await_client(x->e, &c, o->timeout_ms);
    if (came < 0) {
        fprintf(stderr, "vchan-hostile: no client at %s within %ld ms\n", path, o->timeout_ms);
        exit(2);
    }
    if (came) {
        done += attack(x, o, path, &c);
    }
    close_server_round(x->xs, x->e, x->s, path, &c);
    return done;
}

/* A client's channel at path, or exit 2 if no server comes. */
static void connect_or_exit(struct xen *x, const struct options *o, const char *path, struct channel *c)
{
    memset(c, 0, sizeof *c);
    init_roles(c, false);
    if (connect_round(x->xs, x->e, x->g, o->peer, path, o->timeout_ms, c) < 0) {
        fprintf(stderr, "vchan-hostile: no server at %s within %ld ms: %s\n", path, o->timeout_ms, strerror(errno));
        exit(2);
    }
}

static long client_round(struct xen *x, const struct options *o, const char *path)
{
    struct channel c;
    connect_or_exit(x, o, path, &c);
    long done = attack(x, o, path, &c);
    close_client_round(x->e, x->g, &c);
    return done;
}

/* Writes the next bytes of the counting pattern: as the only writer, our prod is the stream offset. */
static void write_pattern(struct channel *c)
{
    struct ring *o = c->out;
    uint32_t cons = __atomic_load_n(u32(c, o->cons), __ATOMIC_ACQUIRE);
    uint32_t prod = __atomic_load_n(u32(c, o->prod), __ATOMIC_ACQUIRE);
    uint32_t n = o->size - (prod - cons);
    if (n > 256) {
        n = 256;
    }
    for (uint32_t k = 0; k < n; k++) {
        o->data[(prod + k) & (o->size - 1)] = (uint8_t)(prod + k);
    }
    __atomic_store_n(u32(c, o->prod), prod + n, __ATOMIC_RELEASE);
}

/* Takes what the server echoed, checking each byte; returns how many, or exits 4 on a wrong one. */
static uint32_t check_echo(struct channel *c)
{
    struct ring *i = c->in;
    uint32_t cons = __atomic_load_n(u32(c, i->cons), __ATOMIC_ACQUIRE);
    uint32_t prod = __atomic_load_n(u32(c, i->prod), __ATOMIC_ACQUIRE);
    uint32_t n = prod - cons;
    for (uint32_t k = 0; k < n; k++) {
        uint8_t b = i->data[(cons + k) & (i->size - 1)];
        if (b != (uint8_t)(cons + k)) {
            fprintf(stderr, "vchan-hostile: echoed byte %" PRIu32 " is %u, not %u\n", cons + k, b,
                    (uint8_t)(cons + k));
            exit(4);
        }
    }
    __atomic_store_n(u32(c, i->cons), cons + n, __ATOMIC_RELEASE);
    return n;
}

/* The notification flood: honest data, and a notify in a tight loop between its steps. */
static void flood(struct xen *x, const struct options *o)
{
    char path[200];
    snprintf(path, sizeof path, "%s0", o->prefix);
    struct channel c;
    connect_or_exit(x, o, path, &c);
    printf("flooding\n");
    fflush(stdout);
    long deadline = now_ms() + o->flood_ms, notifications = 0, echoed = 0;
    while (now_ms() < deadline && c.page[SRV_LIVE] != 0) {
        for (int k = 0; k < 1000; k++, notifications++) {
            xenevtchn_notify(x->e, c.port);
        }
        write_pattern(&c);
        echoed += check_echo(&c);
        drain_events(x->e);
    }
    close_client_round(x->e, x->g, &c);
    printf("flood notifications=%ld echoed=%ld\n", notifications, echoed);
    fflush(stdout);
}

static int parse(int argc, char **argv, struct options *o)
{
    *o = (struct options){ .per_round = 100, .mutations = 1000, .timeout_ms = 30000, .seed = 1 };
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--server")) { o->server = true; continue; }
        if (i + 1 == argc) break;
        if (!strcmp(argv[i], "--peer")) o->peer = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--path-prefix")) o->prefix = argv[++i];
        else if (!strcmp(argv[i], "--per-round")) o->per_round = atol(argv[++i]);
        else if (!strcmp(argv[i], "--mutations")) o->mutations = atol(argv[++i]);
        else if (!strcmp(argv[i], "--seed")) o->seed = strtoull(argv[++i], NULL, 0);
        else if (!strcmp(argv[i], "--timeout-ms")) o->timeout_ms = atol(argv[++i]);
        else if (!strcmp(argv[i], "--flood-ms")) o->flood_ms = atol(argv[++i]);
        else if (!strcmp(argv[i], "--done-key")) o->done_key = argv[++i];
        else { fprintf(stderr, "vchan-hostile: unknown option %s\n", argv[i]); return -1; }
    }
    if (!o->prefix || o->per_round < 1 || o->flood_ms < 0 || (o->flood_ms > 0 && o->server)) {
        fprintf(stderr, "usage: vchan-hostile [--server] --peer DOMID --path-prefix P --mutations M --seed S"
                        " [--per-round K] [--timeout-ms T] [--done-key KEY]\n"
                        "       vchan-hostile --flood-ms D --peer DOMID --path-prefix P [--timeout-ms T]\n");
        return -1;
    }
    return 0;
}

int main(int argc, char **argv)
{
    struct options o;
    if (parse(argc, argv, &o) < 0) {
        return 64;
    }
    rng = o.seed;
    printf("seed %" PRIu64 "\n", o.seed);
    fflush(stdout);
    struct xen x = { xs_open(0), xenevtchn_open(NULL, 0), xengnttab_open(NULL, 0), xengntshr_open(NULL, 0), -1 };
    if (!x.xs || !x.e || !x.g || !x.s) {
        fprintf(stderr, "vchan-hostile: cannot open the Xen libraries: %s\n", strerror(errno));
        return 2;
    }
    /* who we are, for the keys' owner, as libxenvchan finds out */
    if (o.server && (x.self = read_value(x.xs, "domid")) < 0) {
        fprintf(stderr, "vchan-hostile: cannot read our domid: %s\n", strerror(errno));
        return 2;
    }
    if (o.flood_ms > 0) {
        flood(&x, &o);
    } else {
        long done = 0, rounds = 0;
        for (; done < o.mutations; rounds++) {
            char path[200];
            snprintf(path, sizeof path, "%s%ld", o.prefix, rounds);
            done += o.server ? server_round(&x, &o, path, rounds) : client_round(&x, &o, path);
        }
        char report[160];
        snprintf(report, sizeof report, "done mutations=%ld rounds=%ld shrinks=%ld refused=%ld", done, rounds,
                 shrinks, refused);
        printf("%s\n", report);
        fflush(stdout);
        if (o.done_key && !xs_write(x.xs, XBT_NULL, o.done_key, report, strlen(report))) {
            fprintf(stderr, "vchan-hostile: cannot write %s: %s\n", o.done_key, strerror(errno));
            return 3;
        }
    }
    xengntshr_close(x.s);
    xengnttab_close(x.g);
    xenevtchn_close(x.e);
    xs_close(x.xs);
    return 0;
}
