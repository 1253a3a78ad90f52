/*
 * The wire protocol between the xensim libraries and xensimd.
 *
 * Every handle is a SOCK_SEQPACKET connection; one message is one request or
 * one reply, so no framing is needed. The first message on a connection is
 * HELLO. Requests are answered in order with a reply header.
 *
 * Event-channel notifications do not pass through the daemon: each bound
 * port end has an eventfd (handed over at bind), a notifier writes its far
 * end's eventfd directly, and masking is the receiver's own (see evtchn.c).
 * The daemon binds, unbinds, says who the far end is, and signals the ends
 * whose owner died (unmap notifications).
 */
#ifndef XENSIM_PROTO_H
#define XENSIM_PROTO_H

#include <stdint.h>

#define XSIM_MAGIC 0x5853494d /* "XSIM" */
#define XSIM_VERSION 1
#define XSIM_PAGE 4096
#define XSIM_MAX_DOMID 32751 /* DOMID_FIRST_RESERVED - 1 */
#define XSIM_MAX_MSG (64 * 1024)
#define XSIM_MAX_FDS 250 /* below the kernel's SCM_MAX_FD */
#define XSIM_MAX_MAP_PAGES 4096

/* What a connection is, said in HELLO. */
enum xsim_kind {
    XSIM_K_EVTCHN = 1,   /* event channels (bind, unbind, far ends) */
    XSIM_K_GNTTAB,       /* grant mapping */
    XSIM_K_GNTSHR,       /* grant sharing */
    XSIM_K_XS,           /* XenStore requests */
    XSIM_K_XS_WATCH,     /* XenStore watch events; partner = the XS conn */
    XSIM_K_XC,           /* the xenctrl stand-in */
};

enum xsim_op {
    XSIM_HELLO = 1,      /* a=kind b=domid c=pid d=partner conn id */

    /* K_EVTCHN */
    XSIM_EV_SHARED,          /* -> 1 fd: the handle's page, struct xsim_ev_shared */
    XSIM_EV_BIND_UNBOUND,    /* a=remote domid -> ret=port, 1 fd: its eventfd */
    XSIM_EV_BIND_INTERDOMAIN,/* a=remote domid b=remote port -> ret=port, 1 fd: its eventfd */
    XSIM_EV_UNBIND,          /* a=port */
    XSIM_EV_FAR_END,         /* a=port -> 1 fd: the far end's eventfd, or none if unbound */

    /* K_GNTSHR */
    XSIM_GS_SHARE,       /* a=domid b=count c=writable d=notify offset e=notify port
                            -> ret=share id, payload u32 refs[count], 1 fd */
    XSIM_GS_UNSHARE,     /* a=share id */
    /* K_GNTTAB */
    XSIM_GT_MAP,         /* b=count c=prot d=notify offset e=notify port,
                            payload {u32 domid, u32 ref}[count]
                            -> ret=map id, payload {u32 fd index, u32 page}[count], fds */
    XSIM_GT_UNMAP,       /* a=map id */

    /* K_XS: a=transaction id; payload = path NUL [value] */
    XSIM_XS_READ,
    XSIM_XS_WRITE,       /* payload path NUL value(len rest) */
    XSIM_XS_MKDIR,
    XSIM_XS_RM,
    XSIM_XS_DIRECTORY,   /* -> payload names, each NUL-terminated */
    XSIM_XS_GET_PERMS,   /* -> payload {u32 id, u32 perms}[] */
    XSIM_XS_SET_PERMS,   /* payload path NUL {u32 id, u32 perms}[] (aligned after NUL padding) */
    XSIM_XS_TXN_START,   /* -> ret=transaction id */
    XSIM_XS_TXN_END,     /* a=transaction id b=abort */
    XSIM_XS_WATCH,       /* payload path NUL token NUL */
    XSIM_XS_UNWATCH,     /* payload path NUL token NUL */
    /* K_XS_WATCH, one-way from the daemon: payload path NUL token NUL */
    XSIM_XS_EVENT,

    /* any kind */
    XSIM_DOMINFO,        /* a=first domid -> ret=domid of the first live domain >= a, or -ESRCH */
    XSIM_STATS,          /* -> payload struct xsim_stats_wire */
    /* any kind, dom0 only: the sim-only toolstack (xensim.h) */
    XSIM_DOMAIN_CREATE,  /* a=domid */
    XSIM_DOMAIN_DESTROY, /* a=domid */
    /* any kind, anyone */
    XSIM_DOMAIN_STATE,   /* a=domid -> ret=XENSIM_DOMAIN_* (xensim.h) */
};

struct xsim_req {
    uint32_t op;
    uint32_t a, b, c, d, e;
    uint32_t len;            /* payload bytes that follow */
};

struct xsim_rsp {
    int32_t ret;             /* >= 0 success, else -errno */
    uint32_t len;            /* payload bytes that follow */
    uint32_t nfds;           /* fds passed with SCM_RIGHTS */
    uint32_t pad;
};

/*
 * The page one event-channel handle shares with the daemon. The daemon adds
 * to `far_ends` (release) whenever the far end of one of the handle's ports
 * changes (bound, closed, its owner gone) and when the handle's connection
 * ends; the library reads it (acquire) before each notify and asks again for
 * the far end when it moved on.
 */
struct xsim_ev_shared {
    uint32_t far_ends;
};

struct xsim_stats_wire {
    uint32_t connections;
    uint32_t ports;
    uint32_t grants;
    uint32_t mappings;
    uint32_t watches;
    uint32_t transactions;
    uint32_t domains;
    uint32_t pad;
};

#endif
