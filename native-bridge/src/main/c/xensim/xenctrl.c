/*
 * A stand-in for libxenctrl.so.4.17 with the three calls vchan-socket-proxy
 * makes in client mode: it asks whether the server's domain still exists.
 * Xen's real libxenctrl needs the hypervisor (xencall); on xensim a domain
 * exists while one of its processes has a handle open, or from its creation
 * by the toolstack to its destroy (dom0 always).
 */
#define _GNU_SOURCE
#include "client.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

typedef struct xc_interface_core {
    struct xsim_conn conn;
} xc_interface;

/* The leading fields of Xen 4.17's xc_dominfo_t; callers pass the full struct. */
struct dominfo_head {
    uint32_t domid;
    uint32_t ssidref;
    unsigned int dying:1, crashed:1, shutdown:1, paused:1, blocked:1, running:1;
};

xc_interface *xc_interface_open(void *logger, void *dombuild_logger, unsigned open_flags)
{
    (void)logger;
    (void)dombuild_logger;
    (void)open_flags;
    int domid = xsim_self_domid();
    if (domid < 0) {
        errno = EINVAL;
        return NULL;
    }
    xc_interface *xch = calloc(1, sizeof *xch);
    if (!xch)
        return NULL;
    if (xsim_open(&xch->conn, XSIM_K_XC, (uint32_t)domid, 0) < 0) {
        free(xch);
        return NULL;
    }
    return xch;
}

int xc_interface_close(xc_interface *xch)
{
    if (!xch)
        return 0;
    xsim_close(&xch->conn);
    free(xch);
    return 0;
}

/*
 * Reports the first live domain from first_domid up. Only one entry: the
 * size of Xen's xc_dominfo_t beyond its head is not ours to assume, and
 * vchan-socket-proxy asks for one.
 */
int xc_domain_getinfo(xc_interface *xch, uint32_t first_domid, unsigned int max_doms,
                      void *info)
{
    if (!xch || !info) {
        errno = EINVAL;
        return -1;
    }
    if (max_doms == 0)
        return 0;
    struct xsim_req req = { .op = XSIM_DOMINFO, .a = first_domid };
    int domid = xsim_call(&xch->conn, &req, NULL, NULL, NULL, NULL, 0, NULL);
    if (domid < 0)
        return errno == ESRCH ? 0 : -1;
    struct dominfo_head *head = info;
    memset(head, 0, sizeof *head);
    head->domid = (uint32_t)domid;
    head->running = 1;
    return 1;
}
