package io.vchan.connector.impl;

import io.vchan.bridge.ring.RingOrders;
import io.vchan.connector.VchanClosedException;
import io.vchan.connector.VchanProtocolException;
import org.apache.pekko.annotation.InternalApi;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

/**
 * INTERNAL API: what a connection's owner says of it. Through SLF4J on the
 * logger {@value #NAME}: connected and closed at debug, failures at info, a
 * peer that broke the protocol at warning; each line carries the channel in
 * the MDC ({@code vchanRole}, {@code vchanLocalDomain}, {@code vchanPeerDomain},
 * {@code vchanPort}, {@code vchanPath}) for log formats that show it. And to
 * the flight recorder: the set-up ({@code io.vchan.Connect}), the release
 * ({@code io.vchan.Close}) and protocol errors ({@code io.vchan.ProtocolError});
 * ring-full waits ({@code io.vchan.RingFull}) come from the ring's copier.
 */
@InternalApi
final class ConnectionLog {

    static final String NAME = "io.vchan.connector.VchanConnection";
    private static final Logger LOG = LoggerFactory.getLogger(NAME);

    private final Target target;
    /** From the owner's start until connected or failed. */
    private ConnectEvent connecting = new ConnectEvent();
    private CloseEvent closing;

    ConnectionLog(Target target) {
        this.target = target;
        connecting.begin();
    }

    void connected(RingOrders orders) {
        endConnect(null);
        if (LOG.isDebugEnabled()) {
            try (Mdc m = mdc()) {
                LOG.debug("{}: connected, rings of {} and {} bytes", describe(), orders.leftSize(),
                        orders.rightSize());
            }
        }
    }

    /** The release starts: unpublishing, unmapping, unbinding. */
    void releasing() {
        closing = new CloseEvent();
        closing.begin();
    }

    void closed(ConnectionCounters counters) {
        if (connecting != null) {
            endConnect(new VchanClosedException("closed before both ends were there"));
        }
        endClose(counters, null);
        if (LOG.isDebugEnabled()) {
            try (Mdc m = mdc()) {
                LOG.debug("{}: closed, {} bytes in, {} bytes out", describe(), counters.bytesIn(),
                        counters.bytesOut());
            }
        }
    }

    void failed(Throwable cause, ConnectionCounters counters) {
        Throwable reported = Failures.toApi(cause);
        endConnect(reported);
        endClose(counters, reported);
        try (Mdc m = mdc()) {
            if (reported instanceof VchanProtocolException) {
                ProtocolErrorEvent e = new ProtocolErrorEvent();
                e.of(target);
                e.message = reported.getMessage();
                e.commit();
                LOG.warn("{}: the peer broke the protocol: {}", describe(), Failures.unwrap(cause).getMessage());
            } else {
                LOG.info("{}: failed: {}", describe(), reported.toString());
            }
        }
    }

    private void endConnect(Throwable failure) {
        if (connecting != null) {
            connecting.of(target);
            connecting.failure = failure == null ? "" : failure.toString();
            connecting.commit();
            connecting = null;
        }
    }

    private void endClose(ConnectionCounters counters, Throwable failure) {
        if (closing != null) {
            closing.of(target);
            closing.bytesIn = counters.bytesIn();
            closing.bytesOut = counters.bytesOut();
            closing.failure = failure == null ? "" : failure.toString();
            closing.commit();
            closing = null;
        }
    }

    private String describe() {
        return "vchan " + target.role() + " " + target.self() + "<->" + target.peer()
                + " port " + target.port() + " at " + target.path();
    }

    private Mdc mdc() {
        MDC.put("vchanRole", target.role().toString());
        MDC.put("vchanLocalDomain", Integer.toString(target.self().value()));
        MDC.put("vchanPeerDomain", Integer.toString(target.peer().value()));
        MDC.put("vchanPort", target.port().name());
        MDC.put("vchanPath", target.path());
        return new Mdc();
    }

    /** Takes the keys out again: the thread is a dispatcher's, shared with others. */
    private static final class Mdc implements AutoCloseable {
        @Override
        public void close() {
            MDC.remove("vchanRole");
            MDC.remove("vchanLocalDomain");
            MDC.remove("vchanPeerDomain");
            MDC.remove("vchanPort");
            MDC.remove("vchanPath");
        }
    }
}
