package io.vchan.bridge.jna;

import com.sun.jna.Native;
import com.sun.jna.Pointer;
import io.vchan.bridge.xen.XenException;

/** Turns C error conventions (NULL, -1, false with errno) into {@link XenException}s. */
final class Calls {

    private Calls() {
    }

    static Pointer nonNull(Pointer p, String call) throws XenException {
        if (p == null) {
            throw new XenException(call, Native.getLastError(), null);
        }
        return p;
    }

    static int nonNegative(int rc, String call) throws XenException {
        if (rc < 0) {
            throw new XenException(call, Native.getLastError(), null);
        }
        return rc;
    }

    static void ok(byte cBool, String call, String detail) throws XenException {
        if (cBool == 0) {
            throw new XenException(call, Native.getLastError(), detail);
        }
    }
}
