package io.vchan.bridge.jna;

import com.sun.jna.NativeLibrary;
import com.sun.jna.Pointer;
import com.sun.jna.ptr.IntByReference;

/**
 * Direct-mapped libxenstore.so.4. C {@code bool} results are one byte: they
 * are declared {@code byte} so the upper bits of the register are ignored.
 */
final class XenStoreLib {

    static void register(NativeLibrary lib) {
        com.sun.jna.Native.register(XenStoreLib.class, lib);
    }

    private XenStoreLib() {
    }

    static native Pointer xs_open(long flags);

    static native void xs_close(Pointer h);

    static native Pointer xs_read(Pointer h, int t, String path, IntByReference len);

    static native byte xs_write(Pointer h, int t, String path, byte[] data, int len);

    static native byte xs_rm(Pointer h, int t, String path);

    static native Pointer xs_directory(Pointer h, int t, String path, IntByReference num);

    static native byte xs_set_permissions(Pointer h, int t, String path, int[] perms, int num);

    static native int xs_transaction_start(Pointer h);

    static native byte xs_transaction_end(Pointer h, int t, int abort);

    static native byte xs_watch(Pointer h, String path, String token);

    static native byte xs_unwatch(Pointer h, String path, String token);

    static native int xs_fileno(Pointer h);

    static native Pointer xs_check_watch(Pointer h);
}
