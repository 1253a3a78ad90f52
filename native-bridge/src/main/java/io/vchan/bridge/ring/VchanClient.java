package io.vchan.bridge.ring;

import io.vchan.bridge.xen.DomainId;
import io.vchan.bridge.xen.Errno;
import io.vchan.bridge.xen.EventChannels;
import io.vchan.bridge.xen.GrantMapper;
import io.vchan.bridge.xen.MappedPages;
import io.vchan.bridge.xen.XenException;
import io.vchan.bridge.xen.XenPlatform;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.List;
/**
 * The client side of set-up (docs/vchan-protocol.md §4): wait for the server's keys
 * with a XenStore watch, bind its port, map the control page and rings. The
 * orders and grant refs in the page are the server's claims: they are copied
 * once and checked before anything is mapped from them.
 *
 * <p>Keys whose server is gone (it died or closed and left them behind) fail
 * the connect at once with a {@link VchanClosedException}, as does a server
 * that goes away while we connect; one that goes just after we connected is
 * then seen closed by the endpoint.
 */
public final class VchanClient {

    private VchanClient() {
    }

    /** Waits for the server's keys (blocking the calling thread), then connects. */
    public static RingEndpoint connect(XenPlatform platform, EventChannels events, DomainId server, String path,
            Duration timeout) throws IOException {
        VchanPath.validate(path);
        if (timeout.isNegative()) {
            throw new IllegalArgumentException("connect timeout is negative: " + timeout);
        }
        return connect(platform, events, server, path, ServerKeys.await(platform, events.domain(), server, path,
                timeout));
    }

    /**
     * Connects to the server that published {@code keys} at {@code path}
     * (see {@link ServerKeys#await(io.vchan.bridge.events.StoreWatches, DomainId, String, Duration)}).
     */
    public static RingEndpoint connect(XenPlatform platform, EventChannels events, DomainId server, String path,
            ServerKeys keys) throws IOException {
        VchanPath.validate(path);
        DomainId self = events.domain();
        int ringRef = keys.ringRef();
        int remotePort = keys.port();
        SetupResources setup = new SetupResources(events);
        try {
            int port = setup.bound(bindServerPort(events, server, path, remotePort));
            events.unmask(port);
            GrantMapper mapper = setup.add(platform.openGrantMapper(self));
            MappedPages ctrlPages = setup.add(mapControlPage(mapper, server, path, ringRef, port));
            List<AutoCloseable> resources = setup.resources();
            ControlPage page = new ControlPage(ctrlPages.memory());
            // Read once: the server could change them under us.
            RingOrders orders = checkedOrders(page.getUnsignedShort(ControlPage.LEFT_ORDER),
                    page.getUnsignedShort(ControlPage.RIGHT_ORDER));
            int[] refs = checkedRefs(page, orders);
            int leftPages = RingOrders.pages(orders.left());
            ByteBuffer left = ringMemory(mapper, server, path, page, orders.left(), refs, 0, true, resources);
            ByteBuffer right = ringMemory(mapper, server, path, page, orders.right(), refs, leftPages, false,
                    resources);
            checkServerLive(page, server, path, null);
            Ring writeRing = new Ring(page, ControlPage.LEFT_CONS, ControlPage.LEFT_PROD, left, orders.left(), "left",
                    Ring.Side.WRITER);
            Ring readRing = new Ring(page, ControlPage.RIGHT_CONS, ControlPage.RIGHT_PROD, right, orders.right(),
                    "right", Ring.Side.READER);
            page.putByteVolatile(ControlPage.CLI_LIVE, ControlPage.LIVE_CONNECTED);
            page.putByteVolatile(ControlPage.SRV_NOTIFY, ControlPage.NOTIFY_WRITE);
            events.notify(port);
            return new RingEndpoint(Role.CLIENT, server, path, orders, page, readRing, writeRing, events, port,
                    resources, () -> { }, -1, null);
        } catch (IOException | RuntimeException e) {
            setup.release();
            throw e;
        }
    }

    /** EINVAL or ESRCH: the port is not open for us, so nobody serves us at these keys. */
    private static int bindServerPort(EventChannels events, DomainId server, String path, int remotePort)
            throws XenException, VchanClosedException {
        try {
            return events.bindInterdomain(server, remotePort);
        } catch (XenException e) {
            if (e.errno() != Errno.EINVAL && e.errno() != Errno.ESRCH) {
                throw e;
            }
            throw new VchanClosedException("no vchan server at " + path + ": event channel " + remotePort
                    + " that " + server + " published there cannot be bound (" + Errno.describe(e.errno())
                    + "): the server is gone and left its keys behind, or serves another client", e);
        }
    }

    private static MappedPages mapControlPage(GrantMapper mapper, DomainId server, String path, int ringRef,
            int port) throws XenException, VchanClosedException {
        try {
            return mapper.mapPageWithNotify(server, ringRef, true, ControlPage.CLI_LIVE, port);
        } catch (XenException e) {
            if (e.errno() != Errno.EINVAL && e.errno() != Errno.ESRCH) {
                throw e;
            }
            // Its port was open a moment ago: the server most likely went away since.
            throw new VchanClosedException("the vchan server " + server + " at " + path + " is gone: its control"
                    + " page (grant ref " + ringRef + ") cannot be mapped (" + Errno.describe(e.errno()) + ")", e);
        }
    }

    /** A server that closes or dies has its live byte cleared (its unmap notification). */
    private static void checkServerLive(ControlPage page, DomainId server, String path, XenException cause)
            throws VchanClosedException {
        if (page.getByteVolatile(ControlPage.SRV_LIVE) == ControlPage.LIVE_CLOSED) {
            throw new VchanClosedException("the vchan server " + server + " at " + path
                    + " is gone: its live byte is 0 (it closed or died while we connected)", cause);
        }
    }

    private static RingOrders checkedOrders(int left, int right) throws VchanProtocolException {
        if (!RingOrders.valid(left, right)) {
            throw new VchanProtocolException("server announced invalid ring orders " + left + "/" + right);
        }
        return new RingOrders(left, right);
    }

    /** The grant refs, copied; their list must end before any in-page ring and the page's end. */
    private static int[] checkedRefs(ControlPage page, RingOrders orders) throws VchanProtocolException {
        int count = ControlPage.grantRefs(orders);
        if (!ControlPage.grantListFits(orders)) {
            throw new VchanProtocolException("ring orders " + orders.left() + "/" + orders.right() + " need "
                    + count + " grant refs, which overlap a ring or pass the page's end");
        }
        int[] refs = new int[count];
        for (int i = 0; i < count; i++) {
            refs[i] = page.grantRef(i);
        }
        return refs;
    }

    private static ByteBuffer ringMemory(GrantMapper mapper, DomainId server, String path, ControlPage page,
            int order, int[] refs, int first, boolean writable, List<AutoCloseable> resources) throws IOException {
        ByteBuffer inPage = page.inPageRing(order);
        if (inPage != null) {
            return inPage;
        }
        int count = RingOrders.pages(order);
        int[] mine = java.util.Arrays.copyOfRange(refs, first, first + count);
        MappedPages pages;
        try {
            pages = mapper.map(server, mine, writable);
        } catch (XenException e) {
            checkServerLive(page, server, path, e);
            // The refs are the server's claim: refs it never granted us are its protocol error.
            throw new VchanProtocolException("server " + server + " announced ring grant refs "
                    + java.util.Arrays.toString(mine) + " that cannot be mapped", e);
        }
        resources.add(pages);
        return pages.memory();
    }
}
