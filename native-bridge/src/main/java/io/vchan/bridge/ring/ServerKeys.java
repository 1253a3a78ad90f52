package io.vchan.bridge.ring;

import io.vchan.bridge.events.StoreWatches;
import io.vchan.bridge.xen.DomainId;
import io.vchan.bridge.xen.Errno;
import io.vchan.bridge.xen.XenException;
import io.vchan.bridge.xen.XenPlatform;
import io.vchan.bridge.xen.XenStore;
import java.io.IOException;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/**
 * What a server publishes for its client (docs/vchan-protocol.md §4): the control
 * page's grant ref and the server's port, and how a client waits for them.
 *
 * <p>A refused read (EACCES) is not yet an answer: on Xen, xenstored reports
 * a missing node below one we may not read as EACCES, and a server's
 * directory exists for a moment before its permissions are set. Only one
 * still refused at the deadline is, and the timeout says so.
 */
public record ServerKeys(int ringRef, int port) {

    /** Waits on a XenStore connection of its own, in the calling thread. */
    static ServerKeys await(XenPlatform platform, DomainId self, DomainId server, String path, Duration timeout)
            throws IOException {
        long deadline = Deadline.after(timeout);
        try (XenStore xs = platform.openXenStore(self)) {
            xs.watch(path, "vchan-connect");
            Attempt attempt = new Attempt(path);
            while (true) {
                Optional<ServerKeys> keys = attempt.read(xs);
                if (keys.isPresent()) {
                    return keys.get();
                }
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    throw attempt.timedOut(self, server, timeout);
                }
                xs.awaitWatch(Math.max(1, left / 1_000_000));
            }
        }
    }

    /**
     * Waits with one watch on the local domain's shared {@code watches}, no
     * thread blocked. Cancelling the future drops the watch.
     */
    public static CompletableFuture<ServerKeys> await(StoreWatches watches, DomainId server, String path,
            Duration timeout) {
        VchanPath.validate(path);
        if (timeout.isNegative()) {
            throw new IllegalArgumentException("connect timeout is negative: " + timeout);
        }
        DomainId self = watches.store().domain();
        CompletableFuture<ServerKeys> result = new CompletableFuture<>();
        Attempt attempt = new Attempt(path);
        StoreWatches.Handler handler = new StoreWatches.Handler() {
            @Override
            public void fired(StoreWatches.Watch w, String changed) {
                try {
                    attempt.read(watches.store()).ifPresent(result::complete);
                } catch (IOException | RuntimeException e) {
                    result.completeExceptionally(e);
                }
            }

            @Override
            public void timedOut(StoreWatches.Watch w) {
                result.completeExceptionally(attempt.timedOut(self, server, timeout));
            }

            @Override
            public void closed(StoreWatches.Watch w, Exception cause) {
                result.completeExceptionally(new VchanClosedException("stopped waiting for the vchan server "
                        + server + " at " + path + ": XenStore watches closed", cause));
            }
        };
        StoreWatches.Watch watch;
        try {
            watch = watches.watch(path, Deadline.after(timeout), handler);
        } catch (XenException | RuntimeException e) {
            result.completeExceptionally(e);
            return result;
        }
        result.whenComplete((keys, err) -> watch.cancel());
        // Look once here too, not only at the watch's first firing: keys published before we
        // watched must not depend on how a XenStore fires a new watch on a path we may not read yet.
        handler.fired(watch, path);
        return result;
    }

    /** One wait's reads; remembers the last refusal for the timeout's message. */
    private static final class Attempt {
        private final String path;
        /** Written by whichever thread read last: the caller's first look or the watch thread. */
        private volatile XenException refused;

        Attempt(String path) {
            this.path = path;
        }

        Optional<ServerKeys> read(XenStore xs) throws IOException {
            try {
                Optional<Integer> ref = readNumber(xs, path + "/ring-ref");
                Optional<Integer> port = ref.isPresent() ? readNumber(xs, path + "/event-channel")
                        : Optional.empty();
                refused = null;
                return port.map(p -> new ServerKeys(ref.get(), p));
            } catch (XenException e) {
                if (e.errno() != Errno.EACCES) {
                    throw e;
                }
                refused = e;
                return Optional.empty();
            }
        }

        VchanConnectTimeoutException timedOut(DomainId self, DomainId server, Duration timeout) {
            if (refused == null) {
                return new VchanConnectTimeoutException("no vchan server in " + server + " published " + path
                        + " within " + timeout.toMillis() + " ms");
            }
            // Xen says EACCES both for keys not there yet (below a node we may not read) and for keys not for us.
            VchanConnectTimeoutException e = new VchanConnectTimeoutException("no vchan server in " + server
                    + " published " + path + " for " + self + " within " + timeout.toMillis() + " ms: " + self
                    + " may not read there (EACCES), so the keys are missing or not for " + self + " (keys"
                    + " published before " + self + " existed are not readable by it either: XSA-322)");
            e.initCause(refused);
            return e;
        }
    }

    private static Optional<Integer> readNumber(XenStore xs, String key) throws IOException {
        Optional<byte[]> raw = xs.read(0, key);
        return raw.isEmpty() ? Optional.empty() : Optional.of(parseKey(key, raw.get()));
    }

    /**
     * A grant ref or port as a server writes it ({@code "%d"} of a positive
     * int): decimal digits only, no sign, space, newline or leading zero, at
     * most ten digits and at most {@link Integer#MAX_VALUE}. Anything else is a
     * broken or hostile server, and the message quotes it safely.
     */
    static int parseKey(String key, byte[] raw) throws VchanProtocolException {
        boolean digits = raw.length > 0 && raw.length <= 10 && raw[0] != '0';
        long v = 0;
        for (int i = 0; digits && i < raw.length; i++) {
            digits = raw[i] >= '0' && raw[i] <= '9';
            v = v * 10 + (raw[i] - '0');
        }
        if (!digits || v > Integer.MAX_VALUE) {
            throw new VchanProtocolException(key + " is " + PeerText.quote(raw)
                    + ": not a grant ref or port (a positive decimal number, as a server writes it)");
        }
        return (int) v;
    }
}
