package io.vchan.connector.impl;

import io.vchan.bridge.ring.RingOrders;
import io.vchan.connector.VchanConnection;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.Done;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.annotation.InternalApi;

/** INTERNAL API: the connection a flow materializes, with the actor that owns its endpoint. */
@InternalApi
public record OpenConnection(Target target, RingOrders orders, ActorRef<EndpointProtocol.Command> endpointActor,
        CompletionStage<Done> whenClosed, ConnectionCounters counters)
        implements VchanConnection, ChannelOfTarget {

    @Override
    public boolean isServer() {
        return target.server();
    }

    @Override
    public int readRingSize() {
        return target.role().readRingSize(orders);
    }

    @Override
    public int writeRingSize() {
        return target.role().writeRingSize(orders);
    }

    @Override
    public long bytesIn() {
        return counters.bytesIn();
    }

    @Override
    public long bytesOut() {
        return counters.bytesOut();
    }

    @Override
    public long notificationsIn() {
        return counters.notificationsIn();
    }

    @Override
    public long notificationsOut() {
        return counters.notificationsOut();
    }

    @Override
    public long ringFullWaits() {
        return counters.ringFullWaits();
    }

    @Override
    public long ringWrites() {
        return counters.ringWrites();
    }

    @Override
    public String toString() {
        return "VchanConnection(" + target.role() + " " + target.self() + "<->"
                + target.peer() + " port " + target.port() + " at " + target.path() + ", rings read "
                + readRingSize() + " / write " + writeRingSize() + ")";
    }
}
