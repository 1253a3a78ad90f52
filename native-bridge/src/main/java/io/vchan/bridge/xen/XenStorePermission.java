package io.vchan.bridge.xen;

/**
 * One entry of a XenStore node's permission list. The first entry names the
 * owner and the access of every domain not listed; later ones grant access to
 * one domain each.
 */
public record XenStorePermission(DomainId domain, boolean read, boolean write) {

    public static XenStorePermission owner(DomainId owner, boolean othersRead, boolean othersWrite) {
        return new XenStorePermission(owner, othersRead, othersWrite);
    }

    public static XenStorePermission readOnly(DomainId domain) {
        return new XenStorePermission(domain, true, false);
    }

    /** Xen's bitmask: READ = 1, WRITE = 2. */
    public int bits() {
        return (read ? 1 : 0) | (write ? 2 : 0);
    }
}
