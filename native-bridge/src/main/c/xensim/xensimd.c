/*
 * xensimd: one simulated Xen host. Owns the event-channel, grant and
 * XenStore tables; every library handle is a connection to it. One thread,
 * one epoll loop. A connection that closes (a handle closed, or its process
 * died) releases what it held, firing its unmap notifications.
 *
 * Domains are implicit (one arrives with its first connection and leaves
 * with its last) unless the sim-only toolstack created it: then it exists
 * until destroyed, and a destroy tears down everything it held without
 * notifications, as Xen does.
 *
 * Started by the first library call that finds no daemon (see client.c),
 * holding the host's lock file; exits after XENSIM_LINGER_MS without
 * connections, saving the XenStore tree and the created domains.
 */
#define _GNU_SOURCE
#include "daemon.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/file.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

struct outmsg {
    struct outmsg *next;
    size_t len;
    char data[];
};

static struct conn *conns;
static uint32_t nconns, next_conn_id = 1;
static int epfd = -1, listen_fd = -1;
static FILE *log_file;
static char sock_path[PATH_MAX], domains_path[PATH_MAX];

struct domain {
    uint32_t conns;          /* connections said HELLO as it, not yet closed */
    bool created;            /* by the toolstack, and not destroyed since */
    uint64_t gen;            /* see domain_generation */
};
static struct domain domains[XSIM_MAX_DOMID + 1];

void dlog(const char *fmt, ...)
{
    if (!log_file)
        return;
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    fprintf(log_file, "%ld.%03ld xensimd[%d]: ", (long)ts.tv_sec, ts.tv_nsec / 1000000L, getpid());
    va_list ap;
    va_start(ap, fmt);
    vfprintf(log_file, fmt, ap);
    va_end(ap);
    fputc('\n', log_file);
    fflush(log_file);
}

bool domain_live(uint32_t domid)
{
    return domid == 0 ||
           (domid <= XSIM_MAX_DOMID && (domains[domid].conns > 0 || domains[domid].created));
}

uint64_t domain_generation(uint32_t domid)
{
    return domid <= XSIM_MAX_DOMID ? domains[domid].gen : DOMAIN_GONE;
}

/* ---- connections ---- */

static void watch_out(struct conn *c, bool on)
{
    struct epoll_event ev = { .events = EPOLLIN | (on ? EPOLLOUT : 0), .data.ptr = c };
    epoll_ctl(epfd, EPOLL_CTL_MOD, c->fd, &ev);
}

/* Marks a connection broken; it is released after the current batch. */
static void kill_conn(struct conn *c)
{
    c->kind = c->kind > 0 ? -c->kind : c->kind;
    if (c->kind == 0)
        c->kind = -1000;
}

static bool dead(const struct conn *c)
{
    return c->kind < 0;
}

void reply(struct conn *c, int32_t ret, const void *payload, size_t len, const int *fds, int nfds)
{
    if (dead(c))
        return;
    struct xsim_rsp rsp = { .ret = ret, .len = (uint32_t)len, .nfds = (uint32_t)nfds };
    struct iovec iov[2] = { { &rsp, sizeof rsp }, { (void *)payload, len } };
    union {
        char space[CMSG_SPACE(sizeof(int) * XSIM_MAX_FDS)];
        struct cmsghdr align;
    } ctl;
    struct msghdr mh = { .msg_iov = iov, .msg_iovlen = len ? 2 : 1 };
    if (nfds > 0) {
        mh.msg_control = ctl.space;
        mh.msg_controllen = CMSG_SPACE(sizeof(int) * nfds);
        struct cmsghdr *cm = CMSG_FIRSTHDR(&mh);
        cm->cmsg_level = SOL_SOCKET;
        cm->cmsg_type = SCM_RIGHTS;
        cm->cmsg_len = CMSG_LEN(sizeof(int) * nfds);
        memcpy(CMSG_DATA(cm), fds, sizeof(int) * nfds);
    }
    /* The library waits for each reply, so a full socket means it broke the protocol. */
    if (sendmsg(c->fd, &mh, MSG_NOSIGNAL | MSG_DONTWAIT) < 0)
        kill_conn(c);
}

void reply_err(struct conn *c, int err)
{
    reply(c, -err, NULL, 0, NULL, 0);
}

void push(struct conn *c, uint32_t op, uint32_t a, const void *payload, size_t len)
{
    if (!c || dead(c))
        return;
    struct xsim_req hdr = { .op = op, .a = a, .len = (uint32_t)len };
    if (!c->out_head) {
        struct iovec iov[2] = { { &hdr, sizeof hdr }, { (void *)payload, len } };
        struct msghdr mh = { .msg_iov = iov, .msg_iovlen = len ? 2 : 1 };
        if (sendmsg(c->fd, &mh, MSG_NOSIGNAL | MSG_DONTWAIT) >= 0)
            return;
        if (errno != EAGAIN) {
            kill_conn(c);
            return;
        }
    }
    struct outmsg *m = malloc(sizeof *m + sizeof hdr + len);
    if (!m) {
        kill_conn(c);
        return;
    }
    m->next = NULL;
    m->len = sizeof hdr + len;
    memcpy(m->data, &hdr, sizeof hdr);
    if (len)
        memcpy(m->data + sizeof hdr, payload, len);
    if (c->out_tail)
        c->out_tail->next = m;
    else
        c->out_head = m;
    c->out_tail = m;
    watch_out(c, true);
}

static void flush_out(struct conn *c)
{
    while (c->out_head) {
        struct outmsg *m = c->out_head;
        if (send(c->fd, m->data, m->len, MSG_NOSIGNAL | MSG_DONTWAIT) < 0) {
            if (errno != EAGAIN)
                kill_conn(c);
            return;
        }
        c->out_head = m->next;
        if (!c->out_head)
            c->out_tail = NULL;
        free(m);
    }
    watch_out(c, false);
}

static struct conn *find_conn(uint32_t id)
{
    for (struct conn *c = conns; c; c = c->next)
        if (c->id == id && !dead(c))
            return c;
    return NULL;
}

static void accept_conn(void)
{
    for (;;) {
        int fd = accept4(listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0)
            return;
        struct conn *c = calloc(1, sizeof *c);
        if (!c) {
            close(fd);
            continue;
        }
        c->fd = fd;
        c->id = next_conn_id++;
        struct ucred cred;
        socklen_t clen = sizeof cred;
        if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &clen) == 0)
            c->peer = cred.pid;
        struct epoll_event ev = { .events = EPOLLIN, .data.ptr = c };
        epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev);
        c->next = conns;
        conns = c;
        nconns++;
    }
}

static void hello(struct conn *c, const struct xsim_req *req)
{
    int kind = (int)req->a;
    if (kind < XSIM_K_EVTCHN || kind > XSIM_K_XC || req->b > XSIM_MAX_DOMID) {
        reply_err(c, EINVAL);
        kill_conn(c);
        return;
    }
    if (kind == XSIM_K_XS_WATCH) {
        struct conn *p = find_conn(req->d);
        if (!p || p->kind != XSIM_K_XS || p->partner || p->domid != req->b) {
            reply_err(c, EINVAL);
            kill_conn(c);
            return;
        }
        p->partner = c;
        c->partner = p;
    }
    c->kind = kind;
    c->domid = req->b;
    c->pid = (pid_t)req->c;
    c->counted = true;
    struct domain *d = &domains[c->domid];
    if (d->conns++ == 0 && c->domid != 0 && !d->created) {
        /* An implicit arrival. After a destroy it is a new domain: older
         * permission entries for its id stay void (XSA-322). */
        if (d->gen == DOMAIN_GONE)
            d->gen = store_new_generation();
        store_domain_introduced(c->domid);
    }
    reply(c, (int32_t)c->id, NULL, 0, NULL, 0);
}

static void stats(struct conn *c)
{
    uint32_t with_conns = 0;
    for (uint32_t d = 0; d <= XSIM_MAX_DOMID; d++)
        with_conns += domains[d].conns > 0;
    struct xsim_stats_wire w = {
        .connections = nconns, .ports = ports_count(), .grants = grants_count(),
        .mappings = mappings_count(), .watches = watches_count(),
        .transactions = transactions_count(), .domains = with_conns,
    };
    reply(c, 0, &w, sizeof w, NULL, 0);
}

static void dominfo(struct conn *c, uint32_t first)
{
    for (uint32_t d = first; d <= XSIM_MAX_DOMID; d++) {
        if (domain_live(d)) {
            reply(c, (int32_t)d, NULL, 0, NULL, 0);
            return;
        }
    }
    reply_err(c, ESRCH);
}

/* ---- the toolstack (xensim.h: xensim_domain_create, xensim_domain_destroy) ---- */

static void release(struct conn *c)
{
    ports_conn_closed(c);
    grants_conn_closed(c);
    store_conn_closed(c);
}

/* Like xl create: the domain exists from now until destroyed, processes or not. */
static int domain_create(struct conn *c, uint32_t domid)
{
    if (c->domid != 0)
        return -EPERM;
    if (domid == 0 || domid > XSIM_MAX_DOMID)
        return -EINVAL;
    if (domain_live(domid))
        return -EEXIST;
    struct domain *d = &domains[domid];
    d->created = true;
    d->gen = store_new_generation();
    store_domain_created(domid);
    dlog("domain %u created (generation %llu)", domid, (unsigned long long)d->gen);
    return 0;
}

/* Whether a process still has a connection as some domain: then it is not
 * only the destroyed domain's (one process holding both ends, say). */
static bool pid_has_conns(pid_t pid)
{
    for (struct conn *k = conns; k; k = k->next)
        if (k->counted && !dead(k) && k->peer == pid)
            return true;
    return false;
}

/*
 * Like xl destroy: the domain's grants, mappings and event-channel ends go
 * at once, with no unmap notification and no event to anyone; every
 * connection it had is dropped, and a process that had only its
 * connections (one that runs in it) is killed. Then its home goes from the
 * store and @releaseDomain fires.
 */
static int domain_destroy(struct conn *c, uint32_t domid)
{
    if (c->domid != 0)
        return -EPERM;
    if (domid == 0 || domid > XSIM_MAX_DOMID)
        return -EINVAL;
    if (!domain_live(domid))
        return -ESRCH;
    for (struct conn *k = conns; k; k = k->next) {
        if (!k->counted || k->domid != domid)
            continue;
        k->destroyed = true;
        release(k);
        kill_conn(k);
        k->counted = false;
        domains[domid].conns--;
    }
    /* (A process with several connections is sent SIGKILL once for each.) */
    for (struct conn *k = conns; k; k = k->next) {
        pid_t pid = k->peer;
        if (!k->destroyed || k->domid != domid || pid <= 1 || pid == getpid() ||
            pid == c->peer || pid_has_conns(pid))
            continue;
        dlog("domain %u destroyed: killing its process %d", domid, (int)pid);
        kill(pid, SIGKILL);
    }
    domains[domid].created = false;
    domains[domid].gen = DOMAIN_GONE;
    store_domain_destroyed(domid);
    dlog("domain %u destroyed", domid);
    return 0;
}

/* What the toolstack knows of a domain (xensim.h's XENSIM_DOMAIN_*). */
static void domain_state(struct conn *c, uint32_t domid)
{
    if (domid > XSIM_MAX_DOMID)
        reply_err(c, EINVAL);
    else if (domains[domid].created)
        reply(c, 1, NULL, 0, NULL, 0);
    else
        reply(c, domains[domid].gen == DOMAIN_GONE ? 2 : 0, NULL, 0, NULL, 0);
}

/* The toolstack's domains outlive the daemon, as the tree does: "created N"
 * or "gone N", a line each. */
static void domains_save(void)
{
    char tmp[PATH_MAX + 8];
    snprintf(tmp, sizeof tmp, "%s.tmp", domains_path);
    FILE *f = fopen(tmp, "w");
    if (!f) {
        dlog("cannot save the domains to %s", tmp);
        return;
    }
    for (uint32_t d = 1; d <= XSIM_MAX_DOMID; d++) {
        if (domains[d].created)
            fprintf(f, "created %u\n", d);
        else if (domains[d].gen == DOMAIN_GONE)
            fprintf(f, "gone %u\n", d);
    }
    if (fclose(f) == 0)
        rename(tmp, domains_path);
}

/* A created domain loaded here has been there since this daemon started
 * (generation 0): the saved tree carries the entries XSA-322 made void. A
 * gone one stays gone. */
static void domains_load(void)
{
    FILE *f = fopen(domains_path, "r");
    if (!f)
        return;
    char what[8];
    unsigned int d;
    while (fscanf(f, "%7s %u", what, &d) == 2) {
        if (d < 1 || d > XSIM_MAX_DOMID)
            continue;
        if (strcmp(what, "created") == 0)
            domains[d].created = true;
        else if (strcmp(what, "gone") == 0)
            domains[d].gen = DOMAIN_GONE;
    }
    fclose(f);
}

static void dispatch(struct conn *c, const char *buf, size_t n)
{
    struct xsim_req req;
    if (n < sizeof req) {
        kill_conn(c);
        return;
    }
    memcpy(&req, buf, sizeof req);
    const char *payload = buf + sizeof req;
    size_t len = n - sizeof req;
    if (req.len != len) {
        kill_conn(c);
        return;
    }
    if (c->kind == 0) {
        if (req.op == XSIM_HELLO)
            hello(c, &req);
        else
            kill_conn(c);
        return;
    }
    switch (c->kind) {
    case XSIM_K_XS_WATCH:
        return; /* nothing is asked on a watch connection */
    }
    if (req.op == XSIM_STATS)
        stats(c);
    else if (req.op == XSIM_DOMAIN_STATE)
        domain_state(c, req.a);
    else if (req.op == XSIM_DOMAIN_CREATE || req.op == XSIM_DOMAIN_DESTROY) {
        int rc = req.op == XSIM_DOMAIN_CREATE ? domain_create(c, req.a) : domain_destroy(c, req.a);
        rc < 0 ? reply_err(c, -rc) : reply(c, 0, NULL, 0, NULL, 0);
    } else if (req.op == XSIM_DOMINFO)
        dominfo(c, req.a);
    else if (c->kind == XSIM_K_EVTCHN)
        ports_handle(c, &req);
    else if (c->kind == XSIM_K_GNTTAB || c->kind == XSIM_K_GNTSHR)
        grants_handle(c, &req, payload, len);
    else if (c->kind == XSIM_K_XS)
        store_handle(c, &req, payload, len);
    else
        reply_err(c, ENOSYS);
}

static void read_conn(struct conn *c)
{
    static char buf[XSIM_MAX_MSG];
    while (!dead(c)) {
        ssize_t n = recv(c->fd, buf, sizeof buf, MSG_DONTWAIT);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && errno == EAGAIN)
            return;
        if (n <= 0) {
            kill_conn(c);
            return;
        }
        dispatch(c, buf, (size_t)n);
    }
}

/* Releases what a closed connection held; runs between event batches. */
static void reap(void)
{
    for (struct conn **pp = &conns; *pp;) {
        struct conn *c = *pp;
        if (!dead(c)) {
            pp = &c->next;
            continue;
        }
        *pp = c->next;
        int kind = -c->kind;
        c->kind = kind; /* the tables look at the kind */
        release(c);
        if (c->partner)
            c->partner->partner = NULL;
        /* An implicit domain dies with its last connection; a created one stays. */
        if (c->counted && --domains[c->domid].conns == 0 && c->domid != 0 &&
            !domains[c->domid].created)
            store_domain_released(c->domid);
        epoll_ctl(epfd, EPOLL_CTL_DEL, c->fd, NULL);
        close(c->fd);
        while (c->out_head) {
            struct outmsg *m = c->out_head;
            c->out_head = m->next;
            free(m);
        }
        free(c);
        nconns--;
    }
}

/* ---- start and stop ---- */

static int linger_ms(void)
{
    const char *s = getenv("XENSIM_LINGER_MS");
    int v = s ? atoi(s) : 3000;
    return v > 0 ? v : 3000;
}

static void serve(void)
{
    struct epoll_event evs[64];
    for (;;) {
        int timeout = nconns == 0 ? linger_ms() : -1;
        int n = epoll_wait(epfd, evs, 64, timeout);
        if (n < 0 && errno == EINTR)
            continue;
        if (n == 0 && nconns == 0) {
            accept_conn(); /* one that arrived at the last moment keeps us */
            if (nconns == 0)
                return;
        }
        for (int i = 0; i < n; i++) {
            if (evs[i].data.ptr == NULL) {
                accept_conn();
                continue;
            }
            struct conn *c = evs[i].data.ptr;
            if (dead(c))
                continue;
            if (evs[i].events & EPOLLOUT)
                flush_out(c);
            if (evs[i].events & (EPOLLIN | EPOLLHUP | EPOLLERR))
                read_conn(c);
        }
        /* One-way sends may have marked connections dead in passing. */
        reap();
    }
}

static int take_lock(const char *dir, int given)
{
    if (given >= 0)
        return given; /* the spawner locked it for us */
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/xensimd.lock", dir);
    int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0 || flock(fd, LOCK_EX | LOCK_NB) < 0)
        return -1;
    return fd;
}

static int listen_on(const char *dir)
{
    snprintf(sock_path, sizeof sock_path, "%s/xensimd.sock", dir);
    int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    struct sockaddr_un addr = { .sun_family = AF_UNIX };
    if (strlen(sock_path) >= sizeof addr.sun_path) {
        errno = ENAMETOOLONG;
        return -1;
    }
    strcpy(addr.sun_path, sock_path);
    unlink(sock_path); /* we hold the lock: whatever is there is stale */
    if (bind(fd, (struct sockaddr *)&addr, sizeof addr) < 0 || listen(fd, 128) < 0)
        return -1;
    return fd;
}

int main(int argc, char **argv)
{
    const char *dir = NULL;
    int lock_fd = -1;
    bool foreground = false;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--dir") && i + 1 < argc)
            dir = argv[++i];
        else if (!strcmp(argv[i], "--lock-fd") && i + 1 < argc)
            lock_fd = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--foreground"))
            foreground = true;
        else {
            fprintf(stderr, "usage: xensimd --dir STATE_DIR [--lock-fd FD] [--foreground]\n");
            return 2;
        }
    }
    if (!dir) {
        fprintf(stderr, "xensimd: --dir is required\n");
        return 2;
    }
    if (!foreground) {
        /* Leave the caller's process group and let it return at once. */
        pid_t pid = fork();
        if (pid < 0)
            return 1;
        if (pid > 0)
            _exit(0);
        setsid();
    }
    /* Keep only stdio (on /dev/null) and the lock: an inherited pipe would
     * keep some caller waiting for end-of-file. */
    close_range(lock_fd >= 0 ? (unsigned)lock_fd + 1 : 3, ~0U, 0);
    lock_fd = take_lock(dir, lock_fd);
    if (lock_fd < 0) {
        fprintf(stderr, "xensimd: another daemon serves %s\n", dir);
        return 1;
    }
    signal(SIGPIPE, SIG_IGN);
    /* Every bound port end holds an eventfd here: a thousand channels need
     * more than the usual soft limit of 1024 descriptors. */
    struct rlimit files;
    if (getrlimit(RLIMIT_NOFILE, &files) == 0 && files.rlim_cur < files.rlim_max) {
        files.rlim_cur = files.rlim_max;
        setrlimit(RLIMIT_NOFILE, &files);
    }
    char log_path[PATH_MAX];
    snprintf(log_path, sizeof log_path, "%s/xensimd.log", dir);
    log_file = fopen(log_path, "a");
    snprintf(domains_path, sizeof domains_path, "%s/domains", dir);
    domains_load();
    store_init(dir);
    listen_fd = listen_on(dir);
    epfd = epoll_create1(EPOLL_CLOEXEC);
    if (listen_fd < 0 || epfd < 0) {
        dlog("cannot listen on %s: %s", sock_path, strerror(errno));
        return 1;
    }
    struct epoll_event ev = { .events = EPOLLIN, .data.ptr = NULL };
    epoll_ctl(epfd, EPOLL_CTL_ADD, listen_fd, &ev);
    serve();
    /* Stop answering, keep the tree for the next daemon, then drop the lock. */
    close(listen_fd);
    unlink(sock_path);
    store_save();
    domains_save();
    close(lock_fd);
    return 0;
}
