package io.vchan.bridge.memory;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.vchan.bridge.xen.Errno;
import io.vchan.bridge.xen.XenException;
import org.junit.jupiter.api.function.Executable;

/** Assertions on the errno of a failed platform call. */
final class XenAsserts {

    private XenAsserts() {
    }

    static XenException assertErrno(int errno, Executable call) {
        return assertErrno(errno, call, "");
    }

    static XenException assertErrno(int errno, Executable call, String why) {
        XenException e = assertThrows(XenException.class, call, why);
        assertEquals(errno, e.errno(), () -> why + ": expected " + Errno.describe(errno) + " but got: "
                + e.getMessage());
        return e;
    }
}
