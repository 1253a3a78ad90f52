package io.vchan.connector;

import java.util.concurrent.CompletionStage;
import org.apache.pekko.Done;

/**
 * A connected channel, as materialized by a vchan flow once the peer is there:
 * who talks to whom, where it is published, how big the rings are, and live
 * counters. Made by the connector; like Pekko's {@code Tcp.OutgoingConnection}
 * it describes the connection, the flow carries its bytes.
 */
public interface VchanConnection extends VchanChannel {

    /** @return true for the end that published the channel */
    boolean isServer();

    /** @return bytes the ring we read from holds */
    int readRingSize();

    /** @return bytes the ring we write to holds */
    int writeRingSize();

    /**
     * @return completes when the channel is closed and its resources released; fails with a
     *         {@link VchanException} if the channel failed
     */
    CompletionStage<Done> whenClosed();

    /** @return bytes read from the peer so far */
    long bytesIn();

    /** @return bytes written to the peer so far */
    long bytesOut();

    /** @return events received from the peer */
    long notificationsIn();

    /** @return events sent to the peer because it asked to be woken */
    long notificationsOut();

    /** @return times a write found the ring full and waited for the peer to read */
    long ringFullWaits();

    /** @return ring writes done: one per batch of stream elements (writev batching) */
    long ringWrites();
}
