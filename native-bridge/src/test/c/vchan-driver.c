/*
 * vchan-driver: Debian's unmodified libxenvchan as a test peer.
 *
 * Serves or connects, sends seeded pseudo-random bytes while receiving, and
 * prints what it saw as lines the tests parse (the same lines as the Java
 * driver, io.vchan.bridge.interop.JavaVchanDriver):
 *   listening (server) | orders left=L right=R | ready | sent N sha256=H | received N sha256=H |
 *   elapsed_ms=T | peer-closed
 *
 *   vchan-driver server|client --peer DOMID --path XSPATH [--read-size N]
 *       [--write-size N] [--send BYTES] [--expect BYTES] [--seed S]
 *       [--chunk N] [--wait-close] [--timeout-ms N] [--no-verify] [--progress N]
 *
 * --no-verify sends the same buffer over and over and hashes nothing: for
 * throughput figures, where generating and hashing would be what is measured.
 * --progress N prints "progress M" once M >= N bytes have been received.
 * --warmup N (for vchan bench) also prints "window bytes=B ns=T": the bytes
 * received after the first N and the time from crossing N to the last byte;
 * and "cpu ns=C": this process's CPU time (user + sys) from the moment either
 * direction crossed N to the end of the transfer.
 * --echo (server) writes back whatever it reads until the peer closes;
 * --pingpong N --size S (client) then does W (--pingpong-warmup) + N round
 * trips of S bytes and prints "rtt_ns count=N p50=.. p99=.. p999=.. max=..".
 *
 * One thread, non-blocking libxenvchan calls, libxenvchan_wait when neither
 * direction moved: the way libxenvchan's own tools drive it.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <poll.h>
#include <libxenvchan.h>

#include "sha256.h"

struct options {
    int server;
    int peer;
    const char *path;
    int read_size, write_size, chunk;
    uint64_t send, expect, seed;
    int wait_close;
    int no_verify;
    uint64_t progress;
    long timeout_ms;
    uint64_t warmup;
    int echo, size;
    long pingpong, pingpong_warmup;
};

static void die(const char *what)
{
    fprintf(stderr, "vchan-driver: %s: %s\n", what, strerror(errno));
    exit(2);
}

static void usage(void)
{
    fprintf(stderr, "usage: vchan-driver server|client --peer DOMID --path XSPATH [--read-size N]"
            " [--write-size N] [--send N] [--expect N] [--seed S] [--chunk N] [--wait-close]"
            " [--timeout-ms N] [--no-verify] [--progress N] [--warmup N]"
            " [--echo | --pingpong N --size S [--pingpong-warmup W]]\n");
    exit(64);
}

static long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

static uint64_t next_random(uint64_t *state)
{
    /* splitmix64: any stream will do, both sides hash what they saw */
    uint64_t z = (*state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static void parse(int argc, char **argv, struct options *o)
{
    if (argc < 2)
        usage();
    memset(o, 0, sizeof *o);
    o->peer = -1;
    o->read_size = o->write_size = o->chunk = 65536;
    o->seed = 1;
    o->timeout_ms = 60000;
    if (!strcmp(argv[1], "server"))
        o->server = 1;
    else if (strcmp(argv[1], "client"))
        usage();
    for (int i = 2; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--wait-close")) {
            o->wait_close = 1;
            continue;
        }
        if (!strcmp(a, "--no-verify")) {
            o->no_verify = 1;
            continue;
        }
        if (!strcmp(a, "--echo")) {
            o->echo = 1;
            continue;
        }
        if (!v)
            usage();
        i++;
        if (!strcmp(a, "--peer")) o->peer = atoi(v);
        else if (!strcmp(a, "--path")) o->path = v;
        else if (!strcmp(a, "--read-size")) o->read_size = atoi(v);
        else if (!strcmp(a, "--write-size")) o->write_size = atoi(v);
        else if (!strcmp(a, "--send")) o->send = strtoull(v, NULL, 10);
        else if (!strcmp(a, "--expect")) o->expect = strtoull(v, NULL, 10);
        else if (!strcmp(a, "--seed")) o->seed = strtoull(v, NULL, 10);
        else if (!strcmp(a, "--chunk")) o->chunk = atoi(v);
        else if (!strcmp(a, "--timeout-ms")) o->timeout_ms = atol(v);
        else if (!strcmp(a, "--progress")) o->progress = strtoull(v, NULL, 10);
        else if (!strcmp(a, "--warmup")) o->warmup = strtoull(v, NULL, 10);
        else if (!strcmp(a, "--size")) o->size = atoi(v);
        else if (!strcmp(a, "--pingpong")) o->pingpong = atol(v);
        else if (!strcmp(a, "--pingpong-warmup")) o->pingpong_warmup = atol(v);
        else usage();
    }
    if (o->peer < 0 || !o->path || o->chunk <= 0 || (o->pingpong && o->size <= 0))
        usage();
}

static struct libxenvchan *open_vchan(const struct options *o)
{
    if (o->server) {
        struct libxenvchan *v = libxenvchan_server_init(NULL, o->peer, o->path,
                                                         o->read_size, o->write_size);
        if (!v)
            die("libxenvchan_server_init");
        return v;
    }
    /* libxenvchan_client_init looks once; the server may not be there yet */
    long deadline = now_ms() + o->timeout_ms;
    for (;;) {
        struct libxenvchan *v = libxenvchan_client_init(NULL, o->peer, o->path);
        if (v)
            return v;
        if (now_ms() > deadline)
            die("libxenvchan_client_init (timed out)");
        usleep(5000);
    }
}

/* Waits for the next event, giving up at the deadline. */
static void wait_event(struct libxenvchan *v, long deadline)
{
    struct pollfd p = { .fd = libxenvchan_fd_for_select(v), .events = POLLIN };
    long left = deadline - now_ms();
    if (left <= 0) {
        fprintf(stderr, "vchan-driver: timed out\n");
        exit(3);
    }
    int n = poll(&p, 1, (int)left);
    if (n < 0 && errno != EINTR)
        die("poll");
    if (n > 0 && libxenvchan_wait(v) < 0)
        die("libxenvchan_wait");
}

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

/* This process's CPU time so far, user + sys, every thread. */
static uint64_t cpu_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

/* Writes all n bytes, waiting as needed; 0 once the peer is gone. */
static int write_all(struct libxenvchan *v, const uint8_t *b, int n, long deadline)
{
    for (int off = 0; off < n; ) {
        int w = libxenvchan_write(v, b + off, n - off);
        if (w < 0)
            return 0;
        off += w;
        if (w == 0)
            wait_event(v, deadline);
    }
    return 1;
}

/* --echo: writes back what it reads until the peer closes. */
static void echo(struct libxenvchan *v, const struct options *o)
{
    uint8_t *b = malloc(o->chunk);
    long deadline = now_ms() + o->timeout_ms;
    for (;;) {
        int n = libxenvchan_read(v, b, o->chunk);
        if (n < 0 || (n == 0 && !libxenvchan_is_open(v) && libxenvchan_data_ready(v) == 0))
            break;
        if (n == 0)
            wait_event(v, deadline);
        else if (!write_all(v, b, n, deadline))
            break;
    }
    free(b);
}

static int compare_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

/* --pingpong: warm-up plus N timed round trips of --size bytes; nearest-rank percentiles. */
static int pingpong(struct libxenvchan *v, const struct options *o)
{
    uint8_t *b = calloc(1, o->size);
    uint64_t *rtt = malloc(sizeof(uint64_t) * o->pingpong);
    long deadline = now_ms() + o->timeout_ms;
    for (long i = 0; i < o->pingpong_warmup + o->pingpong; i++) {
        uint64_t t0 = now_ns();
        if (!write_all(v, b, o->size, deadline))
            return 1;
        for (int got = 0; got < o->size; ) {
            int n = libxenvchan_read(v, b + got, o->size - got);
            if (n < 0)
                return 1;
            got += n;
            if (n == 0)
                wait_event(v, deadline);
        }
        if (i >= o->pingpong_warmup)
            rtt[i - o->pingpong_warmup] = now_ns() - t0;
    }
    long n = o->pingpong;
    qsort(rtt, n, sizeof *rtt, compare_u64);
#define RANK(p) rtt[(long)((p) * n + 0.999999) > 0 ? (long)((p) * n + 0.999999) - 1 : 0]
    printf("rtt_ns count=%ld p50=%" PRIu64 " p99=%" PRIu64 " p999=%" PRIu64 " max=%" PRIu64 "\n",
           n, RANK(0.50), RANK(0.99), RANK(0.999), rtt[n - 1]);
#undef RANK
    free(rtt);
    free(b);
    return 0;
}

static void print_digest(const char *what, uint64_t n, struct sha256 *sha)
{
    uint8_t d[32];
    sha256_final(sha, d);
    printf("%s %" PRIu64 " sha256=", what, n);
    for (int i = 0; i < 32; i++)
        printf("%02x", d[i]);
    printf("\n");
}

int main(int argc, char **argv)
{
    struct options o;
    parse(argc, argv, &o);
    setvbuf(stdout, NULL, _IOLBF, 0);

    struct libxenvchan *v = open_vchan(&o);
    v->blocking = 0;
    if (o.server)
        printf("listening\n");
    long deadline = now_ms() + o.timeout_ms;
    if (o.server) {
        /* libxenvchan's server is connected once the client set cli_live */
        while (libxenvchan_is_open(v) == 2)
            wait_event(v, deadline);
    }
    /* the server reads the left ring, the client the right one */
    struct libxenvchan_ring *left = o.server ? &v->read : &v->write;
    struct libxenvchan_ring *right = o.server ? &v->write : &v->read;
    printf("orders left=%d right=%d\n", left->order, right->order);
    printf("ready\n");
    if (o.echo || o.pingpong) {
        int failed = o.echo ? (echo(v, &o), 0) : pingpong(v, &o);
        libxenvchan_close(v);
        return failed;
    }

    uint8_t *out = malloc(o.chunk), *in = malloc(o.chunk);
    if (!out || !in)
        die("malloc");
    struct sha256 sent_sha, got_sha;
    sha256_init(&sent_sha);
    sha256_init(&got_sha);
    uint64_t random_state = o.seed, sent = 0, got = 0;
    int out_len = 0, out_off = 0;
    long start = now_ms();
    uint64_t window_start = 0, window_last = 0, window_base = 0, cpu_start = 0;
    int window_open = 0, cpu_open = 0;

    while (sent < o.send || got < o.expect) {
        int moved = 0;
        if (sent < o.send) {
            if (out_off == out_len) {
                out_len = (int)(o.send - sent < (uint64_t)o.chunk ? o.send - sent : (uint64_t)o.chunk);
                if (!o.no_verify) {
                    for (int i = 0; i < out_len; i += 8) {
                        uint64_t r = next_random(&random_state);
                        memcpy(out + i, &r, out_len - i < 8 ? out_len - i : 8);
                    }
                    sha256_update(&sent_sha, out, out_len);
                }
                out_off = 0;
            }
            int n = libxenvchan_write(v, out + out_off, out_len - out_off);
            if (n < 0 && !libxenvchan_is_open(v))
                break; /* libxenvchan says -1 once the peer is gone */
            if (n < 0)
                die("libxenvchan_write");
            out_off += n;
            sent += n;
            moved |= n > 0;
            if (!cpu_open && o.warmup && sent >= o.warmup) {
                cpu_open = 1;
                cpu_start = cpu_ns();
            }
        }
        if (got < o.expect) {
            int n = libxenvchan_read(v, in, o.chunk);
            if (n < 0 && !libxenvchan_is_open(v))
                break;
            if (n < 0)
                die("libxenvchan_read");
            if (!o.no_verify)
                sha256_update(&got_sha, in, n);
            if (o.progress && got < o.progress && got + n >= o.progress)
                printf("progress %" PRIu64 "\n", got + n);
            got += n;
            moved |= n > 0;
            if (n > 0) {
                window_last = now_ns();
                if (!window_open && got >= o.warmup) {
                    window_open = 1;
                    window_start = window_last;
                    window_base = got;
                }
                if (!cpu_open && o.warmup && got >= o.warmup) {
                    cpu_open = 1;
                    cpu_start = cpu_ns();
                }
            }
        }
        if (!moved) {
            if (!libxenvchan_is_open(v) && libxenvchan_data_ready(v) == 0)
                break;
            wait_event(v, deadline);
        }
    }
    if (o.send)
        print_digest("sent", sent, &sent_sha);
    print_digest("received", got, &got_sha);
    printf("elapsed_ms=%ld\n", now_ms() - start);
    if (o.warmup && o.expect)
        printf("window bytes=%" PRIu64 " ns=%" PRIu64 "\n", got - window_base, window_last - window_start);
    if (o.warmup)
        printf("cpu ns=%" PRIu64 "\n", cpu_open ? cpu_ns() - cpu_start : 0);

    if (o.wait_close) {
        while (libxenvchan_is_open(v))
            wait_event(v, deadline);
        printf("peer-closed\n");
    }
    free(out);
    free(in);
    libxenvchan_close(v);
    /* 1: the peer closed before everything expected had come */
    return sent == o.send && got >= o.expect ? 0 : 1;
}
