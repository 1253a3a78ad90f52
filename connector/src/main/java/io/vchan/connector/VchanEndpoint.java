package io.vchan.connector;

import io.vchan.bridge.ring.RingEndpoint;
import io.vchan.bridge.ring.VchanClosedException;
import io.vchan.bridge.xen.DomainId;
import io.vchan.connector.impl.EndpointOpener;
import io.vchan.connector.impl.EndpointProtocol;
import io.vchan.connector.impl.EndpointProtocol.Data;
import io.vchan.connector.impl.EndpointProtocol.Failed;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.pekko.Done;
import org.apache.pekko.util.ByteString;

/**
 * A channel without streams, after MirageOS's {@code Mirage_flow}: {@link #read()}
 * completes with at least one byte (a fresh buffer) or end of stream; writes
 * complete once their bytes are in the ring and fail with
 * {@link VchanClosedException} after close; {@link #close()} is idempotent. The
 * same endpoint actor as the stream API does the work.
 *
 * <p>One read at a time: a read issued while another is pending fails with
 * {@link IllegalStateException}. Writes may be issued back to back; they are
 * written in order.
 */
public final class VchanEndpoint implements AutoCloseable {

    /** What {@link #shutdown} stops. */
    public enum ShutdownMode { READ, WRITE, READ_WRITE }

    private final Vchan.EndpointHandle handle;
    private final RingEndpoint ring;
    private final VchanPort port;
    private final AtomicBoolean closed = new AtomicBoolean();
    /** Requests the actor may never answer if it stops first: failed when it does. */
    private final Set<CompletableFuture<?>> outstanding = ConcurrentHashMap.newKeySet();

    private VchanEndpoint(Vchan.EndpointHandle handle, RingEndpoint ring, VchanPort port) {
        this.handle = handle;
        this.ring = ring;
        this.port = port;
        handle.closed().whenComplete((ok, err) -> {
            closed.set(true);
            VchanClosedException gone = new VchanClosedException("vchan " + ring.path() + " is closed");
            outstanding.forEach(f -> f.completeExceptionally(err != null ? err : gone));
        });
    }

    /** Publishes {@code port} for {@code peer} and completes once a client has connected. */
    public static CompletionStage<VchanEndpoint> serve(Vchan vchan, DomainId peer, VchanPort port,
            VchanSettings settings) {
        DomainId self = vchan.localDomain(settings);
        String path = port.path(self, peer);
        return open(vchan, settings, port, vchan.publisher(self, peer, path, settings));
    }

    /** Connects to {@code port} of the server in {@code server}, waiting up to the connect timeout. */
    public static CompletionStage<VchanEndpoint> connect(Vchan vchan, DomainId server, VchanPort port,
            VchanSettings settings) {
        DomainId self = vchan.localDomain(settings);
        String path = port.path(server, self);
        return open(vchan, settings, port, vchan.connector(self, server, path, settings));
    }

    private static CompletionStage<VchanEndpoint> open(Vchan vchan, VchanSettings settings, VchanPort port,
            EndpointOpener opener) {
        Vchan.EndpointHandle handle = vchan.spawnEndpoint(opener, settings);
        CompletableFuture<VchanEndpoint> result = new CompletableFuture<>();
        handle.actor().tell(new EndpointProtocol.AwaitPeer(err -> {
            if (err != null) {
                result.completeExceptionally(err);
            } else {
                result.complete(new VchanEndpoint(handle, handle.opened().join(), port));
            }
        }));
        handle.closed().whenComplete((ok, err) -> result.completeExceptionally(
                err != null ? err : new VchanClosedException("vchan closed before it connected")));
        return result;
    }

    public DomainId localDomain() {
        return ring.localDomain();
    }

    public DomainId peerDomain() {
        return ring.peerDomain();
    }

    public VchanPort port() {
        return port;
    }

    public String xenStorePath() {
        return ring.path();
    }

    private <T> CompletableFuture<T> track(CompletableFuture<T> f) {
        if (closed.get()) {
            f.completeExceptionally(new VchanClosedException("vchan " + ring.path() + " is closed"));
            return f;
        }
        outstanding.add(f);
        f.whenComplete((v, e) -> outstanding.remove(f));
        if (closed.get()) {
            f.completeExceptionally(new VchanClosedException("vchan " + ring.path() + " is closed"));
        }
        return f;
    }

    /** At least one byte, or empty at end of stream. */
    public CompletionStage<Optional<ByteString>> read() {
        CompletableFuture<Optional<ByteString>> f = track(new CompletableFuture<>());
        if (!f.isDone()) {
            handle.actor().tell(new EndpointProtocol.Read(r -> {
                if (r instanceof Data d) {
                    f.complete(Optional.of(d.bytes()));
                } else if (r instanceof Failed failed) {
                    f.completeExceptionally(failed.cause());
                } else {
                    f.complete(Optional.empty());
                }
            }));
        }
        return f;
    }

    /** Completes when every byte is in the ring. */
    public CompletionStage<Done> write(ByteString data) {
        CompletableFuture<Done> f = track(new CompletableFuture<>());
        if (!f.isDone()) {
            handle.actor().tell(new EndpointProtocol.Write(data, err -> complete(f, err)));
        }
        return f;
    }

    /** Writes the buffers in order, as one write. */
    public CompletionStage<Done> writev(List<ByteString> buffers) {
        ByteString all = ByteString.emptyByteString();
        for (ByteString b : buffers) {
            all = all.concat(b);
        }
        return write(all);
    }

    /**
     * READ: pending and later reads end with end of stream (data stays in the
     * ring). WRITE: after the writes before it, tell the peer we write no more
     * (extension E1). READ_WRITE: both.
     */
    public CompletionStage<Done> shutdown(ShutdownMode mode) {
        CompletableFuture<Done> f = track(new CompletableFuture<>());
        if (f.isDone()) {
            return f;
        }
        if (mode != ShutdownMode.WRITE) {
            handle.actor().tell(new EndpointProtocol.ShutdownRead());
        }
        if (mode == ShutdownMode.READ) {
            f.complete(Done.getInstance());
        } else {
            handle.actor().tell(new EndpointProtocol.ShutdownWrite(err -> complete(f, err)));
        }
        return f;
    }

    /** Closes the channel and releases it; completes when that is done. Idempotent. */
    public CompletionStage<Done> closeAsync() {
        if (!closed.get()) {
            handle.actor().tell(EndpointProtocol.Close.INSTANCE);
        }
        return handle.closed().handle((ok, err) -> Done.getInstance());
    }

    @Override
    public void close() {
        closeAsync().toCompletableFuture().join();
    }

    private static void complete(CompletableFuture<Done> f, Throwable err) {
        if (err != null) {
            f.completeExceptionally(err);
        } else {
            f.complete(Done.getInstance());
        }
    }
}
