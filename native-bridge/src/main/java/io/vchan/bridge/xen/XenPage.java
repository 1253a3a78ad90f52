package io.vchan.bridge.xen;

/** The unit Xen grants, maps and shares: one page of 4 KiB (x86, where vchan's page layout assumes it). */
public final class XenPage {

    public static final int SIZE = 4096;

    private XenPage() {
    }
}
