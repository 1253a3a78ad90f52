/*
 * The daemon's memory for other processes: memfds sealed at their size.
 *
 * Xen's pages cannot be cut short under a mapping. A memfd can, by anyone
 * who holds its fd or reopens it through /proc: the next access of every
 * other process that maps it would then raise SIGBUS, a crash real Xen
 * would never cause. So each memfd is sealed once sized: no shrinking, no
 * growing, and no further seals (a sealed-for-writing page would stop its
 * owner, which Xen does not do either).
 */
#define _GNU_SOURCE
#include "daemon.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/mman.h>
#include <unistd.h>

int sealed_memfd(const char *name, size_t size)
{
    int fd = memfd_create(name, MFD_CLOEXEC | MFD_ALLOW_SEALING);
    if (fd < 0)
        return -1;
    if (ftruncate(fd, (off_t)size) < 0
            || fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL) < 0) {
        int e = errno;
        close(fd);
        errno = e;
        return -1;
    }
    return fd;
}

int reopen_read_only(int fd)
{
    char path[64];
    snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
    return open(path, O_RDONLY | O_CLOEXEC);
}
