package io.vchan.bridge.jna;

import com.sun.jna.NativeLibrary;
import com.sun.jna.Pointer;

/** Direct-mapped libxengnttab.so.1: mapping ({@code xengnttab_*}) and sharing ({@code xengntshr_*}). */
final class GnttabLib {

    static void register(NativeLibrary lib) {
        com.sun.jna.Native.register(GnttabLib.class, lib);
    }

    private GnttabLib() {
    }

    static native Pointer xengnttab_open(Pointer logger, int flags);

    static native int xengnttab_close(Pointer h);

    static native Pointer xengnttab_map_domain_grant_refs(Pointer h, int count, int domid, int[] refs, int prot);

    static native Pointer xengnttab_map_grant_ref_notify(Pointer h, int domid, int ref, int prot,
            int notifyOffset, int notifyPort);

    static native int xengnttab_unmap(Pointer h, Pointer address, int count);

    static native Pointer xengntshr_open(Pointer logger, int flags);

    static native int xengntshr_close(Pointer h);

    static native Pointer xengntshr_share_pages(Pointer h, int domid, int count, int[] refs, int writable);

    static native Pointer xengntshr_share_page_notify(Pointer h, int domid, int[] ref, int writable,
            int notifyOffset, int notifyPort);

    static native int xengntshr_unshare(Pointer h, Pointer address, int count);
}
