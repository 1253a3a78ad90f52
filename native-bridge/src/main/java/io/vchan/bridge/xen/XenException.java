package io.vchan.bridge.xen;

import java.io.IOException;

/** A call into a Xen library (or its simulation) failed; {@link #errno()} says why. */
public class XenException extends IOException {

    private final String call;
    private final int errno;

    public XenException(String call, int errno, String detail) {
        super(call + " failed: " + Errno.describe(errno) + (detail == null ? "" : " (" + detail + ")"));
        this.call = call;
        this.errno = errno;
    }

    /** The library function that failed, e.g. {@code xengnttab_map_domain_grant_refs}. */
    public String call() {
        return call;
    }

    /** The errno it reported. */
    public int errno() {
        return errno;
    }
}
