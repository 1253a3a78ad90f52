package io.vchan.bridge.ring;

import io.vchan.bridge.events.StoreWatches;
import io.vchan.bridge.xen.DomainId;
import io.vchan.bridge.xen.Errno;
import io.vchan.bridge.xen.ToolstackDomain;
import io.vchan.bridge.xen.XenException;
import io.vchan.bridge.xen.XenPlatform;
import io.vchan.bridge.xen.XenStore;
import io.vchan.bridge.xen.XenStorePermission;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.locks.LockSupport;
/**
 * The XenStore side of the protocol (docs/vchan-protocol.md §3–4), in one
 * place: what a server publishes for its client (the control page's grant
 * ref and the server's port, under the key names below), how it publishes and
 * withdraws them, how a client waits for them, and how their values are read.
 *
 * <p>A refused read (EACCES) is not yet an answer: on Xen, xenstored reports
 * a missing node below one we may not read as EACCES, and a server's
 * directory exists for a moment before its permissions are set. Only one
 * still refused at the deadline is, and the timeout says so.
 */
public record ServerKeys(int ringRef, int port) {

    public static final String RING_REF = "ring-ref";
    public static final String EVENT_CHANNEL = "event-channel";
    private static final int MAX_PUBLISH_ATTEMPTS = 64;

    /**
     * Publishes these keys at {@code path} for {@code peer} (§3 step 5): both in one transaction,
     * owned by {@code self}, readable by {@code peer} only. Refuses a peer domain that does not exist.
     */
    void publish(XenPlatform platform, DomainId self, DomainId peer, String path) throws IOException {
        List<XenStorePermission> perms = List.of(
                XenStorePermission.owner(self, false, false), XenStorePermission.readOnly(peer));
        try (XenStore xs = platform.openXenStore(self)) {
            requirePeerDomain(platform, xs, peer, path);
            // The channel's directory first, outside the transaction: created inside it, it would
            // change the parent directory that every other channel's publication changes too, and
            // concurrent publications would keep conflicting (EAGAIN) and backing off.
            boolean created = xs.read(0, path).isEmpty();
            xs.write(0, path, new byte[0]);
            try {
                xs.setPermissions(0, path, perms);
                publishInTransaction(xs, path, perms);
            } catch (IOException | RuntimeException e) {
                if (created) {
                    try {
                        xs.remove(0, path);
                    } catch (XenException cleanup) {
                        e.addSuppressed(cleanup);
                    }
                }
                throw e;
            }
        }
    }

    /**
     * Refuses to publish for a domain that does not exist (see {@link
     * NoSuchPeerDomainException}): on real Xen one with no {@code
     * /local/domain/N} (a domain we may not look at, EACCES as a guest looking
     * at another guest, exists); on xensim one its toolstack destroyed.
     */
    private static void requirePeerDomain(XenPlatform platform, XenStore xs, DomainId peer, String path)
            throws IOException {
        if (platform.toolstackDomain(peer) == ToolstackDomain.DESTROYED) {
            throw new NoSuchPeerDomainException(peer, path);
        }
        if (!platform.name().equals("xen")) {
            return; // xensim's implicit domains and in-JVM's exist from the start
        }
        try {
            if (xs.read(0, "/local/domain/" + peer.value()).isEmpty()) {
                throw new NoSuchPeerDomainException(peer, path);
            }
        } catch (XenException e) {
            if (e.errno() != Errno.EACCES) {
                throw e;
            }
        }
    }

    /** ring-ref and event-channel appear together, with their permissions, or not at all. */
    private void publishInTransaction(XenStore xs, String path, List<XenStorePermission> perms)
            throws IOException {
        long backoffNanos = 100_000;
        for (int attempt = 1; ; attempt++) {
            int t = xs.beginTransaction();
            boolean committed;
            try {
                write(xs, t, path + "/" + RING_REF, ringRef, perms);
                write(xs, t, path + "/" + EVENT_CHANNEL, port, perms);
            } catch (IOException | RuntimeException e) {
                xs.endTransaction(t, true);
                throw e;
            }
            committed = xs.endTransaction(t, false);
            if (committed) {
                return;
            }
            if (attempt == MAX_PUBLISH_ATTEMPTS) {
                throw new XenException("xs_transaction_end", Errno.EAGAIN,
                        "gave up publishing " + path + " after " + attempt + " conflicting attempts");
            }
            // Another writer conflicted: back off a little, with jitter, and retry.
            LockSupport.parkNanos(
                    backoffNanos + (long) (Math.random() * backoffNanos));
            backoffNanos = Math.min(backoffNanos * 2, 50_000_000);
        }
    }

    private static void write(XenStore xs, int t, String key, int value, List<XenStorePermission> perms)
            throws XenException {
        xs.write(t, key, Integer.toString(value).getBytes(StandardCharsets.US_ASCII));
        xs.setPermissions(t, key, perms);
    }

    /** Removes the channel's directory: its clients-to-be wait for the next publication. */
    public static void withdraw(XenPlatform platform, DomainId self, String path) throws XenException {
        try (XenStore xs = platform.openXenStore(self)) {
            xs.remove(0, path);
        }
    }

    /** As {@link #withdraw}, at close: a failure there has nobody left to tell. */
    static void withdrawQuietly(XenPlatform platform, DomainId self, String path) {
        try {
            withdraw(platform, self, path);
        } catch (XenException ignored) {
            // nothing more we can do at close
        }
    }


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
                Optional<Integer> ref = readNumber(xs, path + "/" + RING_REF);
                Optional<Integer> port = ref.isPresent() ? readNumber(xs, path + "/" + EVENT_CHANNEL)
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
