/*
 * Sim-only entry points of xensim, beside Xen's own API.
 *
 * Xen decides a handle's domain by where the process runs; xensim reads
 * XENSIM_DOMID. These variants open a handle as a chosen domain, so one
 * process (a test, a JVM) can hold both ends of a channel.
 */
#ifndef XENSIM_H
#define XENSIM_H

#include <stdint.h>

struct xentoollog_logger;
typedef struct xenevtchn_handle xenevtchn_handle;
typedef struct xengntdev_handle xengnttab_handle;
typedef struct xengntdev_handle xengntshr_handle;
struct xs_handle;

xenevtchn_handle *xensim_evtchn_open_as(struct xentoollog_logger *logger,
                                        unsigned int flags, uint32_t domid);
xengnttab_handle *xensim_gnttab_open_as(struct xentoollog_logger *logger,
                                        unsigned int flags, uint32_t domid);
xengntshr_handle *xensim_gntshr_open_as(struct xentoollog_logger *logger,
                                        unsigned int flags, uint32_t domid);
struct xs_handle *xensim_xs_open_as(unsigned long flags, uint32_t domid);

/*
 * A toolstack (xl create / xl destroy), for dom0 only. A domain nobody
 * created is implicit: it arrives with its first process's handle and dies
 * with its last, and counts as having existed since the host started.
 *
 * xensim_domain_create: domain domid exists from now until destroyed
 * (processes or not); its /local/domain/<domid> is made afresh and
 * @introduceDomain fires. XenStore permission entries naming it on nodes
 * last written before now do not count (XSA-322): it gets perms[0]'s
 * access there until their permissions are set again. EEXIST if it exists
 * (created, or with a process); EINVAL for dom0 or an id > 32751; EPERM if
 * the caller is not dom0.
 *
 * xensim_domain_destroy: as Xen destroys a domain. Its grants, mappings and
 * event-channel ends go without unmap notifications and without events to
 * the other ends; its connections are dropped (its handles in a process
 * that is also another domain fail with EIO) and a process that is only
 * this domain is killed (SIGKILL); /local/domain/<domid> is removed and
 * @releaseDomain fires. Entries naming it stay void for any later domain
 * of that id. ESRCH if it does not exist; EINVAL, EPERM as above.
 *
 * Both return 0, or -1 with errno. The command `xensim-xl create|destroy N`
 * beside xensimd calls them.
 */
int xensim_domain_create(uint32_t domid);
int xensim_domain_destroy(uint32_t domid);

/* What the toolstack knows of a domain, for anyone to ask; -1 with errno
 * (EINVAL for an id > 32751). XenStore cannot tell IMPLICIT from GONE: the
 * home of an implicit domain with no process yet is missing too. */
#define XENSIM_DOMAIN_IMPLICIT 0 /* never created: there since the host started */
#define XENSIM_DOMAIN_CREATED 1  /* created, not destroyed since */
#define XENSIM_DOMAIN_GONE 2     /* destroyed; a permission entry for it would not count */
int xensim_domain_state(uint32_t domid);

/* What the simulated host holds right now: for leak checks in tests. */
struct xensim_stats {
    uint32_t connections;   /* open handles' connections, all processes */
    uint32_t ports;         /* event-channel ports in use */
    uint32_t grants;        /* shared grant refs */
    uint32_t mappings;      /* live xengnttab mappings */
    uint32_t watches;       /* XenStore watches */
    uint32_t transactions;  /* open XenStore transactions */
    uint32_t domains;       /* domains with at least one process */
};

/* Fills *out; 0 on success, -1 with errno. Counts include the caller's
 * own short-lived connection for this query. */
int xensim_stats(struct xensim_stats *out);

#endif
