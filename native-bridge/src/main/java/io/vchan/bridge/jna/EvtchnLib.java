package io.vchan.bridge.jna;

import com.sun.jna.NativeLibrary;
import com.sun.jna.Pointer;

/** Direct-mapped libxenevtchn.so.1. */
final class EvtchnLib {

    static void register(NativeLibrary lib) {
        com.sun.jna.Native.register(EvtchnLib.class, lib);
    }

    private EvtchnLib() {
    }

    static native Pointer xenevtchn_open(Pointer logger, int flags);

    static native int xenevtchn_close(Pointer h);

    static native int xenevtchn_fd(Pointer h);

    static native int xenevtchn_notify(Pointer h, int port);

    static native int xenevtchn_bind_unbound_port(Pointer h, int domid);

    static native int xenevtchn_bind_interdomain(Pointer h, int domid, int remotePort);

    static native int xenevtchn_unbind(Pointer h, int port);

    static native int xenevtchn_pending(Pointer h);

    static native int xenevtchn_unmask(Pointer h, int port);
}
