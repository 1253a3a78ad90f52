/* The library side of a connection to xensimd: see client.h. */
#define _GNU_SOURCE
#include "client.h"

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

#define CONNECT_DEADLINE_MS 5000

int xsim_self_domid(void)
{
    const char *s = getenv("XENSIM_DOMID");
    if (!s || !*s)
        return 0;
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || *end || v < 0 || v > XSIM_MAX_DOMID)
        return -1;
    return (int)v;
}

static int state_dir(char *buf, size_t size)
{
    const char *d = getenv("XENSIM_DIR");
    int n = (d && *d) ? snprintf(buf, size, "%s", d)
                      : snprintf(buf, size, "/dev/shm/xensim-%u", (unsigned)getuid());
    if (n < 0 || (size_t)n >= size) {
        errno = ENAMETOOLONG;
        return -1;
    }
    if (mkdir(buf, 0700) < 0 && errno != EEXIST)
        return -1;
    return 0;
}

/* xensimd lives beside this library unless XENSIM_DAEMON says otherwise. */
static int daemon_path(char *buf, size_t size)
{
    const char *d = getenv("XENSIM_DAEMON");
    if (d && *d) {
        snprintf(buf, size, "%s", d);
        return 0;
    }
    Dl_info info;
    if (!dladdr((void *)daemon_path, &info) || !info.dli_fname)
        return -1;
    const char *slash = strrchr(info.dli_fname, '/');
    int dirlen = slash ? (int)(slash - info.dli_fname) : 1;
    const char *dir = slash ? info.dli_fname : ".";
    int n = snprintf(buf, size, "%.*s/xensimd", dirlen, dir);
    return (n < 0 || (size_t)n >= size) ? -1 : 0;
}

static long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

static void pause_ms(int ms)
{
    struct timespec ts = { 0, ms * 1000000L };
    nanosleep(&ts, NULL);
}

/*
 * Starts xensimd holding the host's lock (passed as fd 3). The daemon forks
 * itself away, so the child we wait for exits at once and nothing is left
 * for the caller (a JVM, say) to reap.
 */
static int spawn_daemon(const char *dir, int lock_fd)
{
    char exe[PATH_MAX];
    if (daemon_path(exe, sizeof exe) < 0) {
        errno = ENOENT;
        return -1;
    }
    int high = fcntl(lock_fd, F_DUPFD_CLOEXEC, 10);
    if (high < 0)
        return -1;
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
    posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
    posix_spawn_file_actions_adddup2(&fa, high, 3);
    char *argv[] = { "xensimd", "--dir", (char *)dir, "--lock-fd", "3", NULL };
    pid_t pid;
    int rc = posix_spawn(&pid, exe, &fa, NULL, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    close(high);
    if (rc != 0) {
        errno = rc;
        return -1;
    }
    int status;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
    return 0;
}

static int try_connect(const char *sock_path)
{
    int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    struct sockaddr_un addr = { .sun_family = AF_UNIX };
    snprintf(addr.sun_path, sizeof addr.sun_path, "%s", sock_path);
    if (connect(fd, (struct sockaddr *)&addr, sizeof addr) < 0) {
        int e = errno;
        close(fd);
        errno = e;
        return -1;
    }
    return fd;
}

/* Connects to the host's daemon, starting it if nobody holds the lock. */
static int connect_daemon(void)
{
    char dir[PATH_MAX - 32], sock_path[PATH_MAX], lock_path[PATH_MAX];
    if (state_dir(dir, sizeof dir) < 0)
        return -1;
    snprintf(sock_path, sizeof sock_path, "%s/xensimd.sock", dir);
    snprintf(lock_path, sizeof lock_path, "%s/xensimd.lock", dir);
    if (strlen(sock_path) >= sizeof(((struct sockaddr_un *)0)->sun_path)) {
        errno = ENAMETOOLONG;
        return -1;
    }
    long deadline = now_ms() + CONNECT_DEADLINE_MS;
    int wait = 1;
    for (;;) {
        int fd = try_connect(sock_path);
        if (fd >= 0)
            return fd;
        if (errno != ECONNREFUSED && errno != ENOENT && errno != EAGAIN)
            return -1;
        int lock_fd = open(lock_path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
        if (lock_fd < 0)
            return -1;
        if (flock(lock_fd, LOCK_EX | LOCK_NB) == 0) {
            /* Nobody serves this host: what is there is stale. */
            unlink(sock_path);
            int rc = spawn_daemon(dir, lock_fd);
            int e = errno;
            close(lock_fd);
            if (rc < 0) {
                errno = e;
                return -1;
            }
        } else {
            close(lock_fd); /* a daemon is starting or stopping */
        }
        if (now_ms() > deadline) {
            errno = ECONNREFUSED;
            return -1;
        }
        pause_ms(wait);
        if (wait < 20)
            wait *= 2;
    }
}

int xsim_open(struct xsim_conn *c, int kind, uint32_t domid, uint32_t partner)
{
    if (domid > XSIM_MAX_DOMID) {
        errno = EINVAL;
        return -1;
    }
    for (int attempt = 0; attempt < 3; attempt++) {
        c->fd = connect_daemon();
        if (c->fd < 0)
            return -1;
        c->domid = domid;
        pthread_mutex_init(&c->lock, NULL);
        struct xsim_req hello = { .op = XSIM_HELLO, .a = kind, .b = domid,
                                  .c = (uint32_t)getpid(), .d = partner };
        int id = xsim_call(c, &hello, NULL, NULL, NULL, NULL, 0, NULL);
        if (id >= 0) {
            c->id = (uint32_t)id;
            return 0;
        }
        int e = errno;
        xsim_close(c);
        errno = e;
        /* A daemon that was stopping as we connected: try once more. */
        if (e != ECONNRESET && e != EPIPE && e != EIO)
            return -1;
    }
    return -1;
}

void xsim_close(struct xsim_conn *c)
{
    if (c->fd >= 0) {
        close(c->fd);
        c->fd = -1;
        pthread_mutex_destroy(&c->lock);
    }
}

int xsim_send(int fd, uint32_t op, uint32_t a)
{
    struct xsim_req m = { .op = op, .a = a };
    ssize_t n;
    while ((n = send(fd, &m, sizeof m, MSG_NOSIGNAL)) < 0 && errno == EINTR)
        ;
    return n == (ssize_t)sizeof m ? 0 : -1;
}

static int send_request(int fd, const struct xsim_req *req, const void *payload)
{
    struct iovec iov[2] = {
        { (void *)req, sizeof *req },
        { (void *)payload, req->len },
    };
    struct msghdr mh = { .msg_iov = iov, .msg_iovlen = req->len ? 2 : 1 };
    ssize_t n;
    while ((n = sendmsg(fd, &mh, MSG_NOSIGNAL)) < 0 && errno == EINTR)
        ;
    if (n < 0)
        return -1;
    return 0;
}

static int recv_reply(int fd, struct xsim_rsp *rsp, void **out, size_t *out_len,
                      int *fds, int max_fds, int *nfds)
{
    char *buf = malloc(XSIM_MAX_MSG);
    if (!buf)
        return -1;
    union {
        char space[CMSG_SPACE(sizeof(int) * XSIM_MAX_FDS)];
        struct cmsghdr align;
    } ctl;
    struct iovec iov = { buf, XSIM_MAX_MSG };
    struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1,
                         .msg_control = ctl.space, .msg_controllen = sizeof ctl.space };
    ssize_t n;
    while ((n = recvmsg(fd, &mh, MSG_CMSG_CLOEXEC)) < 0 && errno == EINTR)
        ;
    if (n <= 0) {
        free(buf);
        errno = n == 0 ? ECONNRESET : errno;
        return -1;
    }
    int got = 0;
    for (struct cmsghdr *cm = CMSG_FIRSTHDR(&mh); cm; cm = CMSG_NXTHDR(&mh, cm)) {
        if (cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SCM_RIGHTS) {
            int count = (int)((cm->cmsg_len - CMSG_LEN(0)) / sizeof(int));
            int *in = (int *)CMSG_DATA(cm);
            for (int i = 0; i < count; i++) {
                if (got < max_fds)
                    fds[got++] = in[i];
                else
                    close(in[i]);
            }
        }
    }
    if (nfds)
        *nfds = got;
    if ((size_t)n < sizeof *rsp) {
        free(buf);
        errno = EIO;
        return -1;
    }
    memcpy(rsp, buf, sizeof *rsp);
    size_t len = (size_t)n - sizeof *rsp;
    if (out) {
        if (len) {
            memmove(buf, buf + sizeof *rsp, len);
            *out = buf;
            buf = NULL;
        } else {
            *out = NULL;
        }
        *out_len = len;
    }
    free(buf);
    return 0;
}

int xsim_call(struct xsim_conn *c, const struct xsim_req *req, const void *payload,
              void **out, size_t *out_len, int *fds, int max_fds, int *nfds)
{
    if (out)
        *out = NULL;
    if (nfds)
        *nfds = 0;
    if (sizeof *req + req->len > XSIM_MAX_MSG) {
        errno = E2BIG;
        return -1;
    }
    struct xsim_rsp rsp;
    pthread_mutex_lock(&c->lock);
    int rc = send_request(c->fd, req, payload);
    if (rc == 0)
        rc = recv_reply(c->fd, &rsp, out, out_len, fds, max_fds, nfds);
    pthread_mutex_unlock(&c->lock);
    if (rc < 0) {
        if (errno == EPIPE || errno == ECONNRESET)
            errno = EIO; /* the daemon went away */
        return -1;
    }
    if (rsp.ret < 0) {
        if (out) {
            free(*out);
            *out = NULL;
        }
        errno = -rsp.ret;
        return -1;
    }
    return rsp.ret;
}
