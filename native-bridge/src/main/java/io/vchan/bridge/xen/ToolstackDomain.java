package io.vchan.bridge.xen;

/**
 * What a platform's own toolstack says of a domain. Only xensim has one
 * ({@code xensim-xl create N} / {@code destroy N}, see its README); on real
 * Xen and in the JVM every domain is {@link #UNMANAGED}, and real Xen's
 * answer is in XenStore ({@code /local/domain/N}).
 */
public enum ToolstackDomain {
    /** Not the toolstack's: on xensim, an implicit domain, there since the host started. */
    UNMANAGED,
    /** Created, and not destroyed since: only XenStore shows its destruction, as on Xen. */
    CREATED,
    /** Destroyed: permission entries written for it would not count (XSA-322), as for a domain not yet created on Xen. */
    DESTROYED,
}
