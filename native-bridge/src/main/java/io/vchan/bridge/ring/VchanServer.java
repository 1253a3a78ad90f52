package io.vchan.bridge.ring;

import io.vchan.bridge.xen.DomainId;
import io.vchan.bridge.xen.Errno;
import io.vchan.bridge.xen.EventChannels;
import io.vchan.bridge.xen.GrantSharer;
import io.vchan.bridge.xen.SharedPages;
import io.vchan.bridge.xen.ToolstackDomain;
import io.vchan.bridge.xen.XenException;
import io.vchan.bridge.xen.XenPlatform;
import io.vchan.bridge.xen.XenStore;
import io.vchan.bridge.xen.XenStorePermission;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.locks.LockSupport;

/**
 * The server side of set-up (docs/vchan-protocol.md §3): share the control page and
 * rings with the peer domain, then publish ring-ref and event-channel in one
 * XenStore transaction readable by the peer only.
 */
public final class VchanServer {

    private static final int MAX_PUBLISH_ATTEMPTS = 64;

    private VchanServer() {
    }

    /**
     * Publishes a channel for {@code peer} at {@code path}, with rings of at least
     * {@code readMin} / {@code writeMin} bytes. Arguments are checked before
     * anything is allocated. The endpoint starts with the peer WAITING.
     */
    public static RingEndpoint publish(XenPlatform platform, EventChannels events, DomainId peer, String path,
            int readMin, int writeMin) throws IOException {
        RingOrders orders = RingOrders.forServer(readMin, writeMin);
        VchanPath.validate(path);
        DomainId self = events.domain();
        List<AutoCloseable> resources = new ArrayList<>();
        int port = -1;
        try {
            port = events.bindUnbound(peer);
            events.unmask(port);
            GrantSharer sharer = platform.openGrantSharer(self);
            resources.add(sharer);
            SharedPages ctrlPages = sharer.sharePageWithNotify(peer, true, ControlPage.SRV_LIVE, port);
            resources.add(ctrlPages);
            ControlPage page = new ControlPage(ctrlPages.memory());
            initialise(page);
            List<Integer> grantRefs = new ArrayList<>();
            ByteBuffer left = ringMemory(sharer, peer, page, orders.left(), grantRefs, resources);
            ByteBuffer right = ringMemory(sharer, peer, page, orders.right(), grantRefs, resources);
            ServerHeader header = new ServerHeader(orders, grantRefs);
            header.writeTo(page);
            Ring readRing = new Ring(page, ControlPage.LEFT_CONS, ControlPage.LEFT_PROD, left, orders.left(), "left",
                    Ring.Side.READER);
            Ring writeRing = new Ring(page, ControlPage.RIGHT_CONS, ControlPage.RIGHT_PROD, right, orders.right(),
                    "right", Ring.Side.WRITER);
            publishKeys(platform, self, peer, path, ctrlPages.refs()[0], port);
            return new RingEndpoint(true, peer, path, orders, page, readRing, writeRing, events, port, resources,
                    () -> unpublish(platform, self, path), ctrlPages.refs()[0], header);
        } catch (IOException | RuntimeException e) {
            SetupResources.release(resources, events, port);
            throw e;
        }
    }

    /** The page as libxenvchan leaves it: zeroed, client not yet there, server live (orders and refs: the header). */
    private static void initialise(ControlPage page) {
        ByteBuffer b = page.buffer();
        for (int i = 0; i < ControlPage.SIZE; i += 8) {
            b.putLong(i, 0L);
        }
        page.putByteVolatile(ControlPage.CLI_NOTIFY, ControlPage.NOTIFY_WRITE);
        page.putByteVolatile(ControlPage.CLI_LIVE, ControlPage.LIVE_WAITING);
        page.putByteVolatile(ControlPage.SRV_LIVE, ControlPage.LIVE_CONNECTED);
    }

    /** In-page for orders 10 and 11, else freshly granted pages, whose refs go in the header. */
    private static ByteBuffer ringMemory(GrantSharer sharer, DomainId peer, ControlPage page, int order,
            List<Integer> grantRefs, List<AutoCloseable> resources) throws XenException {
        ByteBuffer inPage = page.inPageRing(order);
        if (inPage != null) {
            return inPage;
        }
        SharedPages pages = sharer.share(peer, RingOrders.pages(order), true);
        resources.add(pages);
        for (int ref : pages.refs()) {
            grantRefs.add(ref);
        }
        return pages.memory();
    }

    private static void publishKeys(XenPlatform platform, DomainId self, DomainId peer, String path, int ringRef,
            int port) throws IOException {
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
                publishKeysInTransaction(xs, path, perms, ringRef, port);
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
    private static void publishKeysInTransaction(XenStore xs, String path, List<XenStorePermission> perms,
            int ringRef, int port) throws IOException {
        long backoffNanos = 100_000;
        for (int attempt = 1; ; attempt++) {
            int t = xs.beginTransaction();
            boolean committed;
            try {
                write(xs, t, path + "/ring-ref", ringRef, perms);
                write(xs, t, path + "/event-channel", port, perms);
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

    private static void unpublish(XenPlatform platform, DomainId self, String path) {
        try (XenStore xs = platform.openXenStore(self)) {
            xs.remove(0, path);
        } catch (XenException ignored) {
            // nothing more we can do at close
        }
    }

    /** Server only: resets the page for the next client and publishes again so watchers see it. */
    public static void republish(XenPlatform platform, RingEndpoint endpoint) throws IOException {
        endpoint.resetForNextClient();
        publishKeys(platform, endpoint.localDomain(), endpoint.peerDomain(), endpoint.path(),
                endpoint.controlRef(), endpoint.port());
    }
}
