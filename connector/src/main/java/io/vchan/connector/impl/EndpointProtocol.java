package io.vchan.connector.impl;

import io.vchan.bridge.ring.RingEndpoint;
import java.util.function.Consumer;
import org.apache.pekko.annotation.InternalApi;
import org.apache.pekko.util.ByteString;

/**
 * INTERNAL API.
 *
 * What an {@link EndpointActor} is told. Replies go to plain callbacks, not
 * actor refs: the stream stage hands in its async callbacks and the endpoint
 * API its futures, with no adapter actor in between.
 */
@InternalApi
public final class EndpointProtocol {

    private EndpointProtocol() {
    }

    public sealed interface Command permits PortFired, Opened, OpenFailed, Read, Write, ShutdownRead,
            ShutdownWrite, Close, Abort, AwaitPeer {
    }

    /** The event loop saw our port fire: look at the ring again. */
    public enum PortFired implements Command { INSTANCE }

    /** Set-up finished on the blocking dispatcher. */
    record Opened(RingEndpoint endpoint) implements Command {
    }

    record OpenFailed(Throwable cause) implements Command {
    }

    /** At least one byte (one fresh chunk), or end of stream, or the failure. */
    public record Read(Consumer<ReadResult> reply) implements Command {
    }

    /** Replies once every byte is in the ring (null), or with the failure. */
    public record Write(ByteString data, Consumer<Throwable> reply) implements Command {
    }

    /** No more reads: a pending one ends with end of stream; the ring keeps what is in it. */
    public record ShutdownRead() implements Command {
    }

    /** After the writes before it: tell the peer we write no more (extension E1). */
    public record ShutdownWrite(Consumer<Throwable> reply) implements Command {
    }

    /** Close now: pending writes fail, the peer sees the close. Idempotent. */
    public enum Close implements Command { INSTANCE }

    /** Close because something upstream failed; pending requests fail with {@code cause}. */
    public record Abort(Throwable cause) implements Command {
    }

    /** Replies when a client is connected (servers), or at once (clients). */
    public record AwaitPeer(Consumer<Throwable> reply) implements Command {
    }

    /** What a {@link Read} gets. */
    public sealed interface ReadResult permits Data, EndOfStream, PeerGone, Failed {
    }

    public record Data(ByteString bytes) implements ReadResult {
    }

    public enum EndOfStream implements ReadResult { INSTANCE }

    /** End of stream because the peer closed (or died), not a write shutdown: nothing more can be written. */
    public enum PeerGone implements ReadResult { INSTANCE }

    public record Failed(Throwable cause) implements ReadResult {
    }
}
