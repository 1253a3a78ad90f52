/*
 * xensimd's shared pieces: connections and the hooks of its three tables
 * (ports.c, grants.c, store.c). The daemon is single-threaded: nothing here
 * is locked.
 */
#ifndef XENSIM_DAEMON_H
#define XENSIM_DAEMON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include "proto.h"

struct outmsg;
struct txn;
struct mapping;
struct share;

struct conn {
    int fd;
    uint32_t id;
    int kind;                /* enum xsim_kind, 0 until HELLO */
    uint32_t domid;
    pid_t pid;
    pid_t peer;              /* the connecting process, from SO_PEERCRED (0 if unknown) */
    bool counted;            /* counted in its domain's connections (after HELLO) */
    bool destroyed;          /* its domain was destroyed: released without notifications */
    struct conn *partner;    /* XS <-> XS_WATCH */
    struct outmsg *out_head, *out_tail; /* one-way messages the socket had no room for */
    struct conn *next;

    struct txn *txns;        /* XS: open transactions */
    uint32_t next_txn;
    struct mapping *mappings;/* GNTTAB */
    struct share *shares;    /* GNTSHR */
    struct xsim_ev_shared *ev_shared; /* EVTCHN: its page, once asked for */
};

/* xensimd.c */
void reply(struct conn *c, int32_t ret, const void *payload, size_t len,
           const int *fds, int nfds);
void reply_err(struct conn *c, int err);
/* A one-way message; queued if the peer's socket is full. */
void push(struct conn *c, uint32_t op, uint32_t a, const void *payload, size_t len);
bool domain_live(uint32_t domid);
/*
 * XSA-322: the store generation at which a domain came into being. 0 for a
 * domain the toolstack never touched (implicit: there since the host
 * started), DOMAIN_GONE for one destroyed and not back since.
 */
#define DOMAIN_GONE UINT64_MAX
uint64_t domain_generation(uint32_t domid);
void dlog(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* ports.c: event channels */
struct port;
void ports_handle(struct conn *c, const struct xsim_req *req);
void ports_conn_closed(struct conn *c);
/* For unmap notifications: a counted reference keeps the port bound. */
struct port *port_ref(uint32_t domid, uint32_t num);
void port_send(struct port *p);
void port_unref(struct port *p);
uint32_t ports_count(void);

/* grants.c: grant sharing and mapping */
/* memory.c */
int sealed_memfd(const char *name, size_t size);   /* a memfd of `size` bytes that nobody can resize */
int reopen_read_only(int fd);                      /* the same file, read-only: for read-only mappers */

void grants_handle(struct conn *c, const struct xsim_req *req, const char *payload, size_t len);
void grants_conn_closed(struct conn *c);
uint32_t grants_count(void);
uint32_t mappings_count(void);

/* store.c: XenStore */
void store_init(const char *dir);
void store_save(void);
void store_handle(struct conn *c, const struct xsim_req *req, const char *payload, size_t len);
void store_conn_closed(struct conn *c);
void store_domain_introduced(uint32_t domid);
void store_domain_released(uint32_t domid);
/* The toolstack: a new generation for a domain being created (later than
 * every node written so far), its fresh home, and its removal. */
uint64_t store_new_generation(void);
void store_domain_created(uint32_t domid);
void store_domain_destroyed(uint32_t domid);
uint32_t watches_count(void);
uint32_t transactions_count(void);

#endif
