package io.vchan.samples.cli;

import io.vchan.bridge.ring.NoSuchPeerDomainException;
import io.vchan.bridge.ring.VchanClosedException;
import io.vchan.bridge.ring.VchanConnectTimeoutException;
import io.vchan.bridge.ring.VchanProtocolException;
import io.vchan.bridge.xen.Errno;
import io.vchan.bridge.xen.XenException;
import io.vchan.connector.VchanException;
import io.vchan.connector.VchanSetupException;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;

/** A failure as one line for a person and an exit code for a script. */
record Failure(int exitCode, String message) {

    static Failure of(Throwable t) {
        Throwable cause = rootCause(t);
        int code;
        if (cause instanceof VchanConnectTimeoutException || cause instanceof NoSuchPeerDomainException
                || cause instanceof io.vchan.connector.VchanConnectTimeoutException
                || cause instanceof VchanSetupException s && s.errno() == Errno.ESRCH) {
            code = ExitCodes.PEER_ABSENT;
        } else if (cause instanceof XenException x && (x.errno() == Errno.EACCES || x.errno() == Errno.EPERM)
                || cause instanceof VchanSetupException s && (s.errno() == Errno.EACCES || s.errno() == Errno.EPERM)) {
            code = ExitCodes.PERMISSION;
        } else if (cause instanceof VchanProtocolException
                || cause instanceof io.vchan.connector.VchanProtocolException) {
            code = ExitCodes.PROTOCOL;
        } else if (cause instanceof VchanClosedException || cause instanceof io.vchan.connector.VchanClosedException) {
            code = ExitCodes.PEER_CLOSED;
        } else if (cause instanceof IllegalArgumentException) {
            code = ExitCodes.USAGE;
        } else {
            code = ExitCodes.FAILED;
        }
        String text = cause.getMessage() == null ? cause.getClass().getSimpleName() : cause.getMessage();
        return new Failure(code, text.replace('\n', ' '));
    }

    /**
     * The failure that says what went wrong: streams wrap it (an incomplete
     * stdout write, a completion), the person wants the vchan cause. The
     * connector reports its own exceptions; the bench's raw peer, the bridge's.
     */
    private static Throwable rootCause(Throwable t) {
        for (Throwable c = t; c != null; c = c.getCause()) {
            if (c instanceof VchanException || c instanceof VchanConnectTimeoutException || c instanceof NoSuchPeerDomainException
                    || c instanceof XenException
                    || c instanceof VchanProtocolException || c instanceof VchanClosedException
                    || c instanceof IllegalArgumentException) {
                return c;
            }
        }
        return unwrap(t);
    }

    private static Throwable unwrap(Throwable t) {
        Throwable c = t;
        while ((c instanceof CompletionException || c instanceof ExecutionException) && c.getCause() != null) {
            c = c.getCause();
        }
        return c;
    }
}
