package io.vchan.connector.impl;

import io.vchan.bridge.events.EventLoop;
import io.vchan.bridge.ring.RingEndpoint;
import io.vchan.bridge.ring.VchanClosedException;
import io.vchan.connector.VchanPeerClosedException;
import io.vchan.connector.impl.EndpointProtocol.Abort;
import io.vchan.connector.impl.EndpointProtocol.AwaitPeer;
import io.vchan.connector.impl.EndpointProtocol.Close;
import io.vchan.connector.impl.EndpointProtocol.Command;
import io.vchan.connector.impl.EndpointProtocol.EndOfStream;
import io.vchan.connector.impl.EndpointProtocol.Failed;
import io.vchan.connector.impl.EndpointProtocol.OpenFailed;
import io.vchan.connector.impl.EndpointProtocol.Opened;
import io.vchan.connector.impl.EndpointProtocol.PortFired;
import io.vchan.connector.impl.EndpointProtocol.Read;
import io.vchan.connector.impl.EndpointProtocol.ReadResult;
import io.vchan.connector.impl.EndpointProtocol.ShutdownRead;
import io.vchan.connector.impl.EndpointProtocol.ShutdownWrite;
import io.vchan.connector.impl.EndpointProtocol.Write;
import java.io.IOException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.function.Consumer;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.PostStop;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;
import org.apache.pekko.annotation.InternalApi;
import org.apache.pekko.util.ByteString;
/**
 * INTERNAL API.
 *
 * Owns one vchan endpoint: opens it (on the blocking dispatcher), drives the
 * ring copies for reads and writes, and is the only one to close it. The
 * event loop tells it {@link PortFired}; it never blocks.
 *
 * <p>Reads copy out of the ring into a fresh array only when someone asked
 * ({@link Read}): without demand the data stays in the ring and the peer is
 * backpressured. Writes reply once their last byte is in the ring.
 */
@InternalApi
public final class EndpointActor extends AbstractBehavior<Command> {

    private final EventLoop loop;
    private final int readChunkSize;
    private final int spinBeforeSleep;
    private final ConnectionCounters counters;
    private final EventRoute route;
    private final CompletableFuture<RingEndpoint> opened;
    private final CompletableFuture<Void> closed;
    private final Executor blocking;
    /** Set-up result, handed from the blocking thread; see {@link #open}. */
    private final EndpointHandoff handoff = new EndpointHandoff();
    /** Completes once set-up has finished either way (and closed what it made, if we had stopped). */
    private final CompletableFuture<Void> openAttempt = new CompletableFuture<>();
    /** Completes when we give the channel up, so that a set-up still waiting for the peer stops waiting. */
    private final CompletableFuture<Void> givenUp = new CompletableFuture<>();
    private boolean released;

    private RingEndpoint endpoint;
    private ChunkedRing ring;
    private Read pendingRead;
    private boolean readShutdown;
    private final ArrayDeque<PendingWrite> writes = new ArrayDeque<>();
    private final List<Consumer<Throwable>> peerWaiters = new ArrayList<>();
    private Consumer<Throwable> shutdownAfterWrites;
    private final Target target;
    private final ConnectionLog log;
    private boolean toldConnected;

    /**
     * @param target   the channel, for what the log says of it
     * @param opener   makes the endpoint (publishes or connects); its blocking steps run on {@code blocking}
     * @param opened   completed with the endpoint once it exists (or the set-up failure)
     * @param closed   completed when the endpoint is closed and released (exceptionally on failure)
     * @param route    where the port's events go: here, unless a stage takes them
     */
    public static Behavior<Command> create(Target target, EventLoop loop, EndpointOpener opener, Executor blocking,
            int readChunkSize, int spinBeforeSleep, ConnectionCounters counters, EventRoute route,
            CompletableFuture<RingEndpoint> opened, CompletableFuture<Void> closed) {
        return Behaviors.setup(ctx -> new EndpointActor(ctx, target, loop, opener, blocking, readChunkSize,
                spinBeforeSleep, counters, route, opened, closed));
    }

    private EndpointActor(ActorContext<Command> ctx, Target target, EventLoop loop, EndpointOpener opener,
            Executor blocking, int readChunkSize, int spinBeforeSleep, ConnectionCounters counters,
            EventRoute route, CompletableFuture<RingEndpoint> opened, CompletableFuture<Void> closed) {
        super(ctx);
        this.target = target;
        this.log = new ConnectionLog(target);
        this.loop = loop;
        this.readChunkSize = readChunkSize;
        this.spinBeforeSleep = spinBeforeSleep;
        this.counters = counters;
        this.route = route;
        this.opened = opened;
        this.closed = closed;
        this.blocking = blocking;
        open(opener, blocking, ctx.getSelf());
    }

    /**
     * Set-up blocks (XenStore requests, mapping), so it runs elsewhere. If the
     * actor stops first, whoever comes second closes the endpoint: nothing leaks.
     */
    private void open(EndpointOpener opener, Executor blocking, ActorRef<Command> self) {
        // self is captured here: the context must not be touched from other threads
        CompletableFuture<RingEndpoint> attempt;
        try {
            attempt = opener.open(blocking, givenUp);
        } catch (RuntimeException e) {
            attempt = CompletableFuture.failedFuture(e);
        }
        attempt.whenComplete((ep, err) -> {
            try {
                if (err != null) {
                    self.tell(new OpenFailed(Failures.unwrap(err)));
                } else if (handoff.offer(ep)) {
                    self.tell(new Opened(ep));
                }
            } finally {
                openAttempt.complete(null);
            }
        });
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
        ring = new ChunkedRing(target, endpoint, counters, readChunkSize);
        var self = getContext().getSelf();
        Runnable toActor = () -> self.tell(PortFired.INSTANCE);
        route.attach(loop.register(endpoint.eventChannels(), endpoint.port(), endpoint.peerDomain(),
                endpoint::peerDomainGone, () -> route.fire(toActor)));
        opened.complete(endpoint);
        return service();
    }

    private Behavior<Command> onPortFired() {
        boolean awaited = !peerWaiters.isEmpty();
        ring.countEvent();
        Behavior<Command> next = service();
        // a stage that took the events over handles the next ones: no cause of ours to judge
        route.rearm(route.taken() || awaited != !peerWaiters.isEmpty() || next != this, counters.bytesMoved());
        return next;
    }

    private Behavior<Command> onRead(Read r) {
        if (endpoint == null) {
            r.reply().accept(new Failed(notYetOpen()));
            return this;
        }
        if (pendingRead != null) {
            r.reply().accept(new Failed(new IllegalStateException("a read is already pending")));
            return this;
        }
        if (route.taken()) {
            r.reply().accept(new Failed(drivenByStage()));
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
            w.reply().accept(notYetOpen());
            return this;
        }
        if (shutdownAfterWrites != null || endpoint.isClosed()) {
            w.reply().accept(new VchanClosedException("vchan " + endpoint.path() + " is shut down for writing"));
            return this;
        }
        if (route.taken()) {
            w.reply().accept(drivenByStage());
            return this;
        }
        writes.add(new PendingWrite(w));
        return service();
    }

    /** The ring has one reader and one writer: once a Flow stage drives it, only the stream may. */
    private IllegalStateException drivenByStage() {
        return new IllegalStateException("vchan " + endpoint.path() + " is driven by its Flow stage:"
                + " read and write through the stream");
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
            s.reply().accept(notYetOpen());
            return this;
        }
        if (shutdownAfterWrites == NO_REPLY) {
            s.reply().accept(null); // already done: idempotent
            return this;
        }
        if (shutdownAfterWrites != null) {
            Consumer<Throwable> first = shutdownAfterWrites;
            shutdownAfterWrites = err -> {
                first.accept(err);
                s.reply().accept(err);
            };
            return this;
        }
        shutdownAfterWrites = s.reply();
        return service();
    }

    /** Before the endpoint is open the waiter just queues: {@link #onOpened} services it. */
    private Behavior<Command> onAwaitPeer(AwaitPeer a) {
        peerWaiters.add(a.reply());
        return endpoint == null ? this : service();
    }

    /**
     * Reads and writes come from a VchanEndpoint or a connection, which exist
     * only once the peer is there; earlier is a caller's bug.
     */
    private IllegalStateException notYetOpen() {
        return new IllegalStateException("the vchan endpoint is not open yet: await the peer first");
    }

    private Behavior<Command> onClose(Close c) {
        failPending(new VchanClosedException("vchan " + describe() + " was closed locally"));
        opened.completeExceptionally(new VchanClosedException("vchan " + describe() + " closed before it opened"));
        release(null);
        return Behaviors.stopped();
    }

    /** Once per connection: when both ends are there. */
    private void tellConnected() {
        if (!toldConnected) {
            toldConnected = true;
            log.connected(endpoint.orders());
        }
    }

    private String describe() {
        return endpoint != null ? endpoint.path() : "(not yet open)";
    }

    /** Looks at the ring: answers what can be answered, arms wake-ups for the rest. */
    private Behavior<Command> service() {
        try {
            if (!peerWaiters.isEmpty() && endpoint.peerState() != RingEndpoint.PeerState.WAITING) {
                // answered before replying: a reply that throws must not be answered again
                List<Consumer<Throwable>> answered = List.copyOf(peerWaiters);
                peerWaiters.clear();
                tellConnected();
                answered.forEach(w -> w.accept(null));
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
        ReadResult result = ring.readOrArm(spinBeforeSleep);
        if (result != null) {
            replyRead(result);
        } // else the peer will signal when it writes
    }

    private void replyRead(ReadResult result) {
        Read r = pendingRead;
        pendingRead = null;
        r.reply().accept(result);
    }

    private void serviceWrites() throws IOException {
        while (!writes.isEmpty()) {
            PendingWrite w = writes.peek();
            w.writeInto(ring, spinBeforeSleep);
            if (!w.done()) {
                return; // the ring is full: the peer will signal when it reads
            }
            writes.poll();
            ring.countRingWrite();
            w.command.reply().accept(null);
        }
        if (shutdownAfterWrites != null && shutdownAfterWrites != NO_REPLY) {
            endpoint.shutdownWrite();
            Consumer<Throwable> reply = shutdownAfterWrites;
            shutdownAfterWrites = NO_REPLY;
            reply.accept(null);
        }
    }

    private static final Consumer<Throwable> NO_REPLY = t -> { };

    /** Fails everything pending, releases the channel and stops: whatever went wrong, nothing stays held. */
    private Behavior<Command> fail(Throwable cause) {
        Throwable reported = cause instanceof VchanClosedException
                && !(cause instanceof VchanPeerClosedException) && !writes.isEmpty()
                ? UnsentBytes.peerClosed(describe(), writes.stream().mapToLong(PendingWrite::unsent).sum(), cause)
                : cause;
        opened.completeExceptionally(reported);
        failPending(reported);
        release(reported);
        return Behaviors.stopped();
    }

    /** Answers every request still waiting, with {@code cause}. */
    private void failPending(Throwable cause) {
        if (pendingRead != null) {
            Read r = pendingRead;
            pendingRead = null;
            r.reply().accept(new Failed(cause));
        }
        List<Consumer<Throwable>> waiting = new ArrayList<>();
        writes.forEach(w -> waiting.add(w.command.reply()));
        writes.clear();
        waiting.addAll(peerWaiters);
        peerWaiters.clear();
        if (shutdownAfterWrites != null && shutdownAfterWrites != NO_REPLY) {
            waiting.add(shutdownAfterWrites);
            shutdownAfterWrites = NO_REPLY;
        }
        waiting.forEach(w -> w.accept(cause));
    }

    /**
     * Gives the channel up: stops listening to its port, then closes it on the
     * blocking dispatcher (unpublishing talks to XenStore) and only then
     * completes {@code closed}, after any set-up still running has finished.
     */
    private void release(Throwable failure) {
        if (released) {
            return;
        }
        released = true;
        log.releasing();
        givenUp.complete(null);
        RingEndpoint late = handoff.stop().orElse(null);
        RingEndpoint ep = endpoint != null ? endpoint : late;
        if (endpoint != null) {
            loop.unregister(endpoint.eventChannels(), endpoint.port());
        }
        Runnable close = () -> {
            try {
                if (ep != null) {
                    ep.close();
                }
            } finally {
                if (failure == null) {
                    log.closed(counters);
                    closed.complete(null);
                } else {
                    log.failed(failure, counters);
                    closed.completeExceptionally(failure);
                }
            }
        };
        openAttempt.whenComplete((ok, err) -> {
            try {
                blocking.execute(close);
            } catch (RejectedExecutionException e) {
                close.run(); // the actor system is shutting down: close here rather than leak
            }
        });
    }

    private Behavior<Command> onStop() {
        // Stopped without Close or a failure (a thrown exception, the system terminating): release anyway.
        if (!released) {
            VchanClosedException stopped = new VchanClosedException("the actor of vchan " + describe()
                    + " stopped");
            opened.completeExceptionally(stopped);
            failPending(stopped);
            release(stopped);
        }
        return this;
    }

    /** A write in progress: what of its bytes is not yet in the ring. */
    private static final class PendingWrite {
        final Write command;
        private ByteString rest;

        PendingWrite(Write command) {
            this.command = command;
            this.rest = command.data();
        }

        void writeInto(ChunkedRing ring, int spins) throws IOException {
            rest = rest.drop(ring.writeOrArm(rest, spins));
        }

        boolean done() {
            return rest.isEmpty();
        }

        long unsent() {
            return rest.size();
        }
    }
}
