/*
 * libxenstore.so.4 over xensimd.
 *
 * A handle is a request connection plus, once a watch is set or the fd is
 * asked for, a watch connection: the daemon queues watch events there, so
 * xs_fileno is readable exactly while an event waits, as in libxenstore.
 */
#define _GNU_SOURCE
#include "client.h"
#include "xensim.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

typedef uint32_t xs_transaction_t;

struct xs_permissions {
    unsigned int id;
    unsigned int perms;
};

struct xs_handle {
    struct xsim_conn req;
    struct xsim_conn watch;  /* fd -1 until first needed */
    pthread_mutex_t watch_lock;
};

struct xs_handle *xensim_xs_open_as(unsigned long flags, uint32_t domid)
{
    (void)flags; /* read-only and socket-only make no difference here */
    struct xs_handle *h = calloc(1, sizeof *h);
    if (!h)
        return NULL;
    h->watch.fd = -1;
    if (xsim_open(&h->req, XSIM_K_XS, domid, 0) < 0) {
        free(h);
        return NULL;
    }
    pthread_mutex_init(&h->watch_lock, NULL);
    return h;
}

struct xs_handle *xs_open(unsigned long flags)
{
    int domid = xsim_self_domid();
    if (domid < 0) {
        errno = EINVAL;
        return NULL;
    }
    return xensim_xs_open_as(flags, (uint32_t)domid);
}

struct xs_handle *xs_daemon_open(void) { return xs_open(0); }
struct xs_handle *xs_daemon_open_readonly(void) { return xs_open(0); }
struct xs_handle *xs_domain_open(void) { return xs_open(0); }

void xs_close(struct xs_handle *h)
{
    if (!h)
        return;
    xsim_close(&h->watch);
    xsim_close(&h->req);
    pthread_mutex_destroy(&h->watch_lock);
    free(h);
}

void xs_daemon_close(struct xs_handle *h) { xs_close(h); }

/* path NUL extra: the payload of most requests. */
static int call(struct xs_handle *h, uint32_t op, xs_transaction_t t, const char *path,
                const void *extra, size_t extra_len, void **out, size_t *out_len)
{
    if (!h || !path) {
        errno = EINVAL;
        return -1;
    }
    size_t plen = strlen(path) + 1;
    if (plen + extra_len > XSIM_MAX_MSG - sizeof(struct xsim_req)) {
        errno = E2BIG;
        return -1;
    }
    char *payload = malloc(plen + extra_len);
    if (!payload)
        return -1;
    memcpy(payload, path, plen);
    if (extra_len)
        memcpy(payload + plen, extra, extra_len);
    struct xsim_req req = { .op = op, .a = t, .len = (uint32_t)(plen + extra_len) };
    int rc = xsim_call(&h->req, &req, payload, out, out_len, NULL, 0, NULL);
    free(payload);
    return rc;
}

void *xs_read(struct xs_handle *h, xs_transaction_t t, const char *path, unsigned int *len)
{
    void *data = NULL;
    size_t n = 0;
    if (call(h, XSIM_XS_READ, t, path, NULL, 0, &data, &n) < 0)
        return NULL;
    /* Like libxenstore, add a NUL the value may not have. */
    char *value = realloc(data, n + 1);
    if (!value) {
        free(data);
        return NULL;
    }
    value[n] = '\0';
    if (len)
        *len = (unsigned int)n;
    return value;
}

bool xs_write(struct xs_handle *h, xs_transaction_t t, const char *path, const void *data,
              unsigned int len)
{
    if (!data && len) {
        errno = EINVAL;
        return false;
    }
    return call(h, XSIM_XS_WRITE, t, path, data, len, NULL, NULL) >= 0;
}

bool xs_mkdir(struct xs_handle *h, xs_transaction_t t, const char *path)
{
    return call(h, XSIM_XS_MKDIR, t, path, NULL, 0, NULL, NULL) >= 0;
}

bool xs_rm(struct xs_handle *h, xs_transaction_t t, const char *path)
{
    return call(h, XSIM_XS_RM, t, path, NULL, 0, NULL, NULL) >= 0;
}

/* Turns "a\0b\0" into one malloc'd block: pointers first, then the strings. */
static char **split_strings(const char *data, size_t len, unsigned int *num)
{
    unsigned int n = 0;
    for (size_t i = 0; i < len; i++)
        n += data[i] == '\0';
    char **vec = malloc((n + 1) * sizeof(char *) + len);
    if (!vec)
        return NULL;
    char *strings = (char *)(vec + n + 1);
    memcpy(strings, data, len);
    char *p = strings;
    for (unsigned int i = 0; i < n; i++) {
        vec[i] = p;
        p += strlen(p) + 1;
    }
    vec[n] = NULL;
    *num = n;
    return vec;
}

char **xs_directory(struct xs_handle *h, xs_transaction_t t, const char *path,
                    unsigned int *num)
{
    void *data = NULL;
    size_t n = 0;
    if (call(h, XSIM_XS_DIRECTORY, t, path, NULL, 0, &data, &n) < 0)
        return NULL;
    unsigned int count = 0;
    char **vec = split_strings(data ? data : "", n, &count);
    free(data);
    if (vec && num)
        *num = count;
    return vec;
}

struct xs_permissions *xs_get_permissions(struct xs_handle *h, xs_transaction_t t,
                                          const char *path, unsigned int *num)
{
    void *data = NULL;
    size_t n = 0;
    if (call(h, XSIM_XS_GET_PERMS, t, path, NULL, 0, &data, &n) < 0)
        return NULL;
    if (n == 0 || n % sizeof(struct xs_permissions)) {
        free(data);
        errno = EIO;
        return NULL;
    }
    if (num)
        *num = (unsigned int)(n / sizeof(struct xs_permissions));
    return data;
}

bool xs_set_permissions(struct xs_handle *h, xs_transaction_t t, const char *path,
                        struct xs_permissions *perms, unsigned int num)
{
    if (!perms || num == 0 || num > 1024) {
        errno = EINVAL;
        return false;
    }
    return call(h, XSIM_XS_SET_PERMS, t, path, perms, num * sizeof *perms, NULL, NULL) >= 0;
}

xs_transaction_t xs_transaction_start(struct xs_handle *h)
{
    if (!h) {
        errno = EINVAL;
        return 0;
    }
    struct xsim_req req = { .op = XSIM_XS_TXN_START };
    int t = xsim_call(&h->req, &req, NULL, NULL, NULL, NULL, 0, NULL);
    return t < 0 ? 0 : (xs_transaction_t)t;
}

bool xs_transaction_end(struct xs_handle *h, xs_transaction_t t, bool abort)
{
    if (!h) {
        errno = EINVAL;
        return false;
    }
    struct xsim_req req = { .op = XSIM_XS_TXN_END, .a = t, .b = abort ? 1 : 0 };
    return xsim_call(&h->req, &req, NULL, NULL, NULL, NULL, 0, NULL) >= 0;
}

static int ensure_watch_conn(struct xs_handle *h)
{
    pthread_mutex_lock(&h->watch_lock);
    int rc = 0;
    if (h->watch.fd < 0)
        rc = xsim_open(&h->watch, XSIM_K_XS_WATCH, h->req.domid, h->req.id);
    if (rc < 0)
        h->watch.fd = -1;
    pthread_mutex_unlock(&h->watch_lock);
    return rc;
}

int xs_fileno(struct xs_handle *h)
{
    if (!h) {
        errno = EINVAL;
        return -1;
    }
    if (ensure_watch_conn(h) < 0)
        return -1;
    return h->watch.fd;
}

static bool watch_op(struct xs_handle *h, uint32_t op, const char *path, const char *token)
{
    if (!h || !path || !token) {
        errno = EINVAL;
        return false;
    }
    if (ensure_watch_conn(h) < 0)
        return false;
    return call(h, op, 0, path, token, strlen(token) + 1, NULL, NULL) >= 0;
}

bool xs_watch(struct xs_handle *h, const char *path, const char *token)
{
    return watch_op(h, XSIM_XS_WATCH, path, token);
}

bool xs_unwatch(struct xs_handle *h, const char *path, const char *token)
{
    return watch_op(h, XSIM_XS_UNWATCH, path, token);
}

static char **read_watch(struct xs_handle *h, unsigned int *num, int flags)
{
    if (!h) {
        errno = EINVAL;
        return NULL;
    }
    if (ensure_watch_conn(h) < 0)
        return NULL;
    char buf[XSIM_MAX_MSG];
    for (;;) {
        ssize_t n = recv(h->watch.fd, buf, sizeof buf, flags);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return NULL;
        if (n == 0) {
            errno = EIO;
            return NULL;
        }
        struct xsim_req m;
        if ((size_t)n < sizeof m)
            continue;
        memcpy(&m, buf, sizeof m);
        if (m.op != XSIM_XS_EVENT || m.len != (size_t)n - sizeof m)
            continue;
        unsigned int count = 0;
        char **vec = split_strings(buf + sizeof m, m.len, &count);
        if (vec && num)
            *num = count;
        return vec;
    }
}

char **xs_read_watch(struct xs_handle *h, unsigned int *num)
{
    return read_watch(h, num, 0);
}

char **xs_check_watch(struct xs_handle *h)
{
    unsigned int num;
    char **vec = read_watch(h, &num, MSG_DONTWAIT);
    if (!vec && errno == EWOULDBLOCK)
        errno = EAGAIN;
    return vec;
}

char *xs_get_domain_path(struct xs_handle *h, unsigned int domid)
{
    if (!h) {
        errno = EINVAL;
        return NULL;
    }
    char *p;
    if (asprintf(&p, "/local/domain/%u", domid) < 0)
        return NULL;
    return p;
}

bool xs_path_is_subpath(const char *parent, const char *child)
{
    size_t n = strlen(parent);
    if (strncmp(parent, child, n) != 0)
        return false;
    return child[n] == '\0' || child[n] == '/' || (n > 0 && parent[n - 1] == '/');
}
