/*
 * xensim-selftest: checks xensim's semantics through Xen's public C API
 * (Debian's xenevtchn.h, xengnttab.h, xenstore.h) plus xensim.h.
 *
 * Linked against Debian's libraries, run with LD_LIBRARY_PATH on xensim's
 * build directory so that xensim's libraries are the ones loaded. The
 * sim-only entry points (xensim_*_open_as, xensim_stats, xensim_domain_*) are not in Debian's
 * libraries, so they are looked up at run time.
 *
 * Every check runs in a forked child with a fresh XENSIM_DIR (its own
 * simulated host and daemon); the directory is removed once that daemon has
 * exited. Output: "ok <check>" or "FAIL <check>: <why> (file:line)" lines,
 * "# ..." notes, and "selftest: N passed, M failed". Exit status 0 only if
 * every check passed.
 *
 *   xensim-selftest              run every check
 *   xensim-selftest NAME...      run the named checks
 *   xensim-selftest --list       print the check names
 */
#define _GNU_SOURCE
#include <xenevtchn.h>
#include <xengnttab.h>
#include <xenstore.h>
#include "xensim.h"

#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define PAGE 4096u
#define MAX_DOMID 32751u         /* DOMID_FIRST_RESERVED - 1 */
#define CHECK_TIMEOUT_S 60       /* a check that hangs is killed (SIGALRM) */
#define DEATH_NOTIFY_LIMIT_MS 100.0
#define RW (PROT_READ | PROT_WRITE)
#define NONE32 UINT32_MAX        /* "no notify offset/port" */

/* ---- the sim-only entry points, found at run time ---- */

static __typeof__(xensim_evtchn_open_as) *sim_evtchn_open_as;
static __typeof__(xensim_gnttab_open_as) *sim_gnttab_open_as;
static __typeof__(xensim_gntshr_open_as) *sim_gntshr_open_as;
static __typeof__(xensim_xs_open_as) *sim_xs_open_as;
static __typeof__(xensim_stats) *sim_stats;
static __typeof__(xensim_domain_create) *sim_domain_create;
static __typeof__(xensim_domain_destroy) *sim_domain_destroy;
static __typeof__(xensim_domain_state) *sim_domain_state;

static bool resolve_sim(void)
{
    sim_evtchn_open_as = (__typeof__(sim_evtchn_open_as))dlsym(RTLD_DEFAULT, "xensim_evtchn_open_as");
    sim_gnttab_open_as = (__typeof__(sim_gnttab_open_as))dlsym(RTLD_DEFAULT, "xensim_gnttab_open_as");
    sim_gntshr_open_as = (__typeof__(sim_gntshr_open_as))dlsym(RTLD_DEFAULT, "xensim_gntshr_open_as");
    sim_xs_open_as = (__typeof__(sim_xs_open_as))dlsym(RTLD_DEFAULT, "xensim_xs_open_as");
    sim_stats = (__typeof__(sim_stats))dlsym(RTLD_DEFAULT, "xensim_stats");
    sim_domain_create = (__typeof__(sim_domain_create))dlsym(RTLD_DEFAULT, "xensim_domain_create");
    sim_domain_destroy = (__typeof__(sim_domain_destroy))dlsym(RTLD_DEFAULT, "xensim_domain_destroy");
    sim_domain_state = (__typeof__(sim_domain_state))dlsym(RTLD_DEFAULT, "xensim_domain_state");
    return sim_evtchn_open_as && sim_gnttab_open_as && sim_gntshr_open_as && sim_xs_open_as &&
           sim_stats && sim_domain_create && sim_domain_destroy && sim_domain_state;
}

static xenevtchn_handle *ev_as(uint32_t dom) { return sim_evtchn_open_as(NULL, 0, dom); }
static xengnttab_handle *gt_as(uint32_t dom) { return sim_gnttab_open_as(NULL, 0, dom); }
static xengntshr_handle *gs_as(uint32_t dom) { return sim_gntshr_open_as(NULL, 0, dom); }
static struct xs_handle *xs_as(uint32_t dom) { return sim_xs_open_as(0, dom); }

/* ---- reporting ---- */

static const char *g_check = "?";
static int g_failures;

static const char *ename(int e)
{
    static char buf[32];
    const char *n = e ? strerrorname_np(e) : "0";
    if (n)
        return n;
    snprintf(buf, sizeof buf, "errno %d", e);
    return buf;
}

#define ERR ename(errno)

__attribute__((format(printf, 3, 4)))
static void failf(const char *file, int line, const char *fmt, ...)
{
    const char *base = strrchr(file, '/');
    printf("FAIL %s: ", g_check);
    va_list ap;
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    printf(" (%s:%d)\n", base ? base + 1 : file, line);
    fflush(stdout);
    g_failures++;
}

/* CHECK reports and goes on; REQUIRE reports and ends the check. */
#define CHECK(cond, ...) ((cond) ? true : (failf(__FILE__, __LINE__, __VA_ARGS__), false))
#define REQUIRE(cond, ...) do { if (!CHECK(cond, __VA_ARGS__)) return; } while (0)

/* `failed` (an expression that is true when the call failed) with errno `want`. */
#define EXPECT_ERR(want, failed)                                                          \
    do {                                                                                  \
        errno = 0;                                                                        \
        bool f_ = (failed);                                                               \
        int e_ = errno;                                                                   \
        if (!f_)                                                                          \
            failf(__FILE__, __LINE__, "%s: succeeded, expected %s", #failed, ename(want)); \
        else if (e_ != (want))                                                            \
            failf(__FILE__, __LINE__, "%s: errno %s, expected %s", #failed, ename(e_),    \
                  ename(want));                                                           \
    } while (0)

static void note(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void note(const char *fmt, ...)
{
    printf("# %s: ", g_check);
    va_list ap;
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    putchar('\n');
    fflush(stdout);
}

/* ---- helpers ---- */

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000.0 + ts.tv_nsec / 1e6;
}

static void sleep_ms(int ms)
{
    struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
    while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
        ;
}

/* 1 if fd becomes readable (or hung up) within timeout_ms, 0 if not, -1 on error. */
static int readable(int fd, int timeout_ms)
{
    struct pollfd p = { .fd = fd, .events = POLLIN };
    double deadline = now_ms() + timeout_ms;
    for (;;) {
        int left = (int)(deadline - now_ms());
        int n = poll(&p, 1, left > 0 ? left : 0);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return -1;
        return n > 0 ? 1 : 0;
    }
}

static bool all_bytes(const unsigned char *p, unsigned char v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (p[i] != v)
            return false;
    return true;
}

/* A field of xensim_stats, or -1. */
static long stat_get(size_t off)
{
    struct xensim_stats s;
    if (sim_stats(&s) < 0)
        return -1;
    uint32_t v;
    memcpy(&v, (const char *)&s + off, sizeof v);
    return v;
}

/* Polls a field until it equals want (2 s at most); the last value seen. */
static long stat_until(size_t off, long want)
{
    double deadline = now_ms() + 2000;
    long v;
    while ((v = stat_get(off)) != want && now_ms() < deadline)
        sleep_ms(5);
    return v;
}

#define STAT(f) stat_get(offsetof(struct xensim_stats, f))
#define STAT_UNTIL(f, want) stat_until(offsetof(struct xensim_stats, f), (want))

/* How many of this process's mappings are of xensim grant memory. */
static int grant_vmas(void)
{
    FILE *f = fopen("/proc/self/maps", "r");
    if (!f)
        return -1;
    char line[512];
    int n = 0;
    while (fgets(line, sizeof line, f))
        n += strstr(line, "xensim-grant") != NULL;
    fclose(f);
    return n;
}

/* Whether a child writing one byte at p dies of SIGSEGV/SIGBUS. */
static bool write_faults(volatile unsigned char *p)
{
    fflush(stdout);
    pid_t pid = fork();
    if (pid < 0)
        return false;
    if (pid == 0) {
        struct rlimit no_core = { 0, 0 };
        setrlimit(RLIMIT_CORE, &no_core);
        prctl(PR_SET_DUMPABLE, 0);
        p[0] = 0x42;
        _exit(0);
    }
    int st;
    while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
        ;
    return WIFSIGNALED(st) && (WTERMSIG(st) == SIGSEGV || WTERMSIG(st) == SIGBUS);
}

/* Waits for a daemon serving dir to let go of its lock (it exited). */
static bool wait_daemon_exit(const char *dir, int timeout_ms)
{
    char lock[PATH_MAX];
    snprintf(lock, sizeof lock, "%s/xensimd.lock", dir);
    int fd = open(lock, O_RDWR | O_CLOEXEC);
    if (fd < 0)
        return errno == ENOENT; /* no daemon was ever started */
    double deadline = now_ms() + timeout_ms;
    bool free_now;
    while (!(free_now = flock(fd, LOCK_EX | LOCK_NB) == 0) && now_ms() < deadline)
        sleep_ms(10);
    close(fd);
    return free_now;
}

static const char *sim_dir(void)
{
    return getenv("XENSIM_DIR");
}

/* ---- event channels ---- */

#define NO_EVENT (-2)

/* The next event on h within timeout_ms: its port, NO_EVENT, or -1 (errno). */
static int next_event(xenevtchn_handle *h, int timeout_ms)
{
    int r = readable(xenevtchn_fd(h), timeout_ms);
    if (r <= 0)
        return r == 0 ? NO_EVENT : -1;
    return xenevtchn_pending(h);
}

#define EXPECT_EVENT(h, port) expect_event(__FILE__, __LINE__, (h), (port))
static bool expect_event(const char *file, int line, xenevtchn_handle *h, int port)
{
    int got = next_event(h, 2000);
    if (got == port)
        return true;
    if (got == NO_EVENT)
        failf(file, line, "no event within 2 s, expected port %d", port);
    else if (got < 0)
        failf(file, line, "waiting for port %d: %s", port, ERR);
    else
        failf(file, line, "event on port %d, expected port %d", got, port);
    return false;
}

#define EXPECT_NO_EVENT(h, ms) expect_no_event(__FILE__, __LINE__, (h), (ms))
static bool expect_no_event(const char *file, int line, xenevtchn_handle *h, int ms)
{
    int got = next_event(h, ms);
    if (got == NO_EVENT)
        return true;
    failf(file, line, "unexpected event (port %d) within %d ms", got, ms);
    return false;
}

/* An interdomain channel: a (domain da) bound unbound for db, b bound to it. */
struct chan {
    xenevtchn_handle *a, *b;
    int pa, pb;
};

#define OPEN_CHAN(c, da, db) open_chan(__FILE__, __LINE__, (c), (da), (db))
static bool open_chan(const char *file, int line, struct chan *c, uint32_t da, uint32_t db)
{
    c->a = ev_as(da);
    c->b = ev_as(db);
    if (!c->a || !c->b) {
        failf(file, line, "xensim_evtchn_open_as(%u/%u): %s", da, db, ERR);
        return false;
    }
    c->pa = xenevtchn_bind_unbound_port(c->a, db);
    if (c->pa <= 0) {
        failf(file, line, "dom%u: bind_unbound_port(%u) = %d: %s", da, db, c->pa, ERR);
        return false;
    }
    c->pb = xenevtchn_bind_interdomain(c->b, da, (evtchn_port_t)c->pa);
    if (c->pb <= 0) {
        failf(file, line, "dom%u: bind_interdomain(%u, %d) = %d: %s", db, da, c->pa, c->pb, ERR);
        return false;
    }
    return true;
}

/* ---- XenStore ---- */

#define EXPECT_READ(h, t, path, value) expect_read(__FILE__, __LINE__, (h), (t), (path), (value))
static bool expect_read(const char *file, int line, struct xs_handle *h, xs_transaction_t t,
                        const char *path, const char *value)
{
    unsigned int len = 0;
    errno = 0;
    char *v = xs_read(h, t, path, &len);
    if (!v) {
        failf(file, line, "xs_read(%.120s): %s, expected \"%s\"", path, ERR, value);
        return false;
    }
    bool ok = len == strlen(value) && memcmp(v, value, len) == 0;
    if (!ok)
        failf(file, line, "xs_read(%.120s) = \"%.*s\" (len %u), expected \"%s\"", path, (int)len, v,
              len, value);
    free(v);
    return ok;
}

#define EXPECT_WATCH(h, path, token) expect_watch(__FILE__, __LINE__, (h), (path), (token))
static bool expect_watch(const char *file, int line, struct xs_handle *h, const char *path,
                         const char *token)
{
    int fd = xs_fileno(h);
    if (fd < 0 || readable(fd, 2000) != 1) {
        failf(file, line, "no watch event within 2 s, expected %s [%s] (xs_fileno %d)", path,
              token, fd);
        return false;
    }
    unsigned int num = 0;
    char **v = xs_read_watch(h, &num);
    if (!v) {
        failf(file, line, "xs_read_watch: %s, expected %s [%s]", ERR, path, token);
        return false;
    }
    bool ok = num == 2 && strcmp(v[XS_WATCH_PATH], path) == 0 &&
              strcmp(v[XS_WATCH_TOKEN], token) == 0;
    if (!ok)
        failf(file, line, "watch event %s [%s] (%u strings), expected %s [%s]",
              num > 0 ? v[0] : "-", num > 1 ? v[1] : "-", num, path, token);
    free(v);
    return ok;
}

#define EXPECT_NO_WATCH(h, ms) expect_no_watch(__FILE__, __LINE__, (h), (ms))
static bool expect_no_watch(const char *file, int line, struct xs_handle *h, int ms)
{
    int fd = xs_fileno(h);
    if (fd >= 0 && readable(fd, ms) == 0)
        return true;
    unsigned int num = 0;
    char **v = fd >= 0 ? xs_read_watch(h, &num) : NULL;
    failf(file, line, "unexpected watch event %s [%s] within %d ms", v && num > 0 ? v[0] : "-",
          v && num > 1 ? v[1] : "-", ms);
    free(v);
    return false;
}

/* ================================================================ grants */

/* One page and N pages from dom1 to dom2, mapped contiguously, both ways. */
static void grants_share_map(void)
{
    xengntshr_handle *s = gs_as(1);
    xengnttab_handle *t = gt_as(2);
    REQUIRE(s && t, "open dom1 gntshr / dom2 gnttab: %s", ERR);

    uint32_t ref;
    unsigned char *sp = xengntshr_share_pages(s, 2, 1, &ref, 1);
    REQUIRE(sp, "dom1 shares 1 page with dom2: %s", ERR);
    CHECK(all_bytes(sp, 0, PAGE), "a newly shared page is not zeroed");
    CHECK(STAT(grants) == 1, "stats.grants = %ld after sharing 1 page", STAT(grants));
    unsigned char *tp = xengnttab_map_grant_ref(t, 1, ref, RW);
    REQUIRE(tp, "dom2 maps dom1's ref %u: %s", ref, ERR);
    CHECK(STAT(mappings) == 1, "stats.mappings = %ld after one map", STAT(mappings));
    strcpy((char *)sp, "dom1 -> dom2");
    CHECK(strcmp((char *)tp, "dom1 -> dom2") == 0, "the mapper does not see the sharer's write");
    strcpy((char *)tp + PAGE - 16, "dom2 -> dom1");
    CHECK(strcmp((char *)sp + PAGE - 16, "dom2 -> dom1") == 0,
          "the sharer does not see the mapper's write");
    CHECK(xengnttab_unmap(t, tp, 1) == 0, "xengnttab_unmap: %s", ERR);
    CHECK(STAT(mappings) == 0, "stats.mappings = %ld after unmap", STAT(mappings));
    CHECK(xengntshr_unshare(s, sp, 1) == 0, "xengntshr_unshare: %s", ERR);
    CHECK(STAT(grants) == 0, "stats.grants = %ld after unshare", STAT(grants));

    enum { N = 7 };
    uint32_t refs[N], rev[N];
    sp = xengntshr_share_pages(s, 2, N, refs, 1);
    REQUIRE(sp, "dom1 shares %d pages: %s", N, ERR);
    CHECK(STAT(grants) == N, "stats.grants = %ld after sharing %d pages", STAT(grants), N);
    for (int i = 0; i < N; i++) {
        for (int j = i + 1; j < N; j++)
            CHECK(refs[i] != refs[j], "refs %d and %d are both %u", i, j, refs[i]);
        memset(sp + (size_t)i * PAGE, 0x10 + i, PAGE);
        rev[N - 1 - i] = refs[i];
    }
    tp = xengnttab_map_domain_grant_refs(t, N, 1, refs, RW);
    REQUIRE(tp, "dom2 maps the %d refs: %s", N, ERR);
    for (int i = 0; i < N; i++) {
        CHECK(all_bytes(tp + (size_t)i * PAGE, (unsigned char)(0x10 + i), PAGE),
              "page %d of the contiguous mapping is not ref %d's page", i, i);
        tp[(size_t)i * PAGE + 5] = (unsigned char)(0x80 + i);
        CHECK(sp[(size_t)i * PAGE + 5] == 0x80 + i, "the sharer does not see page %d's write", i);
    }
    /* The mapping follows the order of the refs given, not the share's. */
    unsigned char *rp = xengnttab_map_domain_grant_refs(t, N, 1, rev, PROT_READ);
    REQUIRE(rp, "dom2 maps the refs in reverse order: %s", ERR);
    for (int i = 0; i < N; i++)
        CHECK(rp[(size_t)i * PAGE + 100] == 0x10 + (N - 1 - i),
              "reverse mapping: page %d shows 0x%02x, expected 0x%02x", i,
              rp[(size_t)i * PAGE + 100], 0x10 + (N - 1 - i));
    CHECK(STAT(mappings) == 2, "stats.mappings = %ld with two mappings", STAT(mappings));
    CHECK(xengnttab_unmap(t, rp, N) == 0, "unmap the reverse mapping: %s", ERR);
    CHECK(xengnttab_unmap(t, tp, N) == 0, "unmap the %d-page mapping: %s", N, ERR);
    CHECK(xengntshr_unshare(s, sp, N) == 0, "unshare the %d pages: %s", N, ERR);
    CHECK(STAT(grants) == 0 && STAT(mappings) == 0, "grants %ld / mappings %ld left over",
          STAT(grants), STAT(mappings));
}

/* xengnttab_map_grant_refs with refs of two domains: one region. */
static void grants_map_mixed_domains(void)
{
    xengntshr_handle *s1 = gs_as(1), *s3 = gs_as(3);
    xengnttab_handle *t = gt_as(2);
    REQUIRE(s1 && s3 && t, "open handles: %s", ERR);
    uint32_t r1[2], r3;
    unsigned char *p1 = xengntshr_share_pages(s1, 2, 2, r1, 1);
    unsigned char *p3 = xengntshr_share_pages(s3, 2, 1, &r3, 1);
    REQUIRE(p1 && p3, "share from dom1 and dom3: %s", ERR);
    memset(p1, 'a', PAGE);
    memset(p1 + PAGE, 'b', PAGE);
    memset(p3, 'c', PAGE);
    uint32_t doms[3] = { 1, 3, 1 }, refs[3] = { r1[1], r3, r1[0] };
    unsigned char *m = xengnttab_map_grant_refs(t, 3, doms, refs, RW);
    REQUIRE(m, "map [dom1 ref %u, dom3 ref %u, dom1 ref %u]: %s", refs[0], refs[1], refs[2], ERR);
    CHECK(all_bytes(m, 'b', PAGE), "page 0 is not dom1's second page");
    CHECK(all_bytes(m + PAGE, 'c', PAGE), "page 1 is not dom3's page");
    CHECK(all_bytes(m + 2 * PAGE, 'a', PAGE), "page 2 is not dom1's first page");
    m[PAGE + 7] = 'X';
    CHECK(p3[7] == 'X', "dom3 does not see dom2's write");
    CHECK(xengnttab_unmap(t, m, 3) == 0, "unmap: %s", ERR);
}

/* A grant can be mapped only by the domain it was granted to. */
static void grants_other_domain(void)
{
    xengntshr_handle *s = gs_as(1);
    xengnttab_handle *t0 = gt_as(0), *t1 = gt_as(1), *t2 = gt_as(2), *t3 = gt_as(3);
    REQUIRE(s && t0 && t1 && t2 && t3, "open handles: %s", ERR);
    uint32_t ref, refs[2];
    unsigned char *sp = xengntshr_share_pages(s, 2, 1, &ref, 1);
    REQUIRE(sp && xengntshr_share_pages(s, 2, 2, refs, 1), "share: %s", ERR);
    EXPECT_ERR(EINVAL, xengnttab_map_grant_ref(t3, 1, ref, RW) == NULL);
    EXPECT_ERR(EINVAL, xengnttab_map_grant_ref(t3, 1, ref, PROT_READ) == NULL);
    EXPECT_ERR(EINVAL, xengnttab_map_domain_grant_refs(t3, 2, 1, refs, PROT_READ) == NULL);
    EXPECT_ERR(EINVAL, xengnttab_map_grant_ref(t0, 1, ref, RW) == NULL);
    EXPECT_ERR(EINVAL, xengnttab_map_grant_ref(t1, 1, ref, RW) == NULL);
    /* the right grantee naming the wrong granting domain */
    EXPECT_ERR(EINVAL, xengnttab_map_grant_ref(t2, 3, ref, RW) == NULL);
    CHECK(STAT(mappings) == 0, "stats.mappings = %ld after refused maps", STAT(mappings));
    unsigned char *tp = xengnttab_map_grant_ref(t2, 1, ref, RW);
    CHECK(tp != NULL, "the grantee dom2 cannot map: %s", ERR);
}

/* Read-only grants and read-only mappings. */
static void grants_read_only(void)
{
    xengntshr_handle *s = gs_as(1);
    xengnttab_handle *t = gt_as(2);
    REQUIRE(s && t, "open handles: %s", ERR);
    uint32_t ro, rw;
    unsigned char *sro = xengntshr_share_pages(s, 2, 1, &ro, 0);
    unsigned char *srw = xengntshr_share_pages(s, 2, 1, &rw, 1);
    REQUIRE(sro && srw, "share: %s", ERR);
    strcpy((char *)sro, "read only");
    CHECK(strcmp((char *)sro, "read only") == 0, "the sharer cannot write its read-only grant");

    EXPECT_ERR(EACCES, xengnttab_map_grant_ref(t, 1, ro, RW) == NULL);
    uint32_t both[2] = { rw, ro };
    EXPECT_ERR(EACCES, xengnttab_map_domain_grant_refs(t, 2, 1, both, RW) == NULL);
    CHECK(STAT(mappings) == 0, "stats.mappings = %ld after refused maps", STAT(mappings));

    unsigned char *m = xengnttab_map_grant_ref(t, 1, ro, PROT_READ);
    REQUIRE(m, "read-only map of a read-only grant: %s", ERR);
    CHECK(strcmp((char *)m, "read only") == 0, "the read-only mapping does not show the page");
    sro[0] = 'R';
    CHECK(m[0] == 'R', "the read-only mapping does not follow the sharer's writes");
    CHECK(write_faults(m), "writing through a read-only mapping did not fault");
    CHECK(sro[0] == 'R', "a write through the read-only mapping reached the page");
    /* nor can the mapper make it writable: Xen maps a read-only grant read-only */
    errno = 0;
    int rc = mprotect(m, PAGE, RW);
    CHECK(rc != 0 || write_faults(m), "mprotect made a read-only grant's mapping writable");
    CHECK(sro[0] == 'R', "a write after mprotect reached the read-only grant's page");

    unsigned char *mrw = xengnttab_map_grant_ref(t, 1, rw, PROT_READ);
    REQUIRE(mrw, "read-only map of a writable grant: %s", ERR);
    CHECK(write_faults(mrw), "writing through a PROT_READ mapping of a writable grant did not fault");
    unsigned char *mboth = xengnttab_map_domain_grant_refs(t, 2, 1, both, PROT_READ);
    CHECK(mboth != NULL, "PROT_READ map of [writable, read-only]: %s", ERR);
}

/* Refs that do not exist (or no longer) cannot be mapped. */
static void grants_unknown_ref(void)
{
    xengntshr_handle *s = gs_as(1);
    xengnttab_handle *t = gt_as(2);
    REQUIRE(s && t, "open handles: %s", ERR);
    uint32_t ref;
    unsigned char *sp = xengntshr_share_pages(s, 2, 1, &ref, 1);
    REQUIRE(sp, "share: %s", ERR);
    EXPECT_ERR(EINVAL, xengnttab_map_grant_ref(t, 1, ref + 1000, RW) == NULL);
    EXPECT_ERR(EINVAL, xengnttab_map_grant_ref(t, 1, 0, RW) == NULL);
    EXPECT_ERR(EINVAL, xengnttab_map_grant_ref(t, 1, UINT32_MAX, RW) == NULL);
    EXPECT_ERR(EINVAL, xengnttab_map_grant_ref(t, 5, 8, RW) == NULL); /* a domain with no grants */
    REQUIRE(xengntshr_unshare(s, sp, 1) == 0, "unshare: %s", ERR);
    EXPECT_ERR(EINVAL, xengnttab_map_grant_ref(t, 1, ref, RW) == NULL); /* unshared */
    CHECK(STAT(mappings) == 0, "stats.mappings = %ld after refused maps", STAT(mappings));
}

/* Mapping N refs with one bad maps nothing. */
static void grants_all_or_nothing(void)
{
    xengntshr_handle *s = gs_as(1), *s3 = gs_as(3);
    xengnttab_handle *t = gt_as(2);
    REQUIRE(s && s3 && t, "open handles: %s", ERR);
    uint32_t r[3], ro, r3;
    unsigned char *sp = xengntshr_share_pages(s, 2, 3, r, 1);
    REQUIRE(sp && xengntshr_share_pages(s, 2, 1, &ro, 0) && xengntshr_share_pages(s3, 4, 1, &r3, 1),
            "share: %s", ERR);
    int vmas = grant_vmas();
    REQUIRE(vmas > 0, "cannot count grant mappings in /proc/self/maps");

    uint32_t bad_ref[3] = { r[0], r[1] + 5000, r[2] };
    EXPECT_ERR(EINVAL, xengnttab_map_domain_grant_refs(t, 3, 1, bad_ref, RW) == NULL);
    uint32_t bad_last[3] = { r[0], r[1], 4242 };
    EXPECT_ERR(EINVAL, xengnttab_map_domain_grant_refs(t, 3, 1, bad_last, RW) == NULL);
    uint32_t with_ro[3] = { r[0], r[1], ro };
    EXPECT_ERR(EACCES, xengnttab_map_domain_grant_refs(t, 3, 1, with_ro, RW) == NULL);
    uint32_t doms[3] = { 1, 3, 1 }, not_ours[3] = { r[0], r3, r[2] };
    EXPECT_ERR(EINVAL, xengnttab_map_grant_refs(t, 3, doms, not_ours, RW) == NULL);
    uint32_t bad_dom[3] = { 1, 40000, 1 };
    EXPECT_ERR(EINVAL, xengnttab_map_grant_refs(t, 3, bad_dom, r, RW) == NULL);
    CHECK(STAT(mappings) == 0, "stats.mappings = %ld after failed maps: something stayed mapped",
          STAT(mappings));
    CHECK(grant_vmas() == vmas, "/proc/self/maps has %d grant mappings, %d before the failed maps",
          grant_vmas(), vmas);

    unsigned char *m = xengnttab_map_domain_grant_refs(t, 3, 1, r, RW);
    REQUIRE(m, "the good refs still map: %s", ERR);
    sp[2 * PAGE] = 'z';
    CHECK(m[2 * PAGE] == 'z', "page 2 of the good mapping");
    CHECK(STAT(mappings) == 1, "stats.mappings = %ld", STAT(mappings));
}

/* libxenvchan releases mappings with plain munmap, then closes the handle. */
static void grants_plain_munmap(void)
{
    xengntshr_handle *s = gs_as(1);
    xengnttab_handle *t = gt_as(2);
    REQUIRE(s && t, "open handles: %s", ERR);
    enum { N = 4 };
    uint32_t refs[N];
    unsigned char *sp = xengntshr_share_pages(s, 2, N, refs, 1);
    REQUIRE(sp, "share: %s", ERR);
    int vmas = grant_vmas();
    unsigned char *m = xengnttab_map_domain_grant_refs(t, N, 1, refs, RW);
    REQUIRE(m, "map: %s", ERR);
    CHECK(grant_vmas() > vmas, "the mapping does not show in /proc/self/maps");
    m[3 * PAGE + 1] = 'm';
    CHECK(munmap(m, N * PAGE) == 0, "munmap of the mapped region: %s", ERR);
    CHECK(grant_vmas() == vmas, "%d grant mappings after munmap, %d before the map", grant_vmas(),
          vmas);
    CHECK(sp[3 * PAGE + 1] == 'm', "the page lost the write made before munmap");
    sp[0] = 's';
    unsigned char *again = xengnttab_map_domain_grant_refs(t, N, 1, refs, RW);
    REQUIRE(again, "map again after munmap: %s", ERR);
    CHECK(again[0] == 's' && again[3 * PAGE + 1] == 'm', "the second mapping shows other data");
    CHECK(munmap(again, N * PAGE) == 0, "munmap: %s", ERR);
    CHECK(xengnttab_close(t) == 0, "xengnttab_close: %s", ERR);
    long left = STAT_UNTIL(mappings, 0);
    CHECK(left == 0, "stats.mappings = %ld after closing the handle", left);
    /* the sharer side too: munmap, then close */
    CHECK(munmap(sp, N * PAGE) == 0, "sharer munmap: %s", ERR);
    CHECK(xengntshr_close(s) == 0, "xengntshr_close: %s", ERR);
    left = STAT_UNTIL(grants, 0);
    CHECK(left == 0, "stats.grants = %ld after closing the sharing handle", left);
}

/* ================================================================ unmap notifications */

/* Unshare clears the byte and signals the sharer's port. */
static void notify_unshare(void)
{
    struct chan c;
    if (!OPEN_CHAN(&c, 1, 2))
        return;
    xengntshr_handle *s = gs_as(1);
    xengnttab_handle *t = gt_as(2);
    REQUIRE(s && t, "open handles: %s", ERR);
    uint32_t ref;
    unsigned char *sp = xengntshr_share_page_notify(s, 2, &ref, 1, 100, (evtchn_port_t)c.pa);
    REQUIRE(sp, "share_page_notify(offset 100, port %d): %s", c.pa, ERR);
    unsigned char *tp = xengnttab_map_grant_ref(t, 1, ref, RW);
    REQUIRE(tp, "map: %s", ERR);
    tp[99] = 0x11;
    tp[100] = 0x5a;
    tp[101] = 0x22;
    CHECK(sp[100] == 0x5a, "the sharer does not see the notify byte");
    EXPECT_NO_EVENT(c.b, 50);
    REQUIRE(xengntshr_unshare(s, sp, 1) == 0, "unshare: %s", ERR);
    EXPECT_EVENT(c.b, c.pb);
    CHECK(tp[100] == 0, "notify byte is 0x%02x after unshare, expected 0", tp[100]);
    CHECK(tp[99] == 0x11 && tp[101] == 0x22, "unshare changed bytes beside the notify byte");
    EXPECT_NO_EVENT(c.a, 50);
}

/* Unmap clears the byte and signals the mapper's port. */
static void notify_unmap(void)
{
    struct chan c;
    if (!OPEN_CHAN(&c, 1, 2))
        return;
    xengntshr_handle *s = gs_as(1);
    xengnttab_handle *t = gt_as(2);
    REQUIRE(s && t, "open handles: %s", ERR);
    uint32_t ref;
    unsigned char *sp = xengntshr_share_pages(s, 2, 1, &ref, 1);
    REQUIRE(sp, "share: %s", ERR);
    unsigned char *tp = xengnttab_map_grant_ref_notify(t, 1, ref, RW, PAGE - 1, (evtchn_port_t)c.pb);
    REQUIRE(tp, "map_grant_ref_notify(offset %u, port %d): %s", PAGE - 1, c.pb, ERR);
    sp[PAGE - 2] = 0x33;
    sp[PAGE - 1] = 0x44;
    EXPECT_NO_EVENT(c.a, 50);
    REQUIRE(xengnttab_unmap(t, tp, 1) == 0, "unmap: %s", ERR);
    EXPECT_EVENT(c.a, c.pa);
    CHECK(sp[PAGE - 1] == 0, "notify byte is 0x%02x after unmap, expected 0", sp[PAGE - 1]);
    CHECK(sp[PAGE - 2] == 0x33, "unmap changed the byte before the notify byte");
    EXPECT_NO_EVENT(c.b, 50);
}

/* Closing a handle fires its notifications, mapper side and sharer side. */
static void notify_handle_close(void)
{
    struct chan c;
    if (!OPEN_CHAN(&c, 1, 2))
        return;
    xengntshr_handle *s = gs_as(1);
    xengnttab_handle *t = gt_as(2);
    REQUIRE(s && t, "open handles: %s", ERR);
    uint32_t ref;
    unsigned char *sp = xengntshr_share_pages(s, 2, 1, &ref, 1);
    REQUIRE(sp, "share: %s", ERR);
    unsigned char *tp = xengnttab_map_grant_ref_notify(t, 1, ref, RW, 10, (evtchn_port_t)c.pb);
    REQUIRE(tp, "map with notify: %s", ERR);
    sp[10] = 1;
    CHECK(xengnttab_close(t) == 0, "xengnttab_close: %s", ERR);
    EXPECT_EVENT(c.a, c.pa);
    CHECK(sp[10] == 0, "closing the mapping handle left the notify byte at %d", sp[10]);

    xengnttab_handle *t2 = gt_as(2);
    REQUIRE(t2, "open: %s", ERR);
    uint32_t ref2;
    unsigned char *sp2 = xengntshr_share_page_notify(s, 2, &ref2, 1, 20, (evtchn_port_t)c.pa);
    REQUIRE(sp2, "share with notify: %s", ERR);
    unsigned char *tp2 = xengnttab_map_grant_ref(t2, 1, ref2, RW);
    REQUIRE(tp2, "map: %s", ERR);
    tp2[20] = 1;
    CHECK(xengntshr_close(s) == 0, "xengntshr_close: %s", ERR);
    EXPECT_EVENT(c.b, c.pb);
    CHECK(tp2[20] == 0, "closing the sharing handle left the notify byte at %d", tp2[20]);
}

/* The notification holds its port: it is sent though the evtchn handle closed first. */
static void notify_port_outlives_handle(void)
{
    struct chan c;
    if (!OPEN_CHAN(&c, 1, 2))
        return;
    xengntshr_handle *s = gs_as(1);
    xengnttab_handle *t = gt_as(2);
    REQUIRE(s && t, "open handles: %s", ERR);
    uint32_t ref;
    unsigned char *sp = xengntshr_share_pages(s, 2, 1, &ref, 1);
    REQUIRE(sp, "share: %s", ERR);
    unsigned char *tp = xengnttab_map_grant_ref_notify(t, 1, ref, RW, 0, (evtchn_port_t)c.pb);
    REQUIRE(tp, "map with notify: %s", ERR);
    sp[0] = 9;
    long conns = STAT(connections);
    CHECK(STAT(ports) == 2, "stats.ports = %ld with one channel", STAT(ports));
    xenevtchn_close(c.b); /* dom2's event channel handle goes first */
    long now = STAT_UNTIL(connections, conns - 1);
    REQUIRE(now == conns - 1, "stats.connections = %ld after closing an evtchn handle, expected %ld",
            now, conns - 1);
    CHECK(STAT(ports) == 2, "stats.ports = %ld: the port held by a notification was freed",
          STAT(ports));
    CHECK(xengnttab_unmap(t, tp, 1) == 0, "unmap: %s", ERR);
    EXPECT_EVENT(c.a, c.pa);
    CHECK(sp[0] == 0, "notify byte is %d", sp[0]);
    long ports = STAT_UNTIL(ports, 1);
    CHECK(ports == 1, "stats.ports = %ld once the notification released dom2's port", ports);
    /* dom1's port is unbound for dom2 again */
    xenevtchn_handle *b2 = ev_as(2);
    REQUIRE(b2, "open: %s", ERR);
    int pb2 = xenevtchn_bind_interdomain(b2, 1, (evtchn_port_t)c.pa);
    CHECK(pb2 > 0, "a new dom2 handle cannot bind dom1's port %d: %s", c.pa, ERR);
}

/* Reads an int from a child through a pipe (5 s at most); false if none came. */
static bool read_child(int fd, void *buf, size_t len)
{
    if (readable(fd, 5000) != 1)
        return false;
    return read(fd, buf, len) == (ssize_t)len;
}

/*
 * A process of its own (it dies with us) that runs setup(arg, msg), sends msg
 * (len bytes) back and waits to be killed: a peer whose death a test watches.
 * Returns its pid, or -1 if it could not start; *got says whether msg came
 * within 5 s.
 */
static pid_t spawn_holder(void (*setup)(const void *arg, void *msg), const void *arg, void *msg, size_t len,
                          bool *got)
{
    int pfd[2];
    *got = false;
    if (!CHECK(pipe2(pfd, O_CLOEXEC) == 0, "pipe: %s", ERR))
        return -1;
    fflush(stdout);
    pid_t pid = fork();
    if (!CHECK(pid >= 0, "fork: %s", ERR)) {
        close(pfd[0]);
        close(pfd[1]);
        return -1;
    }
    if (pid == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        close(pfd[0]);
        setup(arg, msg);
        if (write(pfd[1], msg, len) != (ssize_t)len)
            _exit(3);
        for (;;)
            pause();
    }
    close(pfd[1]);
    *got = read_child(pfd[0], msg, len);
    close(pfd[0]);
    return pid;
}

static void kill_holder(pid_t pid)
{
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
}

struct mapper_arg { int port; uint32_t ref; };

/* dom2: bind dom1's port, map its page with notify, write to it; msg: 0 or errno */
static void mapper_setup(const void *arg, void *msg)
{
    const struct mapper_arg *a = arg;
    int *rc = msg;
    xenevtchn_handle *e = ev_as(2);
    xengnttab_handle *t = gt_as(2);
    int pb = e ? xenevtchn_bind_interdomain(e, 1, (evtchn_port_t)a->port) : -1;
    unsigned char *m = t && pb > 0
        ? xengnttab_map_grant_ref_notify(t, 1, a->ref, RW, 300, (evtchn_port_t)pb) : NULL;
    if (m)
        m[300] = 0x77;
    *rc = m ? 0 : (errno ? errno : EIO);
}

/* A mapper killed with SIGKILL: the sharer sees the byte cleared and the event within 100 ms. */
static void notify_mapper_death(void)
{
    xenevtchn_handle *a = ev_as(1);
    xengntshr_handle *s = gs_as(1);
    REQUIRE(a && s, "open handles: %s", ERR);
    int pa = xenevtchn_bind_unbound_port(a, 2);
    REQUIRE(pa > 0, "bind_unbound_port: %s", ERR);
    uint32_t ref;
    volatile unsigned char *sp = xengntshr_share_pages(s, 2, 1, &ref, 1);
    REQUIRE(sp, "share: %s", ERR);
    struct mapper_arg arg = { pa, ref };
    int rc = -1;
    bool got;
    pid_t pid = spawn_holder(mapper_setup, &arg, &rc, sizeof rc, &got);
    REQUIRE(pid > 0, "no mapper process");
    if (!got || rc != 0) {
        kill_holder(pid);
        REQUIRE(false, "the child could not map with notify: %s", got ? ename(rc) : "no answer");
    }
    CHECK(sp[300] == 0x77, "the child's write to the page is not visible");
    EXPECT_NO_EVENT(a, 0);

    double t0 = now_ms();
    kill(pid, SIGKILL);
    int r = readable(xenevtchn_fd(a), 2000);
    double t1 = now_ms();
    bool cleared = sp[300] == 0;
    int port = r == 1 ? xenevtchn_pending(a) : -1;
    waitpid(pid, NULL, 0);
    note("SIGKILL of the mapper to event %.2f ms, notify byte %s", t1 - t0,
         cleared ? "cleared" : "NOT cleared");
    REQUIRE(r == 1, "no event within 2 s of the mapper's SIGKILL");
    CHECK(port == pa, "event on port %d, expected %d", port, pa);
    CHECK(cleared, "the notify byte was not cleared when the event arrived");
    CHECK(t1 - t0 < DEATH_NOTIFY_LIMIT_MS, "kill to event took %.1f ms (limit %.0f)", t1 - t0,
          DEATH_NOTIFY_LIMIT_MS);
    long left = STAT_UNTIL(mappings, 0);
    CHECK(left == 0, "stats.mappings = %ld after the mapper died", left);
    /* the dead process's end of the channel is gone: dom2 may bind again */
    xenevtchn_handle *b2 = ev_as(2);
    REQUIRE(b2, "open: %s", ERR);
    int pb2 = xenevtchn_bind_interdomain(b2, 1, (evtchn_port_t)pa);
    CHECK(pb2 > 0, "dom2 cannot bind dom1's port after its first binder died: %s", ERR);
}

/* dom3: an unbound port for dom2, a page shared with notify on it; msg: rc, port, ref */
static void sharer_setup(const void *arg, void *msg)
{
    (void)arg;
    int *out = msg;
    xenevtchn_handle *e = ev_as(3);
    xengntshr_handle *s = gs_as(3);
    int pc = e ? xenevtchn_bind_unbound_port(e, 2) : -1;
    uint32_t ref = 0;
    void *p = s && pc > 0
        ? xengntshr_share_page_notify(s, 2, &ref, 1, 64, (evtchn_port_t)pc) : NULL;
    out[0] = p ? 0 : (errno ? errno : EIO);
    out[1] = pc;
    out[2] = (int)ref;
}

/* A sharer killed with SIGKILL: the mapper sees the byte cleared and the event. */
static void notify_sharer_death(void)
{
    int msg[3] = { -1, 0, 0 };
    bool got;
    pid_t pid = spawn_holder(sharer_setup, NULL, msg, sizeof msg, &got);
    REQUIRE(pid > 0, "no sharer process");
    xenevtchn_handle *b = ev_as(2);
    xengnttab_handle *t = gt_as(2);
    int pb = b && got && msg[0] == 0 ? xenevtchn_bind_interdomain(b, 3, (evtchn_port_t)msg[1]) : -1;
    volatile unsigned char *m = pb > 0 ? xengnttab_map_grant_ref(t, 3, (uint32_t)msg[2], RW) : NULL;
    if (!m) {
        int e = errno;
        kill_holder(pid);
        REQUIRE(false, "setup failed: child %s, bind %d, map: %s",
                got ? ename(msg[0]) : "no answer", pb, ename(e));
    }
    m[64] = 0x66;
    EXPECT_NO_EVENT(b, 0);
    double t0 = now_ms();
    kill(pid, SIGKILL);
    int r = readable(xenevtchn_fd(b), 2000);
    double t1 = now_ms();
    bool cleared = m[64] == 0;
    int port = r == 1 ? xenevtchn_pending(b) : -1;
    waitpid(pid, NULL, 0);
    note("SIGKILL of the sharer to event %.2f ms, notify byte %s", t1 - t0,
         cleared ? "cleared" : "NOT cleared");
    REQUIRE(r == 1, "no event within 2 s of the sharer's SIGKILL");
    CHECK(port == pb, "event on port %d, expected %d", port, pb);
    CHECK(cleared, "the notify byte was not cleared when the event arrived");
    CHECK(t1 - t0 < DEATH_NOTIFY_LIMIT_MS, "kill to event took %.1f ms (limit %.0f)", t1 - t0,
          DEATH_NOTIFY_LIMIT_MS);
    long left = STAT_UNTIL(grants, 0);
    CHECK(left == 0, "stats.grants = %ld after the sharer died", left);
}

/* ================================================================ event channels */

/* bind_unbound_port(remote) lets exactly that domain bind, once. */
static void evtchn_bind_rules(void)
{
    xenevtchn_handle *h1 = ev_as(1), *h2 = ev_as(2), *h3 = ev_as(3);
    REQUIRE(h1 && h2 && h3, "open handles: %s", ERR);
    int p1 = xenevtchn_bind_unbound_port(h1, 2);
    REQUIRE(p1 > 0, "dom1 bind_unbound_port(2) = %d: %s", p1, ERR);
    EXPECT_ERR(EINVAL, xenevtchn_bind_interdomain(h3, 1, (evtchn_port_t)p1) == -1);
    EXPECT_ERR(EINVAL, xenevtchn_bind_interdomain(h1, 1, (evtchn_port_t)p1) == -1);
    EXPECT_ERR(EINVAL, xenevtchn_bind_interdomain(h2, 1, (evtchn_port_t)p1 + 100) == -1);
    EXPECT_ERR(EINVAL, xenevtchn_bind_interdomain(h2, 3, (evtchn_port_t)p1) == -1);
    int p2 = xenevtchn_bind_interdomain(h2, 1, (evtchn_port_t)p1);
    REQUIRE(p2 > 0, "dom2 bind_interdomain(1, %d) = %d: %s", p1, p2, ERR);
    /* bound now: nobody else, not even dom2 again */
    EXPECT_ERR(EINVAL, xenevtchn_bind_interdomain(h2, 1, (evtchn_port_t)p1) == -1);
    xenevtchn_handle *h2b = ev_as(2);
    REQUIRE(h2b, "open: %s", ERR);
    EXPECT_ERR(EINVAL, xenevtchn_bind_interdomain(h2b, 1, (evtchn_port_t)p1) == -1);
    EXPECT_ERR(EINVAL, xenevtchn_bind_interdomain(h3, 1, (evtchn_port_t)p1) == -1);
    /* ports are per domain: dom1 gets a new number, dom2's next is its own */
    int p1b = xenevtchn_bind_unbound_port(h1, 3);
    CHECK(p1b > 0 && p1b != p1, "a second dom1 port = %d (first %d): %s", p1b, p1, ERR);
    int p3 = xenevtchn_bind_interdomain(h3, 1, (evtchn_port_t)p1b);
    CHECK(p3 > 0, "dom3 binds the port made for it: %s", ERR);
    CHECK(STAT(ports) == 4, "stats.ports = %ld, expected 4", STAT(ports));
}

/* Notify both ways; the fd polls readable; pending names the port. */
static void evtchn_notify_both_ways(void)
{
    struct chan c;
    if (!OPEN_CHAN(&c, 1, 2))
        return;
    EXPECT_NO_EVENT(c.a, 0);
    EXPECT_NO_EVENT(c.b, 0);
    for (int round = 0; round < 20; round++) {
        REQUIRE(xenevtchn_notify(c.a, (evtchn_port_t)c.pa) == 0, "notify a->b: %s", ERR);
        if (!EXPECT_EVENT(c.b, c.pb))
            return;
        CHECK(xenevtchn_unmask(c.b, (evtchn_port_t)c.pb) == 0, "unmask: %s", ERR);
        REQUIRE(xenevtchn_notify(c.b, (evtchn_port_t)c.pb) == 0, "notify b->a: %s", ERR);
        if (!EXPECT_EVENT(c.a, c.pa))
            return;
        CHECK(xenevtchn_unmask(c.a, (evtchn_port_t)c.pa) == 0, "unmask: %s", ERR);
    }
    /* the notifier itself gets nothing */
    EXPECT_NO_EVENT(c.a, 50);
    EXPECT_NO_EVENT(c.b, 0);
}

/* A delivered port stays masked; notifications meanwhile coalesce into one. */
static void evtchn_mask_coalesce(void)
{
    struct chan c;
    if (!OPEN_CHAN(&c, 1, 2))
        return;
    REQUIRE(xenevtchn_notify(c.a, (evtchn_port_t)c.pa) == 0, "notify: %s", ERR);
    if (!EXPECT_EVENT(c.b, c.pb))
        return;
    /* masked now: more notifications give no second pending read */
    for (int i = 0; i < 3; i++)
        CHECK(xenevtchn_notify(c.a, (evtchn_port_t)c.pa) == 0, "notify: %s", ERR);
    EXPECT_NO_EVENT(c.b, 150);
    /* unmask delivers the coalesced one, exactly once */
    CHECK(xenevtchn_unmask(c.b, (evtchn_port_t)c.pb) == 0, "unmask: %s", ERR);
    EXPECT_EVENT(c.b, c.pb);
    EXPECT_NO_EVENT(c.b, 150);
    /* nothing pending: unmask alone delivers nothing */
    CHECK(xenevtchn_unmask(c.b, (evtchn_port_t)c.pb) == 0, "unmask: %s", ERR);
    EXPECT_NO_EVENT(c.b, 100);
    /* unmasked: a new notification is delivered */
    CHECK(xenevtchn_notify(c.a, (evtchn_port_t)c.pa) == 0, "notify: %s", ERR);
    EXPECT_EVENT(c.b, c.pb);
}

/* Xen delivers at the first notification and masks the port: one that comes after it,
 * even before the receiver reads the port, stays pending and is delivered at unmask.
 * (Lost, the receiver would sleep on data its peer announced: libxenvchan does.) */
static void evtchn_notify_after_delivery(void)
{
    struct chan c;
    if (!OPEN_CHAN(&c, 1, 2))
        return;
    REQUIRE(xenevtchn_notify(c.a, (evtchn_port_t)c.pa) == 0, "notify: %s", ERR);
    REQUIRE(readable(xenevtchn_fd(c.b), 2000) == 1, "no event came");
    /* delivered (the fd said so); the second comes before the receiver takes the port */
    REQUIRE(xenevtchn_notify(c.a, (evtchn_port_t)c.pa) == 0, "notify: %s", ERR);
    REQUIRE(xenevtchn_pending(c.b) == c.pb, "pending: %s", ERR);
    EXPECT_NO_EVENT(c.b, 50); /* masked until unmask */
    CHECK(xenevtchn_unmask(c.b, (evtchn_port_t)c.pb) == 0, "unmask: %s", ERR);
    if (!EXPECT_EVENT(c.b, c.pb))
        return;
    /* that one was all: the next unmask brings nothing */
    CHECK(xenevtchn_unmask(c.b, (evtchn_port_t)c.pb) == 0, "unmask: %s", ERR);
    EXPECT_NO_EVENT(c.b, 100);
}

/* Closing or unbinding one end returns the other to unbound for the closer's domain. */
static void evtchn_rebind_after_close(void)
{
    struct chan c;
    if (!OPEN_CHAN(&c, 1, 2))
        return;
    xenevtchn_handle *h3 = ev_as(3);
    REQUIRE(h3, "open: %s", ERR);

    /* dom2 closes its handle */
    xenevtchn_close(c.b);
    xenevtchn_handle *b = ev_as(2);
    REQUIRE(b, "open: %s", ERR);
    int pb = xenevtchn_bind_interdomain(b, 1, (evtchn_port_t)c.pa);
    REQUIRE(pb > 0, "after dom2 closed its handle, a new dom2 handle cannot bind port %d: %s",
            c.pa, ERR);
    REQUIRE(xenevtchn_notify(c.a, (evtchn_port_t)c.pa) == 0, "notify: %s", ERR);
    EXPECT_EVENT(b, pb);

    /* dom2 unbinds: the port is free for dom2 (and only dom2) again */
    REQUIRE(xenevtchn_unbind(b, (evtchn_port_t)pb) == 0, "unbind: %s", ERR);
    EXPECT_ERR(EINVAL, xenevtchn_notify(b, (evtchn_port_t)pb) == -1);
    EXPECT_ERR(EINVAL, xenevtchn_bind_interdomain(h3, 1, (evtchn_port_t)c.pa) == -1);
    int pb2 = xenevtchn_bind_interdomain(b, 1, (evtchn_port_t)c.pa);
    REQUIRE(pb2 > 0, "after unbind, dom2 cannot bind port %d again: %s", c.pa, ERR);
    REQUIRE(xenevtchn_notify(b, (evtchn_port_t)pb2) == 0, "notify: %s", ERR);
    EXPECT_EVENT(c.a, c.pa);

    /* dom1 closes: dom2's port is unbound for dom1 */
    xenevtchn_close(c.a);
    xenevtchn_handle *a = ev_as(1);
    REQUIRE(a, "open: %s", ERR);
    EXPECT_ERR(EINVAL, xenevtchn_bind_interdomain(h3, 2, (evtchn_port_t)pb2) == -1);
    int pa = xenevtchn_bind_interdomain(a, 2, (evtchn_port_t)pb2);
    REQUIRE(pa > 0, "after dom1 closed, a new dom1 handle cannot bind dom2's port %d: %s", pb2, ERR);
    REQUIRE(xenevtchn_notify(a, (evtchn_port_t)pa) == 0, "notify: %s", ERR);
    EXPECT_EVENT(b, pb2);
    CHECK(xenevtchn_unmask(b, (evtchn_port_t)pb2) == 0, "unmask: %s", ERR);
    REQUIRE(xenevtchn_notify(b, (evtchn_port_t)pb2) == 0, "notify: %s", ERR);
    EXPECT_EVENT(a, pa);
}

/* Ports a handle did not bind are refused; unbound ports drop notifications. */
static void evtchn_bad_ports(void)
{
    xenevtchn_handle *h = ev_as(1), *other = ev_as(1), *h2 = ev_as(2);
    REQUIRE(h && other && h2, "open: %s", ERR);
    EXPECT_ERR(EINVAL, xenevtchn_notify(h, 9999) == -1);
    EXPECT_ERR(EINVAL, xenevtchn_notify(h, 0) == -1);
    EXPECT_ERR(EINVAL, xenevtchn_unmask(h, 9999) == -1);
    EXPECT_ERR(EINVAL, xenevtchn_unbind(h, 9999) == -1);
    int p = xenevtchn_bind_unbound_port(other, 2);
    REQUIRE(p > 0, "bind_unbound_port: %s", ERR);
    /* the same domain's port, bound through another handle */
    EXPECT_ERR(EINVAL, xenevtchn_notify(h, (evtchn_port_t)p) == -1);
    EXPECT_ERR(EINVAL, xenevtchn_unbind(h, (evtchn_port_t)p) == -1);
    EXPECT_ERR(EINVAL, xenevtchn_unmask(h, (evtchn_port_t)p) == -1);
    /* an owned port still unbound: Xen drops the notification silently */
    CHECK(xenevtchn_notify(other, (evtchn_port_t)p) == 0, "notify on our unbound port: %s", ERR);
    int pb = xenevtchn_bind_interdomain(h2, 1, (evtchn_port_t)p);
    REQUIRE(pb > 0, "bind: %s", ERR);
    EXPECT_NO_EVENT(h2, 100); /* the dropped notification is not delivered late */
    /* unbind twice */
    CHECK(xenevtchn_unbind(other, (evtchn_port_t)p) == 0, "unbind: %s", ERR);
    EXPECT_ERR(EINVAL, xenevtchn_unbind(other, (evtchn_port_t)p) == -1);
    EXPECT_ERR(EINVAL, xenevtchn_notify(other, (evtchn_port_t)p) == -1);
    /* dom2's end of a closed channel: notify is accepted and goes nowhere */
    CHECK(xenevtchn_notify(h2, (evtchn_port_t)pb) == 0, "notify on a port whose peer left: %s", ERR);
    EXPECT_NO_EVENT(other, 50);
}

/* A port unbound while its event waits: a poller that saw the fd readable still gets
 * the event (the port), as from the evtchn device, and is not left blocking. */
static void evtchn_unbind_with_event_waiting(void)
{
    struct chan c;
    if (!OPEN_CHAN(&c, 1, 2))
        return;
    REQUIRE(xenevtchn_notify(c.a, (evtchn_port_t)c.pa) == 0, "notify: %s", ERR);
    REQUIRE(readable(xenevtchn_fd(c.b), 2000) == 1, "no event came");
    REQUIRE(xenevtchn_unbind(c.b, (evtchn_port_t)c.pb) == 0, "unbind: %s", ERR);
    CHECK(readable(xenevtchn_fd(c.b), 0) == 1, "the event left with its port: a poller would block");
    EXPECT_EVENT(c.b, c.pb);
    EXPECT_NO_EVENT(c.b, 100);
    EXPECT_ERR(EINVAL, xenevtchn_unmask(c.b, (evtchn_port_t)c.pb) == -1);
}

/* Many channels on one handle: every notification arrives once, on its port. */
static void evtchn_many_ports(void)
{
    enum { K = 300, MAXP = 65536 };
    static int idx_a[MAXP], idx_b[MAXP];
    static int pa[K], pb[K], seen[K];
    xenevtchn_handle *a = ev_as(1), *b = ev_as(2);
    REQUIRE(a && b, "open: %s", ERR);
    for (int i = 0; i < MAXP; i++)
        idx_a[i] = idx_b[i] = -1;
    for (int i = 0; i < K; i++) {
        pa[i] = xenevtchn_bind_unbound_port(a, 2);
        REQUIRE(pa[i] > 0 && pa[i] < MAXP && idx_a[pa[i]] < 0, "port %d: %d: %s", i, pa[i], ERR);
        idx_a[pa[i]] = i;
    }
    for (int i = 0; i < K; i++) {
        pb[i] = xenevtchn_bind_interdomain(b, 1, (evtchn_port_t)pa[i]);
        REQUIRE(pb[i] > 0 && pb[i] < MAXP && idx_b[pb[i]] < 0, "bind %d: %d: %s", i, pb[i], ERR);
        idx_b[pb[i]] = i;
    }
    CHECK(STAT(ports) == 2 * K, "stats.ports = %ld, expected %d", STAT(ports), 2 * K);

    for (int dir = 0; dir < 2; dir++) {
        xenevtchn_handle *from = dir ? b : a, *to = dir ? a : b;
        int *from_ports = dir ? pb : pa, *to_idx = dir ? idx_a : idx_b;
        memset(seen, 0, sizeof seen);
        for (int i = 0; i < K; i++)
            REQUIRE(xenevtchn_notify(from, (evtchn_port_t)from_ports[i]) == 0, "notify %d: %s", i,
                    ERR);
        int got = 0;
        while (got < K) {
            int port = next_event(to, 2000);
            REQUIRE(port > 0 && port < MAXP && to_idx[port] >= 0,
                    "direction %d: after %d of %d events: %s", dir, got, K,
                    port == NO_EVENT ? "no more events" : "bad port");
            int i = to_idx[port];
            CHECK(seen[i] == 0, "direction %d: port %d delivered twice", dir, port);
            seen[i]++;
            got++;
        }
        EXPECT_NO_EVENT(to, 100);
        int *to_ports = dir ? pa : pb;
        for (int i = 0; i < K; i++)
            CHECK(xenevtchn_unmask(to, (evtchn_port_t)to_ports[i]) == 0, "unmask: %s", ERR);
    }
    EXPECT_NO_EVENT(a, 50);
    EXPECT_NO_EVENT(b, 0);
}

/* One thread's unbind racing another thread's bind on the same handle. */
struct unbind_race {
    xenevtchn_handle *h;
    int port;
    pthread_barrier_t *go;
    int rc;
};

static void *unbind_racer(void *arg)
{
    struct unbind_race *r = arg;
    pthread_barrier_wait(r->go);
    r->rc = xenevtchn_unbind(r->h, (evtchn_port_t)r->port);
    return NULL;
}

/*
 * Unbinding is atomic, as the evtchn device's is: the number the daemon frees may go at once
 * to another thread's bind on the same handle (lowest free first), and that bind's notify
 * must reach its own far end, not the far end of the port that had the number before.
 */
static void evtchn_unbind_is_atomic(void)
{
    enum { ROUNDS = 3000 };
    xenevtchn_handle *s = ev_as(2), *h = ev_as(1);
    REQUIRE(s && h, "open: %s", ERR);
    int reused = 0;
    for (int i = 0; i < ROUNDS; i++) {
        int s1 = xenevtchn_bind_unbound_port(s, 1), s2 = xenevtchn_bind_unbound_port(s, 1);
        REQUIRE(s1 > 0 && s2 > 0, "bind_unbound_port: %s", ERR);
        int n1 = xenevtchn_bind_interdomain(h, 2, (evtchn_port_t)s1);
        REQUIRE(n1 > 0, "bind_interdomain: %s", ERR);
        /* the notify path asks for n1's far end now, as a channel in use has */
        REQUIRE(xenevtchn_notify(h, (evtchn_port_t)n1) == 0, "notify: %s", ERR);
        REQUIRE(next_event(s, 2000) == s1, "round %d: no event on port %d", i, s1);
        pthread_barrier_t go;
        pthread_barrier_init(&go, NULL, 2);
        struct unbind_race r = { h, n1, &go, -1 };
        pthread_t t;
        REQUIRE(pthread_create(&t, NULL, unbind_racer, &r) == 0, "pthread_create");
        pthread_barrier_wait(&go);
        int n2 = xenevtchn_bind_interdomain(h, 2, (evtchn_port_t)s2);
        int notified = n2 > 0 ? xenevtchn_notify(h, (evtchn_port_t)n2) : -1;
        pthread_join(t, NULL);
        pthread_barrier_destroy(&go);
        REQUIRE(r.rc == 0, "round %d: unbind of %d failed", i, n1);
        REQUIRE(n2 > 0 && notified == 0, "round %d: bind %d, notify %d: %s", i, n2, notified, ERR);
        reused += n2 == n1;
        int got = next_event(s, 2000);
        REQUIRE(got == s2, "round %d: the notify on port %d (%s the number just unbound) did not reach"
                " its far end %d (got %d)", i, n2, n2 == n1 ? "reusing" : "not", s2, got);
        CHECK(xenevtchn_unmask(s, (evtchn_port_t)s1) == 0, "unmask: %s", ERR);
        CHECK(xenevtchn_unmask(s, (evtchn_port_t)s2) == 0, "unmask: %s", ERR);
        REQUIRE(xenevtchn_unbind(h, (evtchn_port_t)n2) == 0, "unbind: %s", ERR);
        REQUIRE(xenevtchn_unbind(s, (evtchn_port_t)s1) == 0 && xenevtchn_unbind(s, (evtchn_port_t)s2) == 0,
                "unbind: %s", ERR);
    }
    note("%d of %d rounds' binds got the number being unbound", reused, ROUNDS);
    CHECK(reused > 0, "no round raced: the check proved nothing");
}

/* ================================================================ XenStore */

static void xs_basic(void)
{
    struct xs_handle *h = xs_as(0), *o = xs_as(0);
    REQUIRE(h && o, "xs_open_as(0): %s", ERR);
    REQUIRE(xs_write(h, XBT_NULL, "/st/a", "hello", 5), "write /st/a: %s", ERR);
    EXPECT_READ(h, XBT_NULL, "/st/a", "hello");
    EXPECT_READ(o, XBT_NULL, "/st/a", "hello"); /* another handle sees it */
    EXPECT_READ(h, XBT_NULL, "/st", ""); /* the parent was created, empty */
    CHECK(xs_write(h, XBT_NULL, "/st/a", "bye", 3), "overwrite: %s", ERR);
    EXPECT_READ(o, XBT_NULL, "/st/a", "bye");
    CHECK(xs_write(h, XBT_NULL, "/st/bin", "x\0y", 3), "write a value with a NUL: %s", ERR);
    unsigned int len = 0;
    char *v = xs_read(o, XBT_NULL, "/st/bin", &len);
    CHECK(v && len == 3 && memcmp(v, "x\0y", 4) == 0, "binary value read back wrong (len %u)", len);
    free(v);
    CHECK(xs_mkdir(h, XBT_NULL, "/st/dir"), "mkdir: %s", ERR);
    EXPECT_READ(h, XBT_NULL, "/st/dir", "");

    unsigned int num = 0;
    char **names = xs_directory(o, XBT_NULL, "/st", &num);
    REQUIRE(names, "directory /st: %s", ERR);
    bool a = false, bin = false, dir = false;
    for (unsigned int i = 0; i < num; i++) {
        a |= strcmp(names[i], "a") == 0;
        bin |= strcmp(names[i], "bin") == 0;
        dir |= strcmp(names[i], "dir") == 0;
    }
    CHECK(num == 3 && a && bin && dir, "directory /st has %u entries, expected a, bin, dir", num);
    free(names);
    names = xs_directory(h, XBT_NULL, "/st/dir", &num);
    CHECK(names && num == 0, "directory of an empty node: %s, %u entries", names ? "ok" : ERR,
          names ? num : 0);
    free(names);
    names = xs_directory(h, XBT_NULL, "/", &num);
    bool local = false;
    for (unsigned int i = 0; names && i < num; i++)
        local |= strcmp(names[i], "local") == 0;
    CHECK(local, "directory / does not list local");
    free(names);

    CHECK(xs_rm(h, XBT_NULL, "/st/a"), "rm /st/a: %s", ERR);
    EXPECT_ERR(ENOENT, xs_read(o, XBT_NULL, "/st/a", NULL) == NULL);
    CHECK(xs_rm(h, XBT_NULL, "/st/a"), "rm of a node already gone (parent there): %s", ERR);
    EXPECT_ERR(ENOENT, !xs_rm(h, XBT_NULL, "/nothere/x"));
    CHECK(xs_rm(h, XBT_NULL, "/st"), "rm /st: %s", ERR);
    EXPECT_ERR(ENOENT, xs_read(o, XBT_NULL, "/st/bin", NULL) == NULL);
    EXPECT_ERR(ENOENT, xs_directory(o, XBT_NULL, "/st", &num) == NULL);
    EXPECT_ERR(ENOENT, xs_read(o, XBT_NULL, "/never", NULL) == NULL);
}

static void xs_relative_paths(void)
{
    struct xs_handle *h0 = xs_as(0), *h1 = xs_as(1);
    REQUIRE(h0 && h1, "xs_open_as: %s", ERR);
    REQUIRE(xs_write(h1, XBT_NULL, "data/x", "42", 2), "dom1 writes data/x: %s", ERR);
    EXPECT_READ(h0, XBT_NULL, "/local/domain/1/data/x", "42");
    EXPECT_READ(h1, XBT_NULL, "data/x", "42");
    EXPECT_READ(h1, XBT_NULL, "/local/domain/1/data/x", "42");
    CHECK(xs_write(h0, XBT_NULL, "data/zero", "0", 1), "dom0 writes a relative path: %s", ERR);
    EXPECT_READ(h0, XBT_NULL, "/local/domain/0/data/zero", "0");
    unsigned int num = 0;
    char **names = xs_directory(h1, XBT_NULL, "data", &num);
    CHECK(names && num == 1 && strcmp(names[0], "x") == 0, "directory data: %s, %u entries",
          names ? "ok" : ERR, names ? num : 0);
    free(names);
    char *path = xs_get_domain_path(h1, 1);
    CHECK(path && strcmp(path, "/local/domain/1") == 0, "xs_get_domain_path(1) = %s",
          path ? path : ERR);
    free(path);
    xs_transaction_t t = xs_transaction_start(h1);
    REQUIRE(t != XBT_NULL, "transaction_start: %s", ERR);
    CHECK(xs_write(h1, t, "data/tx", "t", 1), "relative write in a transaction: %s", ERR);
    CHECK(xs_transaction_end(h1, t, false), "commit: %s", ERR);
    EXPECT_READ(h0, XBT_NULL, "/local/domain/1/data/tx", "t");
    CHECK(xs_rm(h1, XBT_NULL, "data/x"), "relative rm: %s", ERR);
    EXPECT_ERR(ENOENT, xs_read(h0, XBT_NULL, "/local/domain/1/data/x", NULL) == NULL);
}

static void xs_domid_key(void)
{
    struct xs_handle *h0 = xs_as(0), *h1 = xs_as(1), *h3 = xs_as(3), *h9 = xs_as(MAX_DOMID);
    REQUIRE(h0 && h1 && h3 && h9, "xs_open_as: %s", ERR);
    EXPECT_READ(h1, XBT_NULL, "domid", "1");
    EXPECT_READ(h3, XBT_NULL, "domid", "3");
    EXPECT_READ(h0, XBT_NULL, "domid", "0");
    EXPECT_READ(h9, XBT_NULL, "domid", "32751");
    EXPECT_READ(h1, XBT_NULL, "/local/domain/1/domid", "1");
    EXPECT_READ(h0, XBT_NULL, "/local/domain/3/domid", "3");
    /* a guest may read its own domid, not change it, and not read another's */
    EXPECT_ERR(EACCES, !xs_write(h1, XBT_NULL, "domid", "7", 1));
    EXPECT_ERR(EACCES, xs_read(h1, XBT_NULL, "/local/domain/3/domid", NULL) == NULL);
    EXPECT_READ(h1, XBT_NULL, "domid", "1");
}

static bool perms_are(struct xs_handle *h, const char *path, const struct xs_permissions *want,
                      unsigned int n)
{
    unsigned int num = 0;
    struct xs_permissions *got = xs_get_permissions(h, XBT_NULL, path, &num);
    bool ok = got && num == n;
    for (unsigned int i = 0; ok && i < n; i++)
        ok = got[i].id == want[i].id && got[i].perms == want[i].perms;
    free(got);
    return ok;
}

static void xs_permissions(void)
{
    struct xs_handle *h0 = xs_as(0), *h1 = xs_as(1), *h2 = xs_as(2), *h3 = xs_as(3);
    REQUIRE(h0 && h1 && h2 && h3, "xs_open_as: %s", ERR);
    const char *p = "/local/domain/1/data/secret";
    REQUIRE(xs_write(h1, XBT_NULL, p, "s3", 2), "dom1 writes %s: %s", p, ERR);
    struct xs_permissions perms[2] = { { 1, XS_PERM_NONE }, { 2, XS_PERM_READ } };
    REQUIRE(xs_set_permissions(h1, XBT_NULL, p, perms, 2), "set_permissions: %s", ERR);
    CHECK(perms_are(h1, p, perms, 2), "get_permissions does not return what was set");

    EXPECT_READ(h2, XBT_NULL, p, "s3");
    EXPECT_ERR(EACCES, xs_read(h3, XBT_NULL, p, NULL) == NULL);
    unsigned int num;
    EXPECT_ERR(EACCES, xs_directory(h3, XBT_NULL, p, &num) == NULL);
    EXPECT_ERR(EACCES, xs_get_permissions(h3, XBT_NULL, p, &num) == NULL);
    EXPECT_ERR(EACCES, !xs_write(h2, XBT_NULL, p, "x", 1));
    EXPECT_ERR(EACCES, !xs_rm(h2, XBT_NULL, p));
    EXPECT_ERR(EACCES, !xs_mkdir(h2, XBT_NULL, "/local/domain/1/data/secret/kid2"));
    EXPECT_ERR(EACCES, !xs_write(h3, XBT_NULL, "/local/domain/1/data/secret/kid3", "x", 1));
    struct xs_permissions grab[1] = { { 2, XS_PERM_NONE } };
    EXPECT_ERR(EACCES, !xs_set_permissions(h2, XBT_NULL, p, grab, 1));
    EXPECT_READ(h2, XBT_NULL, p, "s3"); /* unchanged by the refused calls */
    CHECK(xs_write(h1, XBT_NULL, p, "s4", 2), "the owner cannot write: %s", ERR);
    CHECK(xs_write(h0, XBT_NULL, p, "s5", 2), "dom0 cannot write: %s", ERR);
    EXPECT_READ(h0, XBT_NULL, p, "s5");

    /* a new node: the parent's permissions, the creator as owner */
    CHECK(xs_write(h1, XBT_NULL, "/local/domain/1/data/secret/kid", "k", 1), "write kid: %s", ERR);
    CHECK(perms_are(h1, "/local/domain/1/data/secret/kid", perms, 2),
          "kid does not inherit [dom1 none, dom2 read]");
    EXPECT_READ(h2, XBT_NULL, "/local/domain/1/data/secret/kid", "k");
    EXPECT_ERR(EACCES, xs_read(h3, XBT_NULL, "/local/domain/1/data/secret/kid", NULL) == NULL);

    /* dom2 given write: it writes, and owns what it creates */
    struct xs_permissions rw2[2] = { { 1, XS_PERM_NONE }, { 2, XS_PERM_READ | XS_PERM_WRITE } };
    REQUIRE(xs_set_permissions(h1, XBT_NULL, p, rw2, 2), "set_permissions: %s", ERR);
    CHECK(xs_write(h2, XBT_NULL, p, "by2", 3), "dom2 with write permission: %s", ERR);
    CHECK(xs_write(h2, XBT_NULL, "/local/domain/1/data/secret/made2", "m", 1),
          "dom2 creates under a node it may write: %s", ERR);
    struct xs_permissions made2[2] = { { 2, XS_PERM_NONE }, { 2, XS_PERM_READ | XS_PERM_WRITE } };
    CHECK(perms_are(h0, "/local/domain/1/data/secret/made2", made2, 2),
          "made2's permissions are not [dom2 none, dom2 rw]");

    /* watches fire only for those who may read */
    REQUIRE(xs_set_permissions(h1, XBT_NULL, p, perms, 2), "set_permissions: %s", ERR);
    CHECK(xs_watch(h2, p, "w2") && xs_watch(h3, p, "w3"), "xs_watch: %s", ERR);
    EXPECT_WATCH(h2, p, "w2");
    EXPECT_WATCH(h3, p, "w3"); /* the registration event fires regardless */
    CHECK(xs_write(h1, XBT_NULL, p, "s6", 2), "write: %s", ERR);
    EXPECT_WATCH(h2, p, "w2");
    EXPECT_NO_WATCH(h3, 100);

    /* the default layout: guests cannot write outside their home */
    EXPECT_ERR(EACCES, !xs_write(h1, XBT_NULL, "/st", "x", 1));
    EXPECT_ERR(EACCES, !xs_write(h1, XBT_NULL, "/local/domain/2/data/x", "x", 1));
}

/*
 * As xenstored: a node that is not there reads as EACCES, not ENOENT, when the
 * nearest node above it that is there may not be read (a client waiting for a
 * server's keys sees EACCES until they are published for it).
 */
static void xs_missing_below_unreadable(void)
{
    struct xs_handle *h0 = xs_as(0), *h1 = xs_as(1);
    REQUIRE(h0 && h1, "xs_open_as: %s", ERR);
    const char *dir = "/local/domain/0/data/unreadable";
    REQUIRE(xs_write(h0, XBT_NULL, dir, "", 0), "dom0 writes %s: %s", dir, ERR);
    struct xs_permissions mine[1] = { { 0, XS_PERM_NONE } };
    REQUIRE(xs_set_permissions(h0, XBT_NULL, dir, mine, 1), "set_permissions: %s", ERR);
    unsigned int num;
    EXPECT_ERR(EACCES, xs_read(h1, XBT_NULL, "/local/domain/0/data/unreadable/key", NULL) == NULL);
    EXPECT_ERR(EACCES, xs_read(h1, XBT_NULL, "/local/domain/0/data/unreadable/a/b", NULL) == NULL);
    EXPECT_ERR(EACCES, xs_directory(h1, XBT_NULL, "/local/domain/0/data/unreadable/a", &num) == NULL);
    EXPECT_ERR(ENOENT, xs_read(h1, XBT_NULL, "/local/domain/1/nothing/here", NULL) == NULL);
    EXPECT_ERR(ENOENT, xs_read(h0, XBT_NULL, "/local/domain/0/data/unreadable/key", NULL) == NULL);
    /* readable for dom1 now: what is missing below it is plainly missing */
    struct xs_permissions shared[2] = { { 0, XS_PERM_NONE }, { 1, XS_PERM_READ } };
    REQUIRE(xs_set_permissions(h0, XBT_NULL, dir, shared, 2), "set_permissions: %s", ERR);
    EXPECT_ERR(ENOENT, xs_read(h1, XBT_NULL, "/local/domain/0/data/unreadable/key", NULL) == NULL);
    CHECK(xs_rm(h0, XBT_NULL, dir), "rm: %s", ERR);
}

static void xs_transactions(void)
{
    struct xs_handle *a = xs_as(0), *b = xs_as(0);
    REQUIRE(a && b, "xs_open_as: %s", ERR);
    REQUIRE(xs_write(a, XBT_NULL, "/t/n", "0", 1), "write: %s", ERR);

    /* two overlapping transactions write the same node: the second to end fails */
    xs_transaction_t t1 = xs_transaction_start(a), t2 = xs_transaction_start(b);
    REQUIRE(t1 != XBT_NULL && t2 != XBT_NULL, "transaction_start: %s", ERR);
    CHECK(STAT(transactions) == 2, "stats.transactions = %ld", STAT(transactions));
    EXPECT_READ(a, t1, "/t/n", "0");
    EXPECT_READ(b, t2, "/t/n", "0");
    CHECK(xs_write(a, t1, "/t/n", "1", 1), "write in t1: %s", ERR);
    CHECK(xs_write(b, t2, "/t/n", "2", 1), "write in t2: %s", ERR);
    EXPECT_READ(a, t1, "/t/n", "1");
    EXPECT_READ(b, XBT_NULL, "/t/n", "0"); /* not visible before commit */
    CHECK(xs_transaction_end(a, t1, false), "commit t1: %s", ERR);
    EXPECT_READ(b, XBT_NULL, "/t/n", "1");
    EXPECT_ERR(EAGAIN, !xs_transaction_end(b, t2, false));
    EXPECT_READ(a, XBT_NULL, "/t/n", "1");

    /* two on one handle, the conflict from a plain write */
    t1 = xs_transaction_start(a);
    t2 = xs_transaction_start(a);
    REQUIRE(t1 != XBT_NULL && t2 != XBT_NULL && t1 != t2, "two transactions on one handle: %s",
            ERR);
    EXPECT_READ(a, t1, "/t/n", "1");
    CHECK(xs_write(a, t1, "/t/other", "o", 1), "write: %s", ERR);
    CHECK(xs_write(b, XBT_NULL, "/t/n", "3", 1), "plain write: %s", ERR);
    EXPECT_ERR(EAGAIN, !xs_transaction_end(a, t1, false));
    EXPECT_ERR(ENOENT, xs_read(a, XBT_NULL, "/t/other", NULL) == NULL);
    /* t2 touched nothing that changed: commits */
    CHECK(xs_write(a, t2, "/t/m", "m", 1), "write in t2: %s", ERR);
    CHECK(xs_transaction_end(a, t2, false), "commit of a transaction without conflict: %s", ERR);
    EXPECT_READ(b, XBT_NULL, "/t/m", "m");

    /* both create the same new node */
    t1 = xs_transaction_start(a);
    t2 = xs_transaction_start(b);
    CHECK(xs_write(a, t1, "/t/new", "1", 1) && xs_write(b, t2, "/t/new", "2", 1), "write: %s", ERR);
    CHECK(xs_transaction_end(b, t2, false), "commit: %s", ERR);
    EXPECT_ERR(EAGAIN, !xs_transaction_end(a, t1, false));
    EXPECT_READ(a, XBT_NULL, "/t/new", "2");

    /* abort discards; ending an unknown transaction fails */
    t1 = xs_transaction_start(a);
    CHECK(xs_write(a, t1, "/t/n", "aborted", 7) && xs_rm(a, t1, "/t/m"), "write: %s", ERR);
    CHECK(xs_transaction_end(a, t1, true), "abort: %s", ERR);
    EXPECT_READ(b, XBT_NULL, "/t/n", "3");
    EXPECT_READ(b, XBT_NULL, "/t/m", "m");
    EXPECT_ERR(ENOENT, !xs_transaction_end(a, t1, false));
    EXPECT_ERR(ENOENT, xs_read(a, 12345, "/t/n", NULL) == NULL);
    CHECK(STAT(transactions) == 0, "stats.transactions = %ld after all ended", STAT(transactions));
}

static void xs_watches(void)
{
    struct xs_handle *w = xs_as(0), *x = xs_as(0), *h1 = xs_as(1);
    REQUIRE(w && x && h1, "xs_open_as: %s", ERR);
    REQUIRE(xs_watch(w, "/w", "tok1"), "xs_watch: %s", ERR);
    int fd = xs_fileno(w);
    REQUIRE(fd >= 0, "xs_fileno: %s", ERR);
    CHECK(readable(fd, 2000) == 1, "xs_fileno is not readable after xs_watch");
    EXPECT_WATCH(w, "/w", "tok1"); /* once, at registration */
    EXPECT_NO_WATCH(w, 100);
    EXPECT_ERR(EAGAIN, xs_check_watch(w) == NULL);

    CHECK(xs_write(x, XBT_NULL, "/w/a", "1", 1), "write: %s", ERR);
    EXPECT_WATCH(w, "/w/a", "tok1");
    CHECK(xs_write(x, XBT_NULL, "/w", "", 0), "write: %s", ERR);
    EXPECT_WATCH(w, "/w", "tok1");
    CHECK(xs_write(x, XBT_NULL, "/wx", "1", 1) && xs_write(x, XBT_NULL, "/other", "1", 1),
          "write: %s", ERR);
    EXPECT_NO_WATCH(w, 100); /* /wx is not below /w */
    CHECK(xs_rm(x, XBT_NULL, "/w/a"), "rm: %s", ERR);
    EXPECT_WATCH(w, "/w/a", "tok1");
    CHECK(xs_write(x, XBT_NULL, "/w/b/c", "1", 1), "write: %s", ERR);
    EXPECT_WATCH(w, "/w/b/c", "tok1");
    CHECK(xs_write(x, XBT_NULL, "/w/q", "1", 1), "write: %s", ERR);
    char **ev = NULL;
    for (double end = now_ms() + 2000; !ev && now_ms() < end; sleep_ms(5))
        ev = xs_check_watch(w);
    CHECK(ev && strcmp(ev[XS_WATCH_PATH], "/w/q") == 0, "xs_check_watch did not return /w/q");
    free(ev);

    /* a second token on the same path; a duplicate registration is refused */
    CHECK(xs_watch(w, "/w", "tok2"), "second watch: %s", ERR);
    EXPECT_WATCH(w, "/w", "tok2");
    EXPECT_ERR(EEXIST, !xs_watch(w, "/w", "tok2"));
    CHECK(STAT(watches) == 2, "stats.watches = %ld", STAT(watches));
    CHECK(xs_write(x, XBT_NULL, "/w/d", "1", 1), "write: %s", ERR);
    bool got1 = false, got2 = false;
    for (int i = 0; i < 2; i++) {
        unsigned int num = 0;
        char **v = readable(fd, 2000) == 1 ? xs_read_watch(w, &num) : NULL;
        if (v && num == 2 && strcmp(v[0], "/w/d") == 0) {
            got1 |= strcmp(v[1], "tok1") == 0;
            got2 |= strcmp(v[1], "tok2") == 0;
        }
        free(v);
    }
    CHECK(got1 && got2, "one write did not fire both tokens (tok1 %d, tok2 %d)", got1, got2);

    /* unwatch stops the events */
    CHECK(xs_unwatch(w, "/w", "tok1"), "unwatch: %s", ERR);
    EXPECT_ERR(ENOENT, !xs_unwatch(w, "/w", "tok1"));
    CHECK(xs_write(x, XBT_NULL, "/w/e", "1", 1), "write: %s", ERR);
    EXPECT_WATCH(w, "/w/e", "tok2");
    EXPECT_NO_WATCH(w, 100);
    CHECK(xs_unwatch(w, "/w", "tok2"), "unwatch: %s", ERR);
    CHECK(xs_write(x, XBT_NULL, "/w/f", "1", 1) && xs_rm(x, XBT_NULL, "/w"), "write: %s", ERR);
    EXPECT_NO_WATCH(w, 150);
    CHECK(STAT(watches) == 0, "stats.watches = %ld after unwatch", STAT(watches));

    /* removing a parent fires a watch set on an existing descendant */
    CHECK(xs_write(x, XBT_NULL, "/w2/deep/node", "1", 1), "write: %s", ERR);
    CHECK(xs_watch(w, "/w2/deep/node", "d"), "watch: %s", ERR);
    EXPECT_WATCH(w, "/w2/deep/node", "d");
    CHECK(xs_rm(x, XBT_NULL, "/w2"), "rm: %s", ERR);
    EXPECT_WATCH(w, "/w2/deep/node", "d");

    /* a transaction fires at commit, not before */
    CHECK(xs_watch(w, "/w3", "t"), "watch: %s", ERR);
    EXPECT_WATCH(w, "/w3", "t");
    xs_transaction_t t = xs_transaction_start(x);
    CHECK(t != XBT_NULL && xs_write(x, t, "/w3/a", "1", 1), "transaction write: %s", ERR);
    EXPECT_NO_WATCH(w, 100);
    CHECK(xs_transaction_end(x, t, false), "commit: %s", ERR);
    EXPECT_WATCH(w, "/w3/a", "t");

    /* a relative watch reports relative paths (the writer is dom1 too: a node
     * dom0 created would be dom0's, and dom1 could not read it) */
    struct xs_handle *h1b = xs_as(1);
    REQUIRE(h1b, "xs_open_as(1): %s", ERR);
    CHECK(xs_watch(h1, "data/rel", "r"), "relative watch: %s", ERR);
    EXPECT_WATCH(h1, "data/rel", "r");
    CHECK(xs_write(h1b, XBT_NULL, "/local/domain/1/data/rel/x", "1", 1), "write: %s", ERR);
    EXPECT_WATCH(h1, "data/rel/x", "r");
    /* ... and a node dom1 may not read fires nothing for it */
    CHECK(xs_write(x, XBT_NULL, "/local/domain/1/data/rel/by0", "1", 1), "write: %s", ERR);
    EXPECT_NO_WATCH(h1, 100);
}

/* @introduceDomain / @releaseDomain: a domain's first connection and its last. */
static void xs_domain_watches(void)
{
    struct xs_handle *w = xs_as(0);
    REQUIRE(w, "xs_open_as: %s", ERR);
    REQUIRE(xs_watch(w, "@introduceDomain", "in") && xs_watch(w, "@releaseDomain", "out"),
            "watch: %s", ERR);
    EXPECT_WATCH(w, "@introduceDomain", "in");
    EXPECT_WATCH(w, "@releaseDomain", "out");
    struct xs_handle *d7 = xs_as(7);
    REQUIRE(d7, "xs_open_as(7): %s", ERR);
    EXPECT_WATCH(w, "@introduceDomain", "in");
    xenevtchn_handle *e7 = ev_as(7); /* a second connection of dom7: no event */
    REQUIRE(e7, "open: %s", ERR);
    EXPECT_NO_WATCH(w, 100);
    xs_close(d7);
    EXPECT_NO_WATCH(w, 100);
    xenevtchn_close(e7);
    EXPECT_WATCH(w, "@releaseDomain", "out");
}

/* The tree outlives the daemon: saved when it exits, loaded by the next. */
static void xs_persists_across_daemons(void)
{
    struct xs_handle *h = xs_as(0);
    REQUIRE(h, "xs_open_as: %s", ERR);
    struct xs_permissions perms[2] = { { 0, XS_PERM_NONE }, { 5, XS_PERM_READ } };
    REQUIRE(xs_write(h, XBT_NULL, "/persist/a", "kept", 4) &&
            xs_set_permissions(h, XBT_NULL, "/persist/a", perms, 2), "write: %s", ERR);
    xs_close(h);
    REQUIRE(wait_daemon_exit(sim_dir(), 5000), "the daemon did not exit within 5 s of its last client");
    char db[PATH_MAX];
    snprintf(db, sizeof db, "%s/xenstore.db", sim_dir());
    CHECK(access(db, F_OK) == 0, "no %s after the daemon exited", db);
    h = xs_as(0);
    REQUIRE(h, "xs_open_as after the daemon's exit: %s", ERR);
    EXPECT_READ(h, XBT_NULL, "/persist/a", "kept");
    CHECK(perms_are(h, "/persist/a", perms, 2), "the permissions were not kept");
    EXPECT_READ(h, XBT_NULL, "/local/domain/0/domid", "0");
}

/* ================================================================ bad input */

static void bad_null_handles(void)
{
    uint32_t ref = 8, dom = 1;
    char page[16];
    unsigned int num;
    struct xs_permissions perm = { 0, XS_PERM_READ };
    /* event channels */
    CHECK(xenevtchn_close(NULL) == 0, "xenevtchn_close(NULL) failed");
    EXPECT_ERR(EINVAL, xenevtchn_fd(NULL) == -1);
    EXPECT_ERR(EINVAL, xenevtchn_notify(NULL, 1) == -1);
    EXPECT_ERR(EINVAL, xenevtchn_bind_unbound_port(NULL, 1) == -1);
    EXPECT_ERR(EINVAL, xenevtchn_bind_interdomain(NULL, 1, 1) == -1);
    EXPECT_ERR(EINVAL, xenevtchn_unbind(NULL, 1) == -1);
    EXPECT_ERR(EINVAL, xenevtchn_pending(NULL) == -1);
    EXPECT_ERR(EINVAL, xenevtchn_unmask(NULL, 1) == -1);
    EXPECT_ERR(EINVAL, xenevtchn_restrict(NULL, 1) == -1);
    /* grant mapping */
    CHECK(xengnttab_close(NULL) == 0, "xengnttab_close(NULL) failed");
    EXPECT_ERR(EINVAL, xengnttab_fd(NULL) == -1);
    EXPECT_ERR(EINVAL, xengnttab_set_max_grants(NULL, 1) == -1);
    EXPECT_ERR(EINVAL, xengnttab_map_grant_ref(NULL, 1, 8, PROT_READ) == NULL);
    EXPECT_ERR(EINVAL, xengnttab_map_grant_refs(NULL, 1, &dom, &ref, PROT_READ) == NULL);
    EXPECT_ERR(EINVAL, xengnttab_map_domain_grant_refs(NULL, 1, 1, &ref, PROT_READ) == NULL);
    EXPECT_ERR(EINVAL, xengnttab_map_grant_ref_notify(NULL, 1, 8, RW, 0, 1) == NULL);
    EXPECT_ERR(EINVAL, xengnttab_unmap(NULL, page, 1) == -1);
    /* grant sharing */
    CHECK(xengntshr_close(NULL) == 0, "xengntshr_close(NULL) failed");
    EXPECT_ERR(EINVAL, xengntshr_fd(NULL) == -1);
    EXPECT_ERR(EINVAL, xengntshr_share_pages(NULL, 1, 1, &ref, 1) == NULL);
    EXPECT_ERR(EINVAL, xengntshr_share_page_notify(NULL, 1, &ref, 1, 0, 1) == NULL);
    EXPECT_ERR(EINVAL, xengntshr_unshare(NULL, page, 1) == -1);
    /* XenStore */
    xs_close(NULL);
    xs_daemon_close(NULL);
    EXPECT_ERR(EINVAL, xs_read(NULL, XBT_NULL, "/x", &num) == NULL);
    EXPECT_ERR(EINVAL, !xs_write(NULL, XBT_NULL, "/x", "v", 1));
    EXPECT_ERR(EINVAL, !xs_mkdir(NULL, XBT_NULL, "/x"));
    EXPECT_ERR(EINVAL, !xs_rm(NULL, XBT_NULL, "/x"));
    EXPECT_ERR(EINVAL, xs_directory(NULL, XBT_NULL, "/x", &num) == NULL);
    EXPECT_ERR(EINVAL, xs_get_permissions(NULL, XBT_NULL, "/x", &num) == NULL);
    EXPECT_ERR(EINVAL, !xs_set_permissions(NULL, XBT_NULL, "/x", &perm, 1));
    EXPECT_ERR(EINVAL, xs_transaction_start(NULL) == XBT_NULL);
    EXPECT_ERR(EINVAL, !xs_transaction_end(NULL, 1, false));
    EXPECT_ERR(EINVAL, !xs_watch(NULL, "/x", "t"));
    EXPECT_ERR(EINVAL, !xs_unwatch(NULL, "/x", "t"));
    EXPECT_ERR(EINVAL, xs_read_watch(NULL, &num) == NULL);
    EXPECT_ERR(EINVAL, xs_check_watch(NULL) == NULL);
    EXPECT_ERR(EINVAL, xs_fileno(NULL) == -1);
    EXPECT_ERR(EINVAL, xs_get_domain_path(NULL, 1) == NULL);
    EXPECT_ERR(EINVAL, sim_stats(NULL) == -1);

    /* NULL arguments beside a good handle */
    struct xs_handle *h = xs_as(0);
    xengntshr_handle *s = gs_as(1);
    xengnttab_handle *t = gt_as(2);
    REQUIRE(h && s && t, "open: %s", ERR);
    EXPECT_ERR(EINVAL, xs_read(h, XBT_NULL, NULL, &num) == NULL);
    EXPECT_ERR(EINVAL, !xs_write(h, XBT_NULL, NULL, "v", 1));
    EXPECT_ERR(EINVAL, !xs_write(h, XBT_NULL, "/x", NULL, 3));
    EXPECT_ERR(EINVAL, !xs_watch(h, NULL, "t"));
    EXPECT_ERR(EINVAL, !xs_watch(h, "/x", NULL));
    EXPECT_ERR(EINVAL, !xs_set_permissions(h, XBT_NULL, "/x", NULL, 1));
    EXPECT_ERR(EINVAL, xengntshr_share_pages(s, 2, 1, NULL, 1) == NULL);
    EXPECT_ERR(EINVAL, xengnttab_map_domain_grant_refs(t, 1, 1, NULL, PROT_READ) == NULL);
    EXPECT_ERR(EINVAL, xengnttab_map_grant_refs(t, 1, NULL, &ref, PROT_READ) == NULL);
    CHECK(xs_write(h, XBT_NULL, "/x", NULL, 0), "xs_write of an empty value with NULL data: %s",
          ERR);
    CHECK(STAT(grants) == 0 && STAT(mappings) == 0, "something was granted or mapped");
}

static void bad_domain_ids(void)
{
    const uint32_t bad[] = { MAX_DOMID + 1, 0x7FF0 /* DOMID_SELF */, 65535, UINT32_MAX };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        uint32_t d = bad[i];
        errno = 0;
        xenevtchn_handle *e = ev_as(d);
        CHECK(!e && errno == EINVAL, "evtchn_open_as(%u): %s", d, e ? "opened" : ERR);
        errno = 0;
        xengnttab_handle *t = gt_as(d);
        CHECK(!t && errno == EINVAL, "gnttab_open_as(%u): %s", d, t ? "opened" : ERR);
        errno = 0;
        xengntshr_handle *s = gs_as(d);
        CHECK(!s && errno == EINVAL, "gntshr_open_as(%u): %s", d, s ? "opened" : ERR);
        errno = 0;
        struct xs_handle *x = xs_as(d);
        CHECK(!x && errno == EINVAL, "xs_open_as(%u): %s", d, x ? "opened" : ERR);
    }
    /* XENSIM_DOMID, as Xen's own open calls read it */
    const char *bad_env[] = { "32752", "-1", "abc", "1x", "99999999999" };
    for (size_t i = 0; i < sizeof bad_env / sizeof *bad_env; i++) {
        setenv("XENSIM_DOMID", bad_env[i], 1);
        EXPECT_ERR(EINVAL, xenevtchn_open(NULL, 0) == NULL);
        EXPECT_ERR(EINVAL, xengnttab_open(NULL, 0) == NULL);
        EXPECT_ERR(EINVAL, xengntshr_open(NULL, 0) == NULL);
        EXPECT_ERR(EINVAL, xs_open(0) == NULL);
    }
    setenv("XENSIM_DOMID", "5", 1);
    struct xs_handle *x5 = xs_open(0);
    CHECK(x5 != NULL, "xs_open with XENSIM_DOMID=5: %s", ERR);
    if (x5)
        EXPECT_READ(x5, XBT_NULL, "domid", "5");
    unsetenv("XENSIM_DOMID");
    struct xs_handle *x0 = xs_open(0);
    CHECK(x0 != NULL, "xs_open without XENSIM_DOMID: %s", ERR);
    if (x0)
        EXPECT_READ(x0, XBT_NULL, "domid", "0");

    /* domain ids as arguments */
    xenevtchn_handle *e = ev_as(1);
    xengntshr_handle *s = gs_as(1);
    xengnttab_handle *t = gt_as(2);
    REQUIRE(e && s && t, "open: %s", ERR);
    uint32_t ref;
    EXPECT_ERR(EINVAL, xenevtchn_bind_unbound_port(e, MAX_DOMID + 1) == -1);
    EXPECT_ERR(EINVAL, xenevtchn_bind_interdomain(e, MAX_DOMID + 1, 1) == -1);
    EXPECT_ERR(EINVAL, xengntshr_share_pages(s, MAX_DOMID + 1, 1, &ref, 1) == NULL);
    EXPECT_ERR(EINVAL, xengntshr_share_page_notify(s, MAX_DOMID + 1, &ref, 1, 0, NONE32) == NULL);
    EXPECT_ERR(EINVAL, xengnttab_map_grant_ref(t, MAX_DOMID + 1, 8, PROT_READ) == NULL);
    int p = xenevtchn_bind_unbound_port(e, MAX_DOMID);
    CHECK(p > 0, "bind_unbound_port(%u), the highest domain: %s", MAX_DOMID, ERR);
    CHECK(STAT(grants) == 0 && STAT(mappings) == 0, "something was granted or mapped");
}

static void bad_counts_offsets(void)
{
    struct chan c;
    if (!OPEN_CHAN(&c, 1, 2))
        return;
    xengntshr_handle *s = gs_as(1);
    xengnttab_handle *t = gt_as(2);
    REQUIRE(s && t, "open: %s", ERR);
    uint32_t refs[4], ref, dom = 1;

    /* counts */
    EXPECT_ERR(EINVAL, xengntshr_share_pages(s, 2, 0, refs, 1) == NULL);
    EXPECT_ERR(EINVAL, xengntshr_share_pages(s, 2, -1, refs, 1) == NULL);
    unsigned char *sp = xengntshr_share_pages(s, 2, 1, &ref, 1);
    REQUIRE(sp, "share: %s", ERR);
    EXPECT_ERR(EINVAL, xengnttab_map_grant_refs(t, 0, &dom, &ref, RW) == NULL);
    EXPECT_ERR(EINVAL, xengnttab_map_domain_grant_refs(t, 0, 1, &ref, RW) == NULL);

    /* notify offsets outside the page */
    EXPECT_ERR(EINVAL, xengntshr_share_page_notify(s, 2, refs, 1, PAGE, NONE32) == NULL);
    EXPECT_ERR(EINVAL, xengntshr_share_page_notify(s, 2, refs, 1, 1u << 20, NONE32) == NULL);
    EXPECT_ERR(EINVAL, xengnttab_map_grant_ref_notify(t, 1, ref, RW, PAGE, NONE32) == NULL);
    /* notify ports that are not the caller's domain's. Port numbers are per
     * domain: dom1 has port 1, dom2 gets 1..3, so 3 is dom2's only */
    EXPECT_ERR(EINVAL, xengntshr_share_page_notify(s, 2, refs, 1, 0, 9999) == NULL);
    EXPECT_ERR(EINVAL, xengnttab_map_grant_ref_notify(t, 1, ref, RW, 0, 9999) == NULL);
    int dom2_port = -1;
    for (int i = 0; i < 2; i++)
        dom2_port = xenevtchn_bind_unbound_port(c.b, 5);
    REQUIRE(dom2_port == 3, "dom2's third port is %d: %s", dom2_port, ERR);
    EXPECT_ERR(EINVAL, xengntshr_share_page_notify(s, 2, refs, 1, 0, (evtchn_port_t)dom2_port) == NULL);
    /* now dom1 gets 1..5, so 5 is dom1's only */
    int dom1_port = -1;
    for (int i = 0; i < 4; i++)
        dom1_port = xenevtchn_bind_unbound_port(c.a, 5);
    REQUIRE(dom1_port == 5, "dom1's fifth port is %d: %s", dom1_port, ERR);
    EXPECT_ERR(EINVAL, xengnttab_map_grant_ref_notify(t, 1, ref, RW, 0, (evtchn_port_t)dom1_port) == NULL);
    CHECK(STAT(grants) == 1, "stats.grants = %ld: a refused share left grants", STAT(grants));
    CHECK(STAT(mappings) == 0, "stats.mappings = %ld: a refused map left a mapping", STAT(mappings));

    /* protections a mapping cannot have */
    EXPECT_ERR(EINVAL, xengnttab_map_grant_ref(t, 1, ref, PROT_NONE) == NULL);
    EXPECT_ERR(EINVAL, xengnttab_map_grant_ref(t, 1, ref, PROT_READ | PROT_EXEC) == NULL);

    /* the last byte of the page is a valid notify offset */
    uint32_t nref;
    unsigned char *np = xengntshr_share_page_notify(s, 2, &nref, 1, PAGE - 1, (evtchn_port_t)c.pa);
    REQUIRE(np, "share_page_notify(offset %u): %s", PAGE - 1, ERR);
    unsigned char *nm = xengnttab_map_grant_ref(t, 1, nref, RW);
    REQUIRE(nm, "map: %s", ERR);
    nm[PAGE - 1] = 0xff;
    CHECK(xengntshr_unshare(s, np, 1) == 0, "unshare: %s", ERR);
    EXPECT_EVENT(c.b, c.pb);
    CHECK(nm[PAGE - 1] == 0, "the last byte of the page was not cleared");
    CHECK(xengnttab_unmap(t, nm, 1) == 0, "unmap: %s", ERR);

    /* unmap/unshare of what the handle did not map or share */
    int local;
    unsigned char *m = xengnttab_map_grant_ref(t, 1, ref, RW);
    REQUIRE(m, "map: %s", ERR);
    EXPECT_ERR(EINVAL, xengnttab_unmap(t, &local, 1) == -1);
    EXPECT_ERR(EINVAL, xengnttab_unmap(t, m, 2) == -1);
    EXPECT_ERR(EINVAL, xengnttab_unmap(t, m + PAGE, 1) == -1);
    EXPECT_ERR(EINVAL, xengntshr_unshare(s, m, 1) == -1);
    CHECK(xengnttab_unmap(t, m, 1) == 0, "unmap: %s", ERR);
    EXPECT_ERR(EINVAL, xengnttab_unmap(t, m, 1) == -1);
    EXPECT_ERR(EINVAL, xengntshr_unshare(s, &local, 1) == -1);
    EXPECT_ERR(EINVAL, xengntshr_unshare(s, sp, 2) == -1);
    CHECK(xengntshr_unshare(s, sp, 1) == 0, "unshare: %s", ERR);
    EXPECT_ERR(EINVAL, xengntshr_unshare(s, sp, 1) == -1);
    CHECK(STAT(grants) == 0 && STAT(mappings) == 0, "grants %ld / mappings %ld left", STAT(grants),
          STAT(mappings));
}

/* n characters: "/" then components of 99 'a's (absolute), or the same without the "/". */
static char *long_path(size_t n, bool absolute)
{
    char *p = malloc(n + 1);
    for (size_t i = 0; i < n; i++)
        p[i] = (i + (absolute ? 0 : 1)) % 100 == 0 ? '/' : 'a';
    if (p[n - 1] == '/')
        p[n - 1] = 'b';
    p[n] = '\0';
    return p;
}

static void bad_xs_paths(void)
{
    struct xs_handle *h = xs_as(0), *h1 = xs_as(1);
    REQUIRE(h && h1, "xs_open_as: %s", ERR);
    const char *bad[] = { "", "/a//b", "//", "/a/", "a/", "/a b", "/a.b", "../x", "a/../b",
                          "/a/./b", "/a/../b", "/a\tb", "/ä" };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        const char *p = bad[i];
        errno = 0;
        bool w = xs_write(h, XBT_NULL, p, "v", 1);
        CHECK(!w && errno == EINVAL, "xs_write(\"%s\"): %s", p, w ? "succeeded" : ERR);
        errno = 0;
        char *r = xs_read(h, XBT_NULL, p, NULL);
        CHECK(!r && errno == EINVAL, "xs_read(\"%s\"): %s", p, r ? "succeeded" : ERR);
        free(r);
        errno = 0;
        bool wa = xs_watch(h, p, "t");
        CHECK(!wa && errno == EINVAL, "xs_watch(\"%s\"): %s", p, wa ? "succeeded" : ERR);
    }
    EXPECT_ERR(EINVAL, !xs_rm(h, XBT_NULL, "/"));
    EXPECT_ERR(EINVAL, !xs_watch(h, "@bogus", "t"));
    EXPECT_ERR(EINVAL, !xs_set_permissions(h, XBT_NULL, "/x", (struct xs_permissions[1]){ { 0, 0 } }, 0));

    /* lengths: 3072 absolute, 2048 relative (Xen's limits) */
    char *abs_ok = long_path(3072, true), *abs_long = long_path(3073, true);
    char *rel_ok = long_path(2048, false), *rel_long = long_path(2049, false);
    CHECK(xs_write(h, XBT_NULL, abs_ok, "v", 1), "write of a 3072-character path: %s", ERR);
    EXPECT_READ(h, XBT_NULL, abs_ok, "v");
    EXPECT_ERR(EINVAL, !xs_write(h, XBT_NULL, abs_long, "v", 1));
    EXPECT_ERR(EINVAL, xs_read(h, XBT_NULL, abs_long, NULL) == NULL);
    CHECK(xs_write(h, XBT_NULL, rel_ok, "r", 1), "write of a 2048-character relative path: %s",
          ERR);
    EXPECT_READ(h, XBT_NULL, rel_ok, "r");
    EXPECT_ERR(EINVAL, !xs_write(h, XBT_NULL, rel_long, "r", 1));
    EXPECT_ERR(EINVAL, xs_read(h1, XBT_NULL, rel_long, NULL) == NULL);
    CHECK(xs_rm(h, XBT_NULL, "/a"), "rm: %s", ERR);
    free(abs_ok);
    free(abs_long);
    free(rel_ok);
    free(rel_long);

    /* good odd paths */
    CHECK(xs_write(h, XBT_NULL, "/A-b_c@9", "ok", 2), "write /A-b_c@9: %s", ERR);
    EXPECT_READ(h, XBT_NULL, "/A-b_c@9", "ok");
    char *root = xs_read(h, XBT_NULL, "/", NULL);
    CHECK(root != NULL, "read /: %s", ERR);
    free(root);
}

/* What xensim does not simulate says ENOSYS. */
static void unsupported_calls(void)
{
    xenevtchn_handle *e = ev_as(1);
    xengnttab_handle *t = gt_as(1);
    REQUIRE(e && t, "open: %s", ERR);
    EXPECT_ERR(ENOSYS, xenevtchn_bind_virq(e, 1) == -1);
    EXPECT_ERR(ENOSYS, xengnttab_grant_copy(t, 0, NULL) == -1);
    EXPECT_ERR(ENOSYS, xenevtchn_fdopen(NULL, 0, 0) == NULL);
    CHECK(xenevtchn_restrict(e, 1) == 0, "xenevtchn_restrict: %s", ERR);
    CHECK(xengnttab_set_max_grants(t, 128) == 0, "xengnttab_set_max_grants: %s", ERR);
}

/* ================================================================ the toolstack */

/* XSA-322: entries naming a domain created after the node was written do not count. */
static void toolstack_xsa322(void)
{
    struct xs_handle *h0 = xs_as(0);
    REQUIRE(h0, "xs_open_as(0): %s", ERR);
    const char *x5 = "/local/domain/0/data/vchan/5/x", *x6 = "/local/domain/0/data/vchan/6/x";
    const char *z5 = "/local/domain/0/data/vchan/5/z", *z6 = "/local/domain/0/data/vchan/6/z";
    const char *y5 = "/local/domain/0/data/vchan/5/y";
    struct xs_permissions for5[2] = { { 0, XS_PERM_NONE }, { 5, XS_PERM_READ } };
    struct xs_permissions for6[2] = { { 0, XS_PERM_NONE }, { 6, XS_PERM_READ } };
    /* everyone reads, except the domain named */
    struct xs_permissions not5[2] = { { 0, XS_PERM_READ }, { 5, XS_PERM_NONE } };
    struct xs_permissions not6[2] = { { 0, XS_PERM_READ }, { 6, XS_PERM_NONE } };
    /* a dom0 server publishes for dom5 and dom6 before either exists */
    REQUIRE(xs_write(h0, XBT_NULL, x5, "v", 1) && xs_set_permissions(h0, XBT_NULL, x5, for5, 2) &&
            xs_write(h0, XBT_NULL, x6, "v", 1) && xs_set_permissions(h0, XBT_NULL, x6, for6, 2) &&
            xs_write(h0, XBT_NULL, z5, "z", 1) && xs_set_permissions(h0, XBT_NULL, z5, not5, 2) &&
            xs_write(h0, XBT_NULL, z6, "z", 1) && xs_set_permissions(h0, XBT_NULL, z6, not6, 2),
            "publish: %s", ERR);
    /* dom5 is implicit so far: the entry counts */
    struct xs_handle *h5 = xs_as(5);
    REQUIRE(h5, "xs_open_as(5): %s", ERR);
    EXPECT_READ(h5, XBT_NULL, x5, "v");
    xs_close(h5);
    long doms = STAT_UNTIL(domains, 1);
    REQUIRE(doms == 1, "stats.domains = %ld once dom5's handle closed, expected 1 (dom0)", doms);

    REQUIRE(sim_domain_create(5) == 0, "xensim_domain_create(5): %s", ERR);
    h5 = xs_as(5);
    struct xs_handle *h6 = xs_as(6);
    REQUIRE(h5 && h6, "xs_open_as(5/6): %s", ERR);
    EXPECT_ERR(EACCES, xs_read(h5, XBT_NULL, x5, NULL) == NULL);
    EXPECT_READ(h5, XBT_NULL, z5, "z"); /* its entry void, dom5 gets perms[0]'s read */
    EXPECT_READ(h5, XBT_NULL, "domid", "5"); /* its home, made at creation, counts */
    EXPECT_READ(h6, XBT_NULL, x6, "v"); /* an implicit domain: as before */
    EXPECT_ERR(EACCES, xs_read(h6, XBT_NULL, z6, NULL) == NULL);

    /* permissions written after the creation count */
    REQUIRE(xs_write(h0, XBT_NULL, y5, "y", 1) && xs_set_permissions(h0, XBT_NULL, y5, for5, 2),
            "write %s: %s", y5, ERR);
    EXPECT_READ(h5, XBT_NULL, y5, "y");
    /* a new value does not revive the entry, and a new child inherits it void */
    CHECK(xs_write(h0, XBT_NULL, x5, "v2", 2), "rewrite %s: %s", x5, ERR);
    EXPECT_ERR(EACCES, xs_read(h5, XBT_NULL, x5, NULL) == NULL);
    CHECK(xs_write(h0, XBT_NULL, "/local/domain/0/data/vchan/5/x/kid", "k", 1), "write kid: %s", ERR);
    EXPECT_ERR(EACCES, xs_read(h5, XBT_NULL, "/local/domain/0/data/vchan/5/x/kid", NULL) == NULL);
    /* get_permissions still lists it, as xenstored does */
    CHECK(perms_are(h0, x5, for5, 2), "get_permissions of %s is not [n0, r5]", x5);
    /* ... and watches do not fire for dom5 there */
    CHECK(xs_watch(h5, x5, "w"), "xs_watch: %s", ERR);
    EXPECT_WATCH(h5, x5, "w"); /* registration */
    CHECK(xs_write(h0, XBT_NULL, x5, "v3", 2), "write: %s", ERR);
    EXPECT_NO_WATCH(h5, 100);

    /* setting the permissions again makes the entry count */
    CHECK(xs_set_permissions(h0, XBT_NULL, x5, for5, 2), "set_permissions: %s", ERR);
    EXPECT_WATCH(h5, x5, "w");
    EXPECT_READ(h5, XBT_NULL, x5, "v3");
    EXPECT_ERR(EACCES, xs_read(h5, XBT_NULL, "/local/domain/0/data/vchan/5/x/kid", NULL) == NULL);

    /* a destroyed domain's entries stay void for the next domain of its id, implicit or not */
    xs_close(h5);
    REQUIRE(sim_domain_destroy(5) == 0, "xensim_domain_destroy(5): %s", ERR);
    h5 = xs_as(5);
    REQUIRE(h5, "xs_open_as(5) after the destroy: %s", ERR);
    EXPECT_ERR(EACCES, xs_read(h5, XBT_NULL, y5, NULL) == NULL);
    EXPECT_READ(h5, XBT_NULL, "domid", "5");
    CHECK(sim_domain_state(5) == XENSIM_DOMAIN_IMPLICIT, "state of dom5 back with a process: %d",
          sim_domain_state(5));
    xs_close(h5);
    xs_close(h6);
}

/* A created domain: @introduceDomain at creation, no process needed, @releaseDomain at destroy. */
static void toolstack_domain_watches(void)
{
    struct xs_handle *w = xs_as(0);
    REQUIRE(w, "xs_open_as(0): %s", ERR);
    REQUIRE(xs_watch(w, "@introduceDomain", "in") && xs_watch(w, "@releaseDomain", "out"),
            "watch: %s", ERR);
    EXPECT_WATCH(w, "@introduceDomain", "in");
    EXPECT_WATCH(w, "@releaseDomain", "out");

    CHECK(sim_domain_state(7) == XENSIM_DOMAIN_IMPLICIT, "state of dom7 before its creation: %d",
          sim_domain_state(7));
    REQUIRE(sim_domain_create(7) == 0, "xensim_domain_create(7): %s", ERR);
    CHECK(sim_domain_state(7) == XENSIM_DOMAIN_CREATED, "state of dom7 once created: %d",
          sim_domain_state(7));
    EXPECT_WATCH(w, "@introduceDomain", "in");
    EXPECT_READ(w, XBT_NULL, "/local/domain/7/domid", "7");
    EXPECT_ERR(EEXIST, sim_domain_create(7) < 0);
    /* one of its processes comes and goes: the domain stays */
    struct xs_handle *d7 = xs_as(7);
    REQUIRE(d7, "xs_open_as(7): %s", ERR);
    EXPECT_NO_WATCH(w, 100);
    xs_close(d7);
    EXPECT_NO_WATCH(w, 150);
    EXPECT_READ(w, XBT_NULL, "/local/domain/7/domid", "7");
    EXPECT_ERR(EEXIST, sim_domain_create(7) < 0);

    /* what may not be done */
    EXPECT_ERR(EINVAL, sim_domain_create(0) < 0);
    EXPECT_ERR(EINVAL, sim_domain_create(MAX_DOMID + 1) < 0);
    EXPECT_ERR(EINVAL, sim_domain_destroy(0) < 0);
    EXPECT_ERR(ESRCH, sim_domain_destroy(9) < 0);
    /* a guest is no toolstack (dom3 held open, so that its visit is one arrival) */
    struct xs_handle *d3 = xs_as(3);
    REQUIRE(d3, "xs_open_as(3): %s", ERR);
    EXPECT_WATCH(w, "@introduceDomain", "in");
    setenv("XENSIM_DOMID", "3", 1);
    EXPECT_ERR(EPERM, sim_domain_create(4) < 0);
    EXPECT_ERR(EPERM, sim_domain_destroy(7) < 0);
    unsetenv("XENSIM_DOMID");
    xs_close(d3);
    EXPECT_WATCH(w, "@releaseDomain", "out");

    REQUIRE(sim_domain_destroy(7) == 0, "xensim_domain_destroy(7): %s", ERR);
    EXPECT_WATCH(w, "@releaseDomain", "out");
    EXPECT_ERR(ENOENT, xs_read(w, XBT_NULL, "/local/domain/7", NULL) == NULL);
    EXPECT_ERR(ESRCH, sim_domain_destroy(7) < 0);
    CHECK(sim_domain_state(7) == XENSIM_DOMAIN_GONE, "state of dom7 once destroyed: %d",
          sim_domain_state(7));
    EXPECT_ERR(EINVAL, sim_domain_state(MAX_DOMID + 1) < 0);

    /* an implicit domain with a process here (beside dom0) can be destroyed too:
     * its handles fail, this process lives on, @releaseDomain fires once */
    struct xs_handle *d8 = xs_as(8);
    REQUIRE(d8, "xs_open_as(8): %s", ERR);
    EXPECT_WATCH(w, "@introduceDomain", "in");
    EXPECT_ERR(EEXIST, sim_domain_create(8) < 0);
    REQUIRE(sim_domain_destroy(8) == 0, "xensim_domain_destroy(8): %s", ERR);
    EXPECT_WATCH(w, "@releaseDomain", "out");
    EXPECT_NO_WATCH(w, 100);
    EXPECT_ERR(EIO, xs_read(d8, XBT_NULL, "domid", NULL) == NULL);
    xs_close(d8);
}

/* Waits up to timeout_ms for child pid to end; its wait status, or -1 (then it is killed). */
static int wait_child(pid_t pid, int timeout_ms)
{
    double deadline = now_ms() + timeout_ms;
    int st;
    for (;;) {
        pid_t r = waitpid(pid, &st, WNOHANG);
        if (r == pid)
            return st;
        if (r < 0 && errno != EINTR)
            return -1;
        if (now_ms() > deadline) {
            kill(pid, SIGKILL);
            waitpid(pid, NULL, 0);
            return -1;
        }
        sleep_ms(5);
    }
}

struct dom5_client_arg { int port; uint32_t ref0; };

/* a process in dom5, as a vchan client: binds, maps dom0's page with a
 * notification, shares one back with another, sets both live bytes; msg: rc, ref */
static void dom5_client_setup(const void *arg, void *msg)
{
    const struct dom5_client_arg *a = arg;
    int *out = msg;
    setenv("XENSIM_DOMID", "5", 1);
    xenevtchn_handle *e = xenevtchn_open(NULL, 0);
    xengnttab_handle *t = xengnttab_open(NULL, 0);
    xengntshr_handle *g = xengntshr_open(NULL, 0);
    int pb = e ? xenevtchn_bind_interdomain(e, 0, (evtchn_port_t)a->port) : -1;
    unsigned char *m = t && pb > 0
        ? xengnttab_map_grant_ref_notify(t, 0, a->ref0, RW, 100, (evtchn_port_t)pb) : NULL;
    uint32_t ref5 = 0;
    unsigned char *sp = m && g
        ? xengntshr_share_page_notify(g, 0, &ref5, 1, 200, (evtchn_port_t)pb) : NULL;
    if (sp) {
        m[100] = 1;
        sp[200] = 1;
    }
    out[0] = sp ? 0 : (errno ? errno : EIO);
    out[1] = (int)ref5;
}

/*
 * xl destroy of a vchan client's domain, as on Xen: the dom0 end sees no
 * unmap notification (no byte cleared, no event) on either page, the
 * domain's process is killed, /local/domain/5 goes and @releaseDomain fires.
 */
static void toolstack_destroy_silent(void)
{
    REQUIRE(sim_domain_create(5) == 0, "xensim_domain_create(5): %s", ERR);
    struct xs_handle *w = xs_as(0);
    xenevtchn_handle *e0 = ev_as(0);
    xengntshr_handle *s0 = gs_as(0);
    xengnttab_handle *t0 = gt_as(0);
    REQUIRE(w && e0 && s0 && t0, "open dom0 handles: %s", ERR);
    REQUIRE(xs_watch(w, "/local/domain/5", "home") && xs_watch(w, "@releaseDomain", "out"),
            "watch: %s", ERR);
    EXPECT_WATCH(w, "/local/domain/5", "home");
    EXPECT_WATCH(w, "@releaseDomain", "out");
    int pa = xenevtchn_bind_unbound_port(e0, 5);
    REQUIRE(pa > 0, "bind_unbound_port(5): %s", ERR);
    uint32_t ref0;
    volatile unsigned char *p0 = xengntshr_share_pages(s0, 5, 1, &ref0, 1);
    REQUIRE(p0, "dom0 shares a page with dom5: %s", ERR);

    struct dom5_client_arg arg = { pa, ref0 };
    int msg[2] = { -1, 0 };
    bool got;
    pid_t pid = spawn_holder(dom5_client_setup, &arg, msg, sizeof msg, &got);
    REQUIRE(pid > 0, "no dom5 process");
    volatile unsigned char *p5 = got && msg[0] == 0
        ? xengnttab_map_grant_ref(t0, 5, (uint32_t)msg[1], RW) : NULL;
    if (!p5) {
        int e = errno;
        kill_holder(pid);
        REQUIRE(false, "setup failed: child %s, dom0 maps its page: %s",
                got ? ename(msg[0]) : "no answer", ename(e));
    }
    CHECK(p0[100] == 1 && p5[200] == 1, "the live bytes are %d/%d, expected 1/1", p0[100], p5[200]);
    EXPECT_NO_EVENT(e0, 0);
    CHECK(STAT(mappings) == 2 && STAT(grants) == 2 && STAT(ports) == 2,
          "stats mappings/grants/ports = %ld/%ld/%ld before the destroy, expected 2/2/2",
          STAT(mappings), STAT(grants), STAT(ports));

    REQUIRE(sim_domain_destroy(5) == 0, "xensim_domain_destroy(5): %s", ERR);
    int st = wait_child(pid, 2000);
    CHECK(st != -1 && WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL,
          "dom5's process was not killed by the destroy (wait status %d)", st);
    EXPECT_WATCH(w, "/local/domain/5", "home");
    EXPECT_WATCH(w, "@releaseDomain", "out");
    EXPECT_ERR(ENOENT, xs_read(w, XBT_NULL, "/local/domain/5", NULL) == NULL);
    /* what dom5 held is gone; dom0's page and its mapping of dom5's page stay */
    long maps = STAT_UNTIL(mappings, 1);
    CHECK(maps == 1, "stats.mappings = %ld after the destroy, expected 1 (dom0's)", maps);
    CHECK(STAT(grants) == 1 && STAT(ports) == 1,
          "stats grants/ports = %ld/%ld after the destroy, expected 1/1", STAT(grants), STAT(ports));
    /* and nothing reached dom0 */
    EXPECT_NO_EVENT(e0, 300);
    CHECK(p0[100] == 1, "dom5's notification cleared the byte of dom0's page");
    CHECK(p5[200] == 1, "dom5's notification cleared the byte of its own page");

    /* dom0's port is unbound for dom5 again, and alive: a new dom5 binds and signals it */
    REQUIRE(sim_domain_create(5) == 0, "xensim_domain_create(5) again: %s", ERR);
    xenevtchn_handle *e5 = ev_as(5);
    REQUIRE(e5, "xensim_evtchn_open_as(5): %s", ERR);
    int pb = xenevtchn_bind_interdomain(e5, 0, (evtchn_port_t)pa);
    CHECK(pb > 0, "the new dom5 cannot bind dom0's port %d: %s", pa, ERR);
    if (pb > 0) {
        CHECK(xenevtchn_notify(e5, (evtchn_port_t)pb) == 0, "notify: %s", ERR);
        EXPECT_EVENT(e0, pa);
    }
    /* this process is dom0 too: destroying dom5 drops its dom5 handle, not the process */
    REQUIRE(sim_domain_destroy(5) == 0, "xensim_domain_destroy(5) again: %s", ERR);
    EXPECT_ERR(EIO, xenevtchn_bind_unbound_port(e5, 0) == -1);
    xenevtchn_close(e5);
    CHECK(xengnttab_unmap(t0, (void *)p5, 1) == 0, "dom0 unmaps the dead domain's page: %s", ERR);
    CHECK(xengntshr_unshare(s0, (void *)p0, 1) == 0, "unshare: %s", ERR);
    long left = STAT_UNTIL(mappings, 0);
    CHECK(left == 0 && STAT(grants) == 0, "stats mappings/grants = %ld/%ld at the end", left,
          STAT(grants));
}

/* Created domains and the void entries outlive the daemon, as the tree does. */
static void toolstack_state_persists(void)
{
    struct xs_handle *h0 = xs_as(0);
    REQUIRE(h0, "xs_open_as(0): %s", ERR);
    struct xs_permissions for5[2] = { { 0, XS_PERM_NONE }, { 5, XS_PERM_READ } };
    REQUIRE(xs_write(h0, XBT_NULL, "/before", "b", 1) &&
            xs_set_permissions(h0, XBT_NULL, "/before", for5, 2), "write: %s", ERR);
    REQUIRE(sim_domain_create(5) == 0 && sim_domain_create(6) == 0 && sim_domain_destroy(6) == 0,
            "create 5, create and destroy 6: %s", ERR);
    REQUIRE(xs_write(h0, XBT_NULL, "/after", "a", 1) &&
            xs_set_permissions(h0, XBT_NULL, "/after", for5, 2), "write: %s", ERR);
    xs_close(h0);
    REQUIRE(wait_daemon_exit(sim_dir(), 5000),
            "the daemon did not exit within 5 s of its last client (a created domain kept it?)");

    EXPECT_ERR(EEXIST, sim_domain_create(5) < 0); /* it still exists, with no process */
    CHECK(sim_domain_state(6) == XENSIM_DOMAIN_GONE, "state of the destroyed dom6 after the restart: %d",
          sim_domain_state(6));
    h0 = xs_as(0);
    struct xs_handle *h5 = xs_as(5);
    REQUIRE(h0 && h5, "xs_open_as after the daemon's exit: %s", ERR);
    EXPECT_ERR(EACCES, xs_read(h5, XBT_NULL, "/before", NULL) == NULL);
    EXPECT_READ(h5, XBT_NULL, "/after", "a");
    EXPECT_READ(h5, XBT_NULL, "domid", "5");
    xs_close(h5);
    CHECK(sim_domain_destroy(5) == 0, "xensim_domain_destroy(5): %s", ERR);
    EXPECT_ERR(ENOENT, xs_read(h0, XBT_NULL, "/local/domain/5", NULL) == NULL);
}

/* Runs xensim-xl (beside the loaded libxenevtchn) with two arguments: its
 * exit status, or -1; what it wrote to stderr goes into err. */
static int run_xl(const char *a1, const char *a2, char *err, size_t errlen)
{
    Dl_info info;
    char exe[PATH_MAX];
    if (!dladdr((void *)sim_stats, &info) || !info.dli_fname || !strrchr(info.dli_fname, '/'))
        return -1;
    snprintf(exe, sizeof exe, "%.*s/xensim-xl",
             (int)(strrchr(info.dli_fname, '/') - info.dli_fname), info.dli_fname);
    int pfd[2];
    if (pipe2(pfd, O_CLOEXEC) < 0)
        return -1;
    fflush(stdout);
    pid_t pid = fork();
    if (pid < 0) {
        close(pfd[0]);
        close(pfd[1]);
        return -1;
    }
    if (pid == 0) {
        dup2(pfd[1], 2);
        execl(exe, "xensim-xl", a1, a2, (char *)NULL);
        _exit(127);
    }
    close(pfd[1]);
    size_t n = 0;
    while (n + 1 < errlen && readable(pfd[0], 5000) == 1) {
        ssize_t r = read(pfd[0], err + n, errlen - 1 - n);
        if (r <= 0)
            break;
        n += (size_t)r;
    }
    err[n] = '\0';
    close(pfd[0]);
    int st = wait_child(pid, 5000);
    return st != -1 && WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* xensim-xl create|destroy N: the entry points as a command. */
static void toolstack_cli(void)
{
    char err[512];
    struct xs_handle *h0 = xs_as(0);
    REQUIRE(h0, "xs_open_as(0): %s", ERR);
    int rc = run_xl("create", "9", err, sizeof err);
    REQUIRE(rc == 0, "xensim-xl create 9: status %d: %s", rc, err);
    EXPECT_READ(h0, XBT_NULL, "/local/domain/9/domid", "9");
    rc = run_xl("create", "9", err, sizeof err);
    CHECK(rc == 1 && strstr(err, "File exists"), "second create 9: status %d: %s", rc, err);
    rc = run_xl("destroy", "9", err, sizeof err);
    CHECK(rc == 0, "xensim-xl destroy 9: status %d: %s", rc, err);
    EXPECT_ERR(ENOENT, xs_read(h0, XBT_NULL, "/local/domain/9", NULL) == NULL);
    rc = run_xl("destroy", "9", err, sizeof err);
    CHECK(rc == 1 && strstr(err, "No such process"), "second destroy 9: status %d: %s", rc, err);
    rc = run_xl("create", "0", err, sizeof err);
    CHECK(rc == 1, "xensim-xl create 0: status %d: %s", rc, err);
    rc = run_xl("create", "x9", err, sizeof err);
    CHECK(rc == 2 && strstr(err, "usage"), "xensim-xl create x9: status %d: %s", rc, err);
    rc = run_xl("boot", "9", err, sizeof err);
    CHECK(rc == 2 && strstr(err, "usage"), "xensim-xl boot 9: status %d: %s", rc, err);
}

/* ================================================================ stale state */

static pid_t peer_pid(int fd)
{
    struct ucred cred;
    socklen_t len = sizeof cred;
    if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0)
        return -1;
    return cred.pid;
}

/* Whether pid runs "xensimd --dir dir". */
static bool is_daemon_of(pid_t pid, const char *dir)
{
    char path[64], buf[PATH_MAX + 64];
    snprintf(path, sizeof path, "/proc/%d/cmdline", (int)pid);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return false;
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    if (n <= 0)
        return false;
    buf[n] = '\0';
    const char *argv0 = buf, *arg1 = argv0 + strlen(argv0) + 1;
    if (arg1 >= buf + n)
        return false;
    const char *arg2 = arg1 + strlen(arg1) + 1;
    return arg2 < buf + n && strcmp(argv0, "xensimd") == 0 && strcmp(arg1, "--dir") == 0 &&
           strcmp(arg2, dir) == 0;
}

/* Notifications go from port end to port end: they arrive while the daemon is stopped. */
static void evtchn_notify_bypasses_daemon(void)
{
    struct chan c;
    if (!OPEN_CHAN(&c, 1, 2))
        return;
    struct xs_handle *h = xs_as(0);
    REQUIRE(h, "xs_open_as(0): %s", ERR);
    pid_t daemon = peer_pid(xs_fileno(h));
    REQUIRE(daemon > 0 && is_daemon_of(daemon, sim_dir()), "no daemon at the other end: %s", ERR);
    /* each end asks the running daemon for its far end once */
    REQUIRE(xenevtchn_notify(c.a, (evtchn_port_t)c.pa) == 0, "notify: %s", ERR);
    if (!EXPECT_EVENT(c.b, c.pb))
        return;
    REQUIRE(xenevtchn_unmask(c.b, (evtchn_port_t)c.pb) == 0 &&
            xenevtchn_notify(c.b, (evtchn_port_t)c.pb) == 0, "unmask, notify: %s", ERR);
    if (!EXPECT_EVENT(c.a, c.pa))
        return;
    REQUIRE(xenevtchn_unmask(c.a, (evtchn_port_t)c.pa) == 0, "unmask: %s", ERR);

    REQUIRE(kill(daemon, SIGSTOP) == 0, "SIGSTOP %d: %s", (int)daemon, ERR);
    enum { ROUNDS = 1000 };
    int round = 0;
    double t0 = now_ms();
    while (round < ROUNDS && xenevtchn_notify(c.a, (evtchn_port_t)c.pa) == 0 &&
           next_event(c.b, 2000) == c.pb && xenevtchn_unmask(c.b, (evtchn_port_t)c.pb) == 0 &&
           xenevtchn_notify(c.b, (evtchn_port_t)c.pb) == 0 && next_event(c.a, 2000) == c.pa &&
           xenevtchn_unmask(c.a, (evtchn_port_t)c.pa) == 0)
        round++;
    double took = now_ms() - t0;
    kill(daemon, SIGCONT);
    CHECK(round == ROUNDS, "with the daemon stopped, notifications stalled after %d round trips", round);
    note("%d notify round trips (one thread) with the daemon stopped: %.2f us each", round,
         round ? took * 1000 / round : 0.0);
}

/* A daemon killed with SIGKILL does not wedge the next open. */
static void stale_daemon_killed(void)
{
    struct xs_handle *h = xs_as(0);
    xenevtchn_handle *e = ev_as(1);
    REQUIRE(h && e, "open: %s", ERR);
    REQUIRE(xs_write(h, XBT_NULL, "/k", "v", 1), "write: %s", ERR);
    int fd = xs_fileno(h);
    pid_t pid = peer_pid(fd);
    REQUIRE(pid > 0, "SO_PEERCRED: %s", ERR);
    REQUIRE(is_daemon_of(pid, sim_dir()), "pid %d is not \"xensimd --dir %s\"", (int)pid, sim_dir());
    REQUIRE(kill(pid, SIGKILL) == 0, "kill %d: %s", (int)pid, ERR);
    /* the daemon's end of our connections closes when it dies */
    char byte;
    REQUIRE(readable(fd, 2000) == 1 && recv(fd, &byte, 1, MSG_DONTWAIT) == 0,
            "our connection did not see the daemon die");
    char sock[PATH_MAX];
    snprintf(sock, sizeof sock, "%s/xensimd.sock", sim_dir());
    CHECK(access(sock, F_OK) == 0, "the dead daemon left no socket file: nothing stale to test");

    /* old handles fail cleanly */
    EXPECT_ERR(EIO, xs_read(h, XBT_NULL, "/k", NULL) == NULL);
    CHECK(readable(xenevtchn_fd(e), 1000) == 1, "the evtchn fd did not wake on the daemon's death");
    EXPECT_ERR(EIO, xenevtchn_pending(e) == -1);
    EXPECT_ERR(EIO, xenevtchn_bind_unbound_port(e, 2) == -1);

    /* the next open starts a fresh daemon */
    double t0 = now_ms();
    struct xs_handle *h2 = xs_as(0);
    double took = now_ms() - t0;
    REQUIRE(h2, "xs_open_as after the daemon was killed: %s", ERR);
    note("open after SIGKILL of the daemon took %.1f ms", took);
    CHECK(took < 2000, "open after the daemon was killed took %.0f ms", took);
    pid_t pid2 = peer_pid(xs_fileno(h2));
    CHECK(pid2 > 0 && pid2 != pid && is_daemon_of(pid2, sim_dir()),
          "the new connection's peer is pid %d (old daemon %d)", (int)pid2, (int)pid);
    CHECK(xs_write(h2, XBT_NULL, "/k2", "v2", 2), "write on the new daemon: %s", ERR);
    EXPECT_READ(h2, XBT_NULL, "/k2", "v2");
    EXPECT_READ(h2, XBT_NULL, "/local/domain/0/domid", "0");
    struct chan c;
    if (OPEN_CHAN(&c, 1, 2)) {
        CHECK(xenevtchn_notify(c.a, (evtchn_port_t)c.pa) == 0, "notify: %s", ERR);
        EXPECT_EVENT(c.b, c.pb);
    }
    xs_close(h);
    xenevtchn_close(e);
}

/* A socket file nobody listens on, and a corrupt saved store, are cleared away. */
static void stale_socket_and_store(void)
{
    char sock[PATH_MAX], db[PATH_MAX];
    snprintf(sock, sizeof sock, "%s/xensimd.sock", sim_dir());
    snprintf(db, sizeof db, "%s/xenstore.db", sim_dir());
    int s = socket(AF_UNIX, SOCK_SEQPACKET, 0);
    struct sockaddr_un addr = { .sun_family = AF_UNIX };
    REQUIRE(strlen(sock) < sizeof addr.sun_path, "%s is too long for a socket address", sock);
    memcpy(addr.sun_path, sock, strlen(sock) + 1);
    REQUIRE(s >= 0 && bind(s, (struct sockaddr *)&addr, sizeof addr) == 0, "bind %s: %s", sock, ERR);
    close(s); /* the file stays; connecting to it is refused */
    FILE *f = fopen(db, "wb");
    REQUIRE(f, "create %s: %s", db, ERR);
    fputs("\x05\x00\x00\x00/garbage that is no saved tree", f);
    fclose(f);

    double t0 = now_ms();
    struct xs_handle *h = xs_as(0);
    double took = now_ms() - t0;
    REQUIRE(h, "xs_open_as with a stale socket file: %s", ERR);
    note("open over a stale socket file took %.1f ms", took);
    CHECK(took < 2000, "open took %.0f ms", took);
    EXPECT_READ(h, XBT_NULL, "/local/domain/0/domid", "0");
    CHECK(xs_write(h, XBT_NULL, "/fresh", "1", 1), "write: %s", ERR);
    EXPECT_READ(h, XBT_NULL, "/fresh", "1");
    EXPECT_ERR(ENOENT, xs_read(h, XBT_NULL, "/garbage", NULL) == NULL);
}

/* While another holds the lock (a daemon starting), an open waits, then succeeds. */
static void stale_lock_busy(void)
{
    char lock[PATH_MAX];
    snprintf(lock, sizeof lock, "%s/xensimd.lock", sim_dir());
    int fd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    REQUIRE(fd >= 0 && flock(fd, LOCK_EX | LOCK_NB) == 0, "lock %s: %s", lock, ERR);
    fflush(stdout);
    double t0 = now_ms(); /* the lock is held from here until at least t0 + 300 ms */
    pid_t pid = fork();
    REQUIRE(pid >= 0, "fork: %s", ERR);
    if (pid == 0) {
        /* holds the lock (the same open file) for 300 ms, then dies */
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        sleep_ms(300);
        _exit(0);
    }
    close(fd);
    struct xs_handle *h = xs_as(0);
    double took = now_ms() - t0;
    waitpid(pid, NULL, 0);
    REQUIRE(h, "xs_open_as while the lock was busy for 300 ms: %s", ERR);
    note("open waited %.1f ms for a lock held 300 ms", took);
    CHECK(took >= 250, "open returned after %.0f ms though the lock was held for 300 ms", took);
    CHECK(took < 3000, "open took %.0f ms", took);
    CHECK(xs_write(h, XBT_NULL, "/l", "1", 1), "write: %s", ERR);
    EXPECT_READ(h, XBT_NULL, "/l", "1");
}

/* ================================================================ runner */

struct check {
    const char *name;
    void (*fn)(void);
};

#define C(f) { #f, f }
static const struct check checks[] = {
    C(grants_share_map),
    C(grants_map_mixed_domains),
    C(grants_other_domain),
    C(grants_read_only),
    C(grants_unknown_ref),
    C(grants_all_or_nothing),
    C(grants_plain_munmap),
    C(notify_unshare),
    C(notify_unmap),
    C(notify_handle_close),
    C(notify_port_outlives_handle),
    C(notify_mapper_death),
    C(notify_sharer_death),
    C(evtchn_bind_rules),
    C(evtchn_notify_both_ways),
    C(evtchn_mask_coalesce),
    C(evtchn_notify_after_delivery),
    C(evtchn_rebind_after_close),
    C(evtchn_unbind_is_atomic),
    C(evtchn_bad_ports),
    C(evtchn_unbind_with_event_waiting),
    C(evtchn_many_ports),
    C(xs_basic),
    C(xs_relative_paths),
    C(xs_domid_key),
    C(xs_permissions),
    C(xs_missing_below_unreadable),
    C(xs_transactions),
    C(xs_watches),
    C(xs_domain_watches),
    C(xs_persists_across_daemons),
    C(toolstack_xsa322),
    C(toolstack_domain_watches),
    C(toolstack_destroy_silent),
    C(toolstack_state_persists),
    C(toolstack_cli),
    C(bad_null_handles),
    C(bad_domain_ids),
    C(bad_counts_offsets),
    C(bad_xs_paths),
    C(unsupported_calls),
    C(evtchn_notify_bypasses_daemon),
    C(stale_daemon_killed),
    C(stale_socket_and_store),
    C(stale_lock_busy),
};
#define NCHECKS (sizeof checks / sizeof *checks)

/* Waits for the check's daemon to exit, then removes its state directory. */
static void remove_state(const char *dir)
{
    if (!wait_daemon_exit(dir, 5000))
        printf("# the daemon of %s did not exit within 5 s\n", dir);
    DIR *d = opendir(dir);
    if (d) {
        struct dirent *ent;
        while ((ent = readdir(d)) != NULL) {
            if (strcmp(ent->d_name, ".") && strcmp(ent->d_name, "..")) {
                char path[PATH_MAX];
                snprintf(path, sizeof path, "%s/%s", dir, ent->d_name);
                unlink(path);
            }
        }
        closedir(d);
    }
    if (rmdir(dir) < 0)
        printf("# cannot remove %s: %s\n", dir, strerror(errno));
}

/* Runs one check in a child of its own, on a host of its own; true if it passed. */
static bool run(const struct check *c)
{
    char dir[] = "/tmp/xensim-selftest-XXXXXX";
    if (!mkdtemp(dir)) {
        printf("FAIL %s: mkdtemp: %s (%s:%d)\n", c->name, strerror(errno), __FILE__, __LINE__);
        return false;
    }
    fflush(stdout);
    fflush(stderr);
    pid_t pid = fork();
    if (pid < 0) {
        printf("FAIL %s: fork: %s (%s:%d)\n", c->name, strerror(errno), __FILE__, __LINE__);
        rmdir(dir);
        return false;
    }
    if (pid == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        setenv("XENSIM_DIR", dir, 1);
        g_check = c->name;
        alarm(CHECK_TIMEOUT_S);
        c->fn();
        fflush(stdout);
        _exit(g_failures ? 1 : 0);
    }
    int status;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
    bool passed = false;
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
        printf("ok %s\n", c->name);
        passed = true;
    } else if (WIFSIGNALED(status)) {
        int sig = WTERMSIG(status);
        printf("FAIL %s: %s (%s:%d)\n", c->name,
               sig == SIGALRM ? "timed out" : strsignal(sig), __FILE__, __LINE__);
    } else if (!WIFEXITED(status) || WEXITSTATUS(status) != 1) {
        printf("FAIL %s: exited with status %d (%s:%d)\n", c->name, WEXITSTATUS(status), __FILE__,
               __LINE__);
    }
    fflush(stdout);
    remove_state(dir);
    return passed;
}

int main(int argc, char **argv)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    if (argc > 1 && strcmp(argv[1], "--list") == 0) {
        for (size_t i = 0; i < NCHECKS; i++)
            puts(checks[i].name);
        return 0;
    }
    if (argc > 1 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
        printf("usage: %s [--list | CHECK...]\n", argv[0]);
        return 0;
    }
    const struct check *selected[NCHECKS];
    size_t n = 0;
    if (argc == 1) {
        for (size_t i = 0; i < NCHECKS; i++)
            selected[n++] = &checks[i];
    }
    for (int a = 1; a < argc; a++) {
        size_t i = 0;
        while (i < NCHECKS && strcmp(checks[i].name, argv[a]) != 0)
            i++;
        if (i == NCHECKS) {
            fprintf(stderr, "xensim-selftest: no check named %s (see --list)\n", argv[a]);
            return 2;
        }
        if (n < NCHECKS)
            selected[n++] = &checks[i];
    }
    if (!resolve_sim()) {
        fprintf(stderr, "xensim-selftest: xensim's libraries are not the ones loaded (%s); "
                        "run with LD_LIBRARY_PATH=<xensim build dir>\n", dlerror());
        return 2;
    }
    signal(SIGPIPE, SIG_IGN);
    setenv("XENSIM_LINGER_MS", "200", 0);
    unsetenv("XENSIM_DOMID"); /* checks say which domain they are */

    int passed = 0, failed = 0;
    for (size_t i = 0; i < n; i++)
        run(selected[i]) ? passed++ : failed++;
    printf("selftest: %d passed, %d failed\n", passed, failed);
    return failed > 0;
}
