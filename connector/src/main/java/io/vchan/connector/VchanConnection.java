package io.vchan.connector;

import io.vchan.bridge.ring.RingOrders;
import io.vchan.bridge.xen.DomainId;
import io.vchan.connector.impl.ConnectionCounters;
import io.vchan.connector.impl.EndpointProtocol;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.Done;
import org.apache.pekko.actor.typed.ActorRef;

/**
 * A connected channel, as materialized by a vchan flow once the peer is there:
 * who talks to whom, where it is published, how big the rings are, the actor
 * that owns it, and live counters.
 */
public final class VchanConnection {

    private final DomainId localDomain;
    private final DomainId peerDomain;
    private final VchanPort port;
    private final String path;
    private final boolean server;
    private final RingOrders orders;
    private final ActorRef<EndpointProtocol.Command> endpointActor;
    private final CompletionStage<Done> whenClosed;
    private final ConnectionCounters counters;

    public VchanConnection(DomainId localDomain, DomainId peerDomain, VchanPort port, String path, boolean server,
            RingOrders orders, ActorRef<EndpointProtocol.Command> endpointActor, CompletionStage<Done> whenClosed,
            ConnectionCounters counters) {
        this.localDomain = localDomain;
        this.peerDomain = peerDomain;
        this.port = port;
        this.path = path;
        this.server = server;
        this.orders = orders;
        this.endpointActor = endpointActor;
        this.whenClosed = whenClosed;
        this.counters = counters;
    }

    public DomainId localDomain() {
        return localDomain;
    }

    public DomainId peerDomain() {
        return peerDomain;
    }

    public VchanPort port() {
        return port;
    }

    /** The XenStore directory holding ring-ref and event-channel. */
    public String xenStorePath() {
        return path;
    }

    public boolean isServer() {
        return server;
    }

    /** Bytes the ring we read from holds. */
    public int readRingSize() {
        return server ? orders.leftSize() : orders.rightSize();
    }

    /** Bytes the ring we write to holds. */
    public int writeRingSize() {
        return server ? orders.rightSize() : orders.leftSize();
    }

    /** The typed actor that owns the endpoint (see {@link EndpointProtocol}). */
    public ActorRef<EndpointProtocol.Command> endpointActor() {
        return endpointActor;
    }

    /** Completes when the channel is closed and its resources released; fails with the cause of a failure. */
    public CompletionStage<Done> whenClosed() {
        return whenClosed;
    }

    public long bytesIn() {
        return counters.bytesIn();
    }

    public long bytesOut() {
        return counters.bytesOut();
    }

    public long notificationsIn() {
        return counters.notificationsIn();
    }

    /** Events sent to the peer because it asked to be woken. */
    public long notificationsOut() {
        return counters.notificationsOut();
    }

    /** Times a write found the ring full and waited for the peer to read. */
    public long ringFullWaits() {
        return counters.ringFullWaits();
    }

    /** Ring writes done: one per batch of stream elements (writev batching). */
    public long ringWrites() {
        return counters.ringWrites();
    }

    @Override
    public String toString() {
        return "VchanConnection(" + (server ? "server " : "client ") + localDomain + "<->" + peerDomain + " port "
                + port + " at " + path + ", rings read " + readRingSize() + " / write " + writeRingSize() + ")";
    }
}
