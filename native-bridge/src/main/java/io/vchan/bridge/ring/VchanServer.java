package io.vchan.bridge.ring;

import io.vchan.bridge.xen.DomainId;
import io.vchan.bridge.xen.EventChannels;
import io.vchan.bridge.xen.GrantSharer;
import io.vchan.bridge.xen.SharedPages;
import io.vchan.bridge.xen.XenException;
import io.vchan.bridge.xen.XenPlatform;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
/**
 * The server side of set-up (docs/vchan-protocol.md §3): share the control page and
 * rings with the peer domain, then publish the {@link ServerKeys}.
 */
public final class VchanServer {

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
        SetupResources setup = new SetupResources(events);
        try {
            int port = setup.bound(events.bindUnbound(peer));
            events.unmask(port);
            GrantSharer sharer = setup.add(platform.openGrantSharer(self));
            SharedPages ctrlPages = setup.add(sharer.sharePageWithNotify(peer, true, ControlPage.SRV_LIVE, port));
            List<AutoCloseable> resources = setup.resources();
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
            new ServerKeys(ctrlPages.refs()[0], port).publish(platform, self, peer, path);
            return new RingEndpoint(Role.SERVER, peer, path, orders, page, readRing, writeRing, events, port,
                    resources, () -> ServerKeys.withdrawQuietly(platform, self, path), ctrlPages.refs()[0], header);
        } catch (IOException | RuntimeException e) {
            setup.release();
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

    /** Server only: resets the page for the next client and publishes again so watchers see it. */
    public static void republish(XenPlatform platform, RingEndpoint endpoint) throws IOException {
        endpoint.resetForNextClient();
        new ServerKeys(endpoint.controlRef(), endpoint.port()).publish(platform, endpoint.localDomain(),
                endpoint.peerDomain(), endpoint.path());
    }
}
