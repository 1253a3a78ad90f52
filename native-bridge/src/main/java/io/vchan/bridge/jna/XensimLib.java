package io.vchan.bridge.jna;

import com.sun.jna.NativeLibrary;
import com.sun.jna.Pointer;

/**
 * xensim's own entry points: open handles as a chosen domain, and count what
 * the simulated host holds. Registered only on xensim, where they exist.
 */
final class XensimLib {

    static void register(NativeLibrary evtchn, NativeLibrary gnttab, NativeLibrary store) {
        com.sun.jna.Native.register(Evtchn.class, evtchn);
        com.sun.jna.Native.register(Gnttab.class, gnttab);
        com.sun.jna.Native.register(Store.class, store);
    }

    private XensimLib() {
    }

    static final class Evtchn {
        private Evtchn() {
        }

        static native Pointer xensim_evtchn_open_as(Pointer logger, int flags, int domid);

        /** Fills 7 counters: connections, ports, grants, mappings, watches, transactions, domains. */
        static native int xensim_stats(int[] out);

        /** The toolstack (dom0 only): 0, or -1 with errno. */
        static native int xensim_domain_create(int domid);

        static native int xensim_domain_destroy(int domid);

        /** 0 implicit, 1 created, 2 destroyed; -1 with errno. */
        static native int xensim_domain_state(int domid);
    }

    static final class Gnttab {
        private Gnttab() {
        }

        static native Pointer xensim_gnttab_open_as(Pointer logger, int flags, int domid);

        static native Pointer xensim_gntshr_open_as(Pointer logger, int flags, int domid);
    }

    static final class Store {
        private Store() {
        }

        static native Pointer xensim_xs_open_as(long flags, int domid);
    }
}
