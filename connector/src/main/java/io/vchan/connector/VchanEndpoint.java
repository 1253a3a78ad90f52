package io.vchan.connector;

import io.vchan.bridge.ring.RingEndpoint;
import io.vchan.bridge.ring.Role;
import io.vchan.connector.impl.Domains;
import io.vchan.connector.impl.EndpointHandle;
import io.vchan.connector.impl.EndpointOpener;
import io.vchan.connector.impl.EndpointProtocol.Data;
import io.vchan.connector.impl.EndpointProtocol.Failed;
import io.vchan.connector.impl.EndpointProtocol;
import io.vchan.connector.impl.Failures;
import io.vchan.connector.impl.Target;
import io.vchan.connector.impl.VchanRuntime;
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
public final class VchanEndpoint implements VchanChannel, AutoCloseable {

    /** What {@link #shutdown} stops. */
    public enum ShutdownMode {
        /** Reading: pending and later reads end with end of stream. */
        READ,
        /** Writing: after the writes before it, the peer is told we write no more (extension E1). */
        WRITE,
        /** Both. */
        READ_WRITE
    }

    private final EndpointHandle handle;
    private final RingEndpoint ring;
    private final VchanPort port;
    private final AtomicBoolean closed = new AtomicBoolean();
    /** Requests the actor may never answer if it stops first: failed when it does. */
    private final Set<CompletableFuture<?>> outstanding = ConcurrentHashMap.newKeySet();

    private VchanEndpoint(EndpointHandle handle, RingEndpoint ring, VchanPort port) {
        this.handle = handle;
        this.ring = ring;
        this.port = port;
        handle.closed().whenComplete((ok, err) -> {
            closed.set(true);
            VchanClosedException gone = new VchanClosedException("vchan " + ring.path() + " is closed");
            outstanding.forEach(f -> f.completeExceptionally(err != null ? Failures.toApi(err) : gone));
        });
    }

    /**
     * Publishes {@code port} for {@code peer} and completes once a client has connected.
     *
     * @param vchan    the actor system's extension
     * @param peer     the only domain that may connect
     * @param port     the port name
     * @param settings the connection's settings
     * @return completes with the endpoint once a client is there, or fails with a {@link VchanException}
     */
    public static CompletionStage<VchanEndpoint> serve(Vchan vchan, DomainId peer, VchanPort port,
            VchanSettings settings) {
        VchanRuntime runtime = vchan.runtime();
        DomainId self = vchan.localDomain(settings);
        Target target = new Target(Role.SERVER, Domains.bridge(self), Domains.bridge(peer), port, port.path(self, peer));
        return open(runtime, settings, target, runtime.publisher(target.self(), target.peer(), target.path(),
                settings));
    }

    /**
     * Connects to {@code port} of the server in {@code server}, waiting up to the connect timeout.
     *
     * @param vchan    the actor system's extension
     * @param server   the domain that published the channel
     * @param port     the port name
     * @param settings the connection's settings
     * @return completes with the endpoint once connected, or fails with a {@link VchanException}
     */
    public static CompletionStage<VchanEndpoint> connect(Vchan vchan, DomainId server, VchanPort port,
            VchanSettings settings) {
        VchanRuntime runtime = vchan.runtime();
        DomainId self = vchan.localDomain(settings);
        Target target = new Target(Role.CLIENT, Domains.bridge(self), Domains.bridge(server), port,
                port.path(server, self));
        return open(runtime, settings, target, runtime.connector(target.self(), target.peer(), target.path(),
                settings));
    }

    private static CompletionStage<VchanEndpoint> open(VchanRuntime runtime, VchanSettings settings, Target target,
            EndpointOpener opener) {
        VchanPort port = target.port();
        EndpointHandle handle = runtime.spawnEndpoint(target, opener, settings);
        CompletableFuture<VchanEndpoint> result = new CompletableFuture<>();
        handle.actor().tell(new EndpointProtocol.AwaitPeer(err -> {
            if (err != null) {
                result.completeExceptionally(Failures.toApi(err));
            } else {
                result.complete(new VchanEndpoint(handle, handle.opened().join(), port));
            }
        }));
        handle.closed().whenComplete((ok, err) -> result.completeExceptionally(
                err != null ? Failures.toApi(err) : new VchanClosedException("vchan closed before it connected")));
        return result;
    }

    @Override
    public DomainId localDomain() {
        return Domains.api(ring.localDomain());
    }

    @Override
    public DomainId peerDomain() {
        return Domains.api(ring.peerDomain());
    }

    @Override
    public VchanPort port() {
        return port;
    }

    @Override
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

    /**
     * Reads what the peer wrote.
     *
     * @return at least one byte (a fresh buffer), or empty at end of stream
     */
    public CompletionStage<Optional<ByteString>> read() {
        CompletableFuture<Optional<ByteString>> f = track(new CompletableFuture<>());
        if (!f.isDone()) {
            handle.actor().tell(new EndpointProtocol.Read(r -> {
                if (r instanceof Data d) {
                    f.complete(Optional.of(d.bytes()));
                } else if (r instanceof Failed failed) {
                    f.completeExceptionally(Failures.toApi(failed.cause()));
                } else {
                    f.complete(Optional.empty());
                }
            }));
        }
        return f;
    }

    /**
     * Writes {@code data}.
     *
     * @param data the bytes
     * @return completes when every byte is in the ring; fails with {@link VchanClosedException} after close
     */
    public CompletionStage<Done> write(ByteString data) {
        CompletableFuture<Done> f = track(new CompletableFuture<>());
        if (!f.isDone()) {
            handle.actor().tell(new EndpointProtocol.Write(data, err -> complete(f, err)));
        }
        return f;
    }

    /**
     * Writes the buffers in order, as one write.
     *
     * @param buffers the bytes, in order
     * @return completes when every byte is in the ring
     */
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
     *
     * @param mode what to stop
     * @return completes once done
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

    /**
     * Closes the channel and releases it. Idempotent.
     *
     * @return completes when that is done
     */
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
            f.completeExceptionally(Failures.toApi(err));
        } else {
            f.complete(Done.getInstance());
        }
    }
}
