package io.vchan.connector.impl;

import io.vchan.bridge.events.EventLoop;
import io.vchan.bridge.ring.RingEndpoint;
import io.vchan.bridge.ring.VchanClosedException;
import io.vchan.connector.VchanPeerClosedException;
import io.vchan.connector.impl.EndpointProtocol.AwaitPeer;
import io.vchan.connector.impl.EndpointProtocol.Close;
import io.vchan.connector.impl.EndpointProtocol.Command;
import io.vchan.connector.impl.EndpointProtocol.Data;
import io.vchan.connector.impl.EndpointProtocol.EndOfStream;
import io.vchan.connector.impl.EndpointProtocol.Failed;
import io.vchan.connector.impl.EndpointProtocol.Opened;
import io.vchan.connector.impl.EndpointProtocol.OpenFailed;
import io.vchan.connector.impl.EndpointProtocol.PortFired;
import io.vchan.connector.impl.EndpointProtocol.Read;
import io.vchan.connector.impl.EndpointProtocol.ReadResult;
import io.vchan.connector.impl.EndpointProtocol.ShutdownRead;
import io.vchan.connector.impl.EndpointProtocol.ShutdownWrite;
import io.vchan.connector.impl.EndpointProtocol.Write;
import io.vchan.connector.impl.EndpointProtocol.Abort;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.PostStop;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;
import org.apache.pekko.util.ByteString;

/**
 * Owns one vchan endpoint: opens it (on the blocking dispatcher), drives the
 * ring copies for reads and writes, and is the only one to close it. The
 * event loop tells it {@link PortFired}; it never blocks.
 *
 * <p>Reads copy out of the ring into a fresh array only when someone asked
 * ({@link Read}): without demand the data stays in the ring and the peer is
 * backpressured. Writes reply once their last byte is in the ring.
 */
public final class EndpointActor extends AbstractBehavior<Command> {

    /** Marks the hand-off slot once the actor has stopped. */
    private static final Object STOPPED = new Object();

    private final EventLoop loop;
    private final int readChunkSize;
    private final int spinBeforeSleep;
    private final ConnectionCounters counters;
    private final CompletableFuture<RingEndpoint> opened;
    private final CompletableFuture<Void> closed;
    /** Set-up result, handed from the blocking thread; see {@link #open}. */
    private final AtomicReference<Object> handoff = new AtomicReference<>();

    private RingEndpoint endpoint;
    private Read pendingRead;
    private boolean readShutdown;
    private final ArrayDeque<PendingWrite> writes = new ArrayDeque<>();
    private final List<Consumer<Throwable>> peerWaiters = new ArrayList<>();
    private Consumer<Throwable> shutdownAfterWrites;
    private final List<Command> early = new ArrayList<>();

    /**
     * @param opener   makes the endpoint (publishes or connects); runs on {@code blocking}
     * @param opened   completed with the endpoint once it exists (or the set-up failure)
     * @param closed   completed when the endpoint is closed and released (exceptionally on failure)
     */
    public static Behavior<Command> create(EventLoop loop, Callable<RingEndpoint> opener, Executor blocking,
            int readChunkSize, int spinBeforeSleep, ConnectionCounters counters,
            CompletableFuture<RingEndpoint> opened, CompletableFuture<Void> closed) {
        return Behaviors.setup(ctx -> new EndpointActor(ctx, loop, opener, blocking, readChunkSize,
                spinBeforeSleep, counters, opened, closed));
    }

    private EndpointActor(ActorContext<Command> ctx, EventLoop loop, Callable<RingEndpoint> opener,
            Executor blocking, int readChunkSize, int spinBeforeSleep, ConnectionCounters counters,
            CompletableFuture<RingEndpoint> opened, CompletableFuture<Void> closed) {
        super(ctx);
        this.loop = loop;
        this.readChunkSize = readChunkSize;
        this.spinBeforeSleep = spinBeforeSleep;
        this.counters = counters;
        this.opened = opened;
        this.closed = closed;
        open(opener, blocking);
    }

    /**
     * Set-up blocks (XenStore waits, mapping), so it runs elsewhere. If the actor
     * stops first, whoever comes second closes the endpoint: nothing leaks.
     */
    private void open(Callable<RingEndpoint> opener, Executor blocking) {
        CompletableFuture.supplyAsync(() -> {
            try {
                return opener.call();
            } catch (Exception e) {
                throw new java.util.concurrent.CompletionException(e);
            }
        }, blocking).whenComplete((ep, err) -> {
            if (err != null) {
                getContext().getSelf().tell(new OpenFailed(unwrap(err)));
            } else if (handoff.compareAndSet(null, ep)) {
                getContext().getSelf().tell(new Opened(ep));
            } else {
                ep.close();
            }
        });
    }

    private static Throwable unwrap(Throwable t) {
        return t instanceof java.util.concurrent.CompletionException && t.getCause() != null ? t.getCause() : t;
    }

    @Override
    public Receive<Command> createReceive() {
        return newReceiveBuilder()
                .onMessage(Opened.class, this::onOpened)
                .onMessage(OpenFailed.class, m -> fail(m.cause()))
                .onMessage(PortFired.class, m -> onPortFired())
                .onMessage(Read.class, this::onRead)
                .onMessage(Write.class, this::onWrite)
                .onMessage(ShutdownRead.class, m -> onShutdownRead())
                .onMessage(ShutdownWrite.class, this::onShutdownWrite)
                .onMessage(AwaitPeer.class, this::onAwaitPeer)
                .onMessage(Close.class, this::onClose)
                .onMessage(Abort.class, m -> fail(m.cause()))
                .onSignal(PostStop.class, s -> onStop())
                .build();
    }

    private Behavior<Command> onOpened(Opened m) {
        endpoint = m.endpoint();
        var self = getContext().getSelf();
        loop.register(endpoint.eventChannels(), endpoint.port(), () -> self.tell(PortFired.INSTANCE));
        opened.complete(endpoint);
        List<Command> queued = new ArrayList<>(early);
        early.clear();
        Behavior<Command> next = this;
        for (Command c : queued) {
            if (c instanceof Read r) {
                next = onRead(r);
            } else if (c instanceof Write w) {
                next = onWrite(w);
            } else if (c instanceof ShutdownWrite s) {
                next = onShutdownWrite(s);
            } else if (c instanceof AwaitPeer a) {
                next = onAwaitPeer(a);
            }
            if (next != this) {
                return next;
            }
        }
        return service();
    }

    private Behavior<Command> onPortFired() {
        ConnectionCounters.add(counters.notificationsIn, 1);
        return service();
    }

    private Behavior<Command> onRead(Read r) {
        if (endpoint == null) {
            early.add(r);
            return this;
        }
        if (pendingRead != null) {
            r.reply().accept(new Failed(new IllegalStateException("a read is already pending")));
            return this;
        }
        if (readShutdown) {
            r.reply().accept(EndOfStream.INSTANCE);
            return this;
        }
        pendingRead = r;
        return service();
    }

    private Behavior<Command> onWrite(Write w) {
        if (endpoint == null) {
            early.add(w);
            return this;
        }
        if (shutdownAfterWrites != null || endpoint.isClosed()) {
            w.reply().accept(new VchanClosedException("vchan " + endpoint.path() + " is shut down for writing"));
            return this;
        }
        writes.add(new PendingWrite(w));
        return service();
    }

    private Behavior<Command> onShutdownRead() {
        readShutdown = true;
        if (pendingRead != null) {
            Read r = pendingRead;
            pendingRead = null;
            r.reply().accept(EndOfStream.INSTANCE);
        }
        return this;
    }

    private Behavior<Command> onShutdownWrite(ShutdownWrite s) {
        if (endpoint == null) {
            early.add(s);
            return this;
        }
        if (shutdownAfterWrites != null) {
            s.reply().accept(null); // already asked for: idempotent
            return this;
        }
        shutdownAfterWrites = s.reply();
        return service();
    }

    private Behavior<Command> onAwaitPeer(AwaitPeer a) {
        if (endpoint == null) {
            early.add(a);
            return this;
        }
        peerWaiters.add(a.reply());
        return service();
    }

    private Behavior<Command> onClose(Close c) {
        closeEndpoint(new VchanClosedException("vchan closed locally"));
        closed.complete(null);
        c.reply().run();
        return Behaviors.stopped();
    }

    /** Looks at the ring: answers what can be answered, arms wake-ups for the rest. */
    private Behavior<Command> service() {
        try {
            if (!peerWaiters.isEmpty() && endpoint.peerState() != RingEndpoint.PeerState.WAITING) {
                peerWaiters.forEach(w -> w.accept(null));
                peerWaiters.clear();
            }
            if (!peerWaiters.isEmpty()) {
                return this; // the client is not there yet: nothing else can move
            }
            serviceWrites();
            serviceRead();
            return this;
        } catch (IOException | RuntimeException e) {
            return fail(e);
        }
    }

    private void serviceRead() throws IOException {
        if (pendingRead == null) {
            return;
        }
        for (int spin = 0; ; spin++) {
            int ready = endpoint.dataReady();
            if (ready > 0) {
                byte[] chunk = new byte[Math.min(ready, readChunkSize)];
                int n = endpoint.read(ByteBuffer.wrap(chunk));
                ConnectionCounters.add(counters.bytesIn, n);
                replyRead(new Data(ByteString.fromArrayUnsafe(chunk, 0, n)));
                return;
            }
            if (endpoint.isEndOfStream()) {
                replyRead(EndOfStream.INSTANCE);
                return;
            }
            if (spin >= spinBeforeSleep && endpoint.armReadWakeup() == 0) {
                return; // the peer will signal when it writes
            }
        }
    }

    private void replyRead(ReadResult result) {
        Read r = pendingRead;
        pendingRead = null;
        r.reply().accept(result);
    }

    private void serviceWrites() throws IOException {
        int spin = 0;
        while (!writes.isEmpty()) {
            PendingWrite w = writes.peek();
            int n = w.writeInto(endpoint);
            ConnectionCounters.add(counters.bytesOut, n);
            if (w.done()) {
                writes.poll();
                w.command.reply().accept(null);
                continue;
            }
            if (n > 0 || spin++ < spinBeforeSleep) {
                continue;
            }
            if (endpoint.armWriteWakeup() == 0) {
                ConnectionCounters.add(counters.ringFullWaits, 1);
                return; // the peer will signal when it reads
            }
        }
        if (shutdownAfterWrites != null && !endpoint.isClosed()) {
            endpoint.shutdownWrite();
            Consumer<Throwable> reply = shutdownAfterWrites;
            shutdownAfterWrites = NO_REPLY;
            reply.accept(null);
        }
    }

    private static final Consumer<Throwable> NO_REPLY = t -> { };

    /** Fails everything pending, closes the endpoint and stops. */
    private Behavior<Command> fail(Throwable cause) {
        Throwable reported = cause instanceof VchanClosedException && !writes.isEmpty()
                ? new VchanPeerClosedException("the peer closed with " + writes.size()
                        + " write(s) not yet in the ring", cause)
                : cause;
        opened.completeExceptionally(reported);
        closeEndpoint(reported);
        closed.completeExceptionally(reported);
        return Behaviors.stopped();
    }

    private void closeEndpoint(Throwable cause) {
        if (pendingRead != null) {
            Read r = pendingRead;
            pendingRead = null;
            r.reply().accept(new Failed(cause));
        }
        for (PendingWrite w : writes) {
            w.command.reply().accept(cause);
        }
        writes.clear();
        for (Consumer<Throwable> w : peerWaiters) {
            w.accept(cause);
        }
        peerWaiters.clear();
        if (shutdownAfterWrites != null && shutdownAfterWrites != NO_REPLY) {
            shutdownAfterWrites.accept(cause);
            shutdownAfterWrites = NO_REPLY;
        }
        for (Command c : early) {
            if (c instanceof Read r) {
                r.reply().accept(new Failed(cause));
            } else if (c instanceof Write w) {
                w.reply().accept(cause);
            } else if (c instanceof ShutdownWrite s) {
                s.reply().accept(cause);
            } else if (c instanceof AwaitPeer a) {
                a.reply().accept(cause);
            }
        }
        early.clear();
        if (endpoint != null && !endpoint.isClosed()) {
            loop.unregister(endpoint.eventChannels(), endpoint.port());
            endpoint.close();
        }
    }

    private Behavior<Command> onStop() {
        Object pending = handoff.getAndSet(STOPPED);
        if (pending instanceof RingEndpoint ep && ep != endpoint) {
            ep.close(); // opened, but the actor stopped before it heard
        }
        closeEndpoint(new VchanClosedException("vchan endpoint actor stopped"));
        opened.completeExceptionally(new VchanClosedException("vchan endpoint actor stopped"));
        closed.complete(null);
        return this;
    }

    /** A write in progress: the buffers of its ByteString, copied in as space allows. */
    private static final class PendingWrite {
        final Write command;
        private final Iterator<ByteBuffer> buffers;
        private ByteBuffer current;

        PendingWrite(Write command) {
            this.command = command;
            this.buffers = command.data().getByteBuffers().iterator();
            this.current = buffers.hasNext() ? buffers.next() : ByteBuffer.allocate(0);
        }

        int writeInto(RingEndpoint endpoint) throws IOException {
            int total = 0;
            while (true) {
                if (!current.hasRemaining()) {
                    if (!buffers.hasNext()) {
                        return total;
                    }
                    current = buffers.next();
                    continue;
                }
                int n = endpoint.write(current);
                total += n;
                if (n == 0) {
                    return total;
                }
            }
        }

        boolean done() {
            return !current.hasRemaining() && !buffers.hasNext();
        }
    }
}
