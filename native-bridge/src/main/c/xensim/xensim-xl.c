/*
 * xensim-xl: the sim-only toolstack as a command, for tests that drive a
 * simulated host from outside (xensim.h, xensim_domain_create/destroy).
 *
 *   xensim-xl create N     domain N exists from now until destroyed
 *   xensim-xl destroy N    tear it down as xl destroy does
 *
 * Runs as XENSIM_DOMID (must be dom0) on the host XENSIM_DIR. Exit status 0
 * on success, 1 if the call failed (errno's message on stderr), 2 on bad
 * usage.
 */
#define _GNU_SOURCE
#include "xensim.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int usage(void)
{
    fprintf(stderr, "usage: xensim-xl create|destroy DOMID\n");
    return 2;
}

int main(int argc, char **argv)
{
    if (argc != 3)
        return usage();
    char *end;
    errno = 0;
    unsigned long domid = strtoul(argv[2], &end, 10);
    if (errno || end == argv[2] || *end || argv[2][0] == '-' || domid > UINT32_MAX)
        return usage();
    int rc;
    if (strcmp(argv[1], "create") == 0)
        rc = xensim_domain_create((uint32_t)domid);
    else if (strcmp(argv[1], "destroy") == 0)
        rc = xensim_domain_destroy((uint32_t)domid);
    else
        return usage();
    if (rc < 0) {
        fprintf(stderr, "xensim-xl: %s %lu: %s\n", argv[1], domid, strerror(errno));
        return 1;
    }
    return 0;
}
