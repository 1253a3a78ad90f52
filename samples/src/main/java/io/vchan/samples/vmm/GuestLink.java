package io.vchan.samples.vmm;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.vchan.connector.DomainId;
import io.vchan.connector.Vchan;
import io.vchan.connector.VchanConnection;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.pekko.Done;
import org.apache.pekko.NotUsed;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.DispatcherSelector;
import org.apache.pekko.actor.typed.PostStop;
import org.apache.pekko.actor.typed.PreRestart;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;
import org.apache.pekko.japi.Pair;
import org.apache.pekko.pattern.StatusReply;
import org.apache.pekko.stream.BoundedSourceQueue;
import org.apache.pekko.stream.KillSwitches;
import org.apache.pekko.stream.QueueOfferResult;
import org.apache.pekko.stream.UniqueKillSwitch;
import org.apache.pekko.stream.javadsl.Flow;
import org.apache.pekko.stream.javadsl.Keep;
import org.apache.pekko.stream.javadsl.RestartFlow;
import org.apache.pekko.stream.javadsl.Sink;
import org.apache.pekko.stream.javadsl.Source;
import org.apache.pekko.util.ByteString;

/**
 * The manager's link to one guest agent: a vchan client wrapped in
 * {@link RestartFlow#withBackoff}, so a lost agent is reconnected for as long
 * as this actor lives. Requests go out only while connected (a caller learns
 * at once that the guest is away rather than waiting for it), and requests
 * in flight when a connection ends fail with it. A guest known by name is
 * looked up before every attempt, so the link follows it to a new domain. State
 * changes go to the manager.
 */
final class GuestLink extends AbstractBehavior<GuestLink.Command> {

    sealed interface Command {
    }

    record Ping(ActorRef<StatusReply<Pong>> replyTo) implements Command {
    }

    record Run(List<String> cmd, ActorRef<StatusReply<RunResult>> replyTo) implements Command {
    }

    record Status(ActorRef<StatusReply<GuestStatus>> replyTo) implements Command {
    }

    /** Connection attempt {@code attempt} is up, to the guest in {@code domain}. */
    private record Connected(long attempt, DomainId domain, VchanConnection connection) implements Command {
    }

    /** Attempt {@code attempt} never connected (no such guest, no agent within the connect timeout, or it failed). */
    private record ConnectFailed(long attempt, Throwable cause) implements Command {
    }

    /** Attempt {@code attempt} was connected and has ended; {@code cause} is null for a clean close. */
    private record Disconnected(long attempt, Throwable cause) implements Command {
    }

    private record FromAgent(long attempt, ByteString line) implements Command {
    }

    private record RequestTimedOut(long id) implements Command {
    }

    /** The reconnecting stream itself ended: unexpected, so the link fails and its supervisor restarts it. */
    private record StreamEnded(Throwable cause) implements Command {
    }

    private final GuestAddress guest;
    /** Where a named guest is looked up; null for a fixed domain. */
    private final GuestDirectory directory;
    private final Executor blocking;
    private final LinkSettings settings;
    private final ActorRef<GuestInfo> manager;
    private final Vchan vchan;
    /** Counted by the stream's connection factory, on stream threads. */
    private final AtomicLong attempts = new AtomicLong();
    private final TimerScheduler<Command> timers;
    private final BoundedSourceQueue<ByteString> requests;
    private final UniqueKillSwitch stream;
    private final Map<Long, PendingRequest> pending = new HashMap<>();
    private LinkState state = LinkState.CONNECTING;
    private long connectedAttempt = -1;
    private DomainId connectedDomain;
    private int connects;
    private long nextId = 1;

    static Behavior<Command> create(GuestAddress guest, GuestDirectory directory, LinkSettings settings,
            ActorRef<GuestInfo> manager) {
        return Behaviors.setup(ctx -> Behaviors.withTimers(timers -> new GuestLink(ctx, timers, guest, directory,
                settings, manager)));
    }

    private GuestLink(ActorContext<Command> ctx, TimerScheduler<Command> timers, GuestAddress guest,
            GuestDirectory directory, LinkSettings settings, ActorRef<GuestInfo> manager) {
        super(ctx);
        this.guest = guest;
        this.directory = directory;
        this.blocking = ctx.getSystem().dispatchers().lookup(DispatcherSelector.blocking());
        this.settings = settings;
        this.manager = manager;
        this.timers = timers;
        this.vchan = Vchan.get(ctx.getSystem());
        ActorRef<Command> self = ctx.getSelf();
        Pair<Pair<BoundedSourceQueue<ByteString>, UniqueKillSwitch>, CompletionStage<Done>> run =
                Source.<ByteString>queue(64)
                        .via(RestartFlow.withBackoff(settings.restart(), () -> connection(self)))
                        .viaMat(KillSwitches.single(), Keep.both())
                        .toMat(Sink.foreach(self::tell), Keep.both())
                        .run(ctx.getSystem());
        this.requests = run.first().first();
        this.stream = run.first().second();
        run.second().whenComplete((done, failure) -> self.tell(new StreamEnded(failure)));
        report("waiting for the agent");
    }

    /**
     * One connection attempt, made by RestartFlow on a stream thread: it may only
     * tell this actor, never touch its state. Lines are tagged with the attempt so
     * that nothing from an old connection is taken for the current one.
     */
    private Flow<ByteString, Command, NotUsed> connection(ActorRef<Command> self) {
        long attempt = attempts.incrementAndGet();
        CompletionStage<DomainId> domain = domain();
        domain.whenComplete((d, failure) -> {
            if (failure != null) {
                self.tell(new ConnectFailed(attempt, failure));
            }
        });
        return Flow.completionStageFlow(domain.thenApply(d -> client(self, attempt, d)))
                .mapMaterializedValue(m -> NotUsed.notUsed())
                .map(line -> new FromAgent(attempt, line));
    }

    /** Where the guest is now: its fixed domain, or the one its name is on (a lookup on a blocking thread). */
    private CompletionStage<DomainId> domain() {
        if (guest.fixedDomain().isPresent()) {
            return CompletableFuture.completedFuture(guest.fixedDomain().get());
        }
        return CompletableFuture.supplyAsync(() -> {
            try {
                return directory.domainOf(guest.name());
            } catch (Exception e) {
                throw new CompletionException(e);
            }
        }, blocking);
    }

    private Flow<ByteString, ByteString, NotUsed> client(ActorRef<Command> self, long attempt, DomainId domain) {
        return vchan.client(domain, settings.port(), settings.vchan())
                .mapMaterializedValue(connected -> {
                    connected.whenComplete((connection, failure) -> {
                        if (failure != null) {
                            self.tell(new ConnectFailed(attempt, failure));
                        } else {
                            self.tell(new Connected(attempt, domain, connection));
                            connection.whenClosed().whenComplete((d, cause) ->
                                    self.tell(new Disconnected(attempt, cause)));
                        }
                    });
                    return NotUsed.notUsed();
                })
                .via(AgentProtocol.lines());
    }

    @Override
    public Receive<Command> createReceive() {
        return newReceiveBuilder()
                .onMessage(Ping.class, m -> send(AgentProtocol.ping(nextId),
                        new PendingRequest.Ping(connectedAttempt, connectedDomain, m.replyTo())))
                .onMessage(Run.class, m -> send(AgentProtocol.run(nextId, m.cmd()),
                        new PendingRequest.Run(connectedAttempt, m.replyTo())))
                .onMessage(Status.class, m -> send(AgentProtocol.status(nextId),
                        new PendingRequest.Status(connectedAttempt, connectedDomain, m.replyTo())))
                .onMessage(Connected.class, this::onConnected)
                .onMessage(ConnectFailed.class, m -> {
                    report("no agent yet: " + reason(m.cause()));
                    return this;
                })
                .onMessage(Disconnected.class, this::onDisconnected)
                .onMessage(FromAgent.class, this::onAnswer)
                .onMessage(RequestTimedOut.class, m -> {
                    PendingRequest p = pending.remove(m.id());
                    if (p != null) {
                        p.fail(guest.name() + " did not answer within " + settings.requestTimeout());
                    }
                    return this;
                })
                .onMessage(StreamEnded.class, m -> {
                    throw new IllegalStateException("link to " + guest.name() + " ended", m.cause());
                })
                .onSignal(PreRestart.class, s -> stop("link restarting"))
                .onSignal(PostStop.class, s -> stop("manager stopped"))
                .build();
    }

    private Behavior<Command> send(ObjectNode request, PendingRequest p) {
        if (state != LinkState.CONNECTED) {
            p.fail(guest.name() + " is " + state + ", not connected");
            return this;
        }
        long id = nextId++;
        if (requests.offer(AgentProtocol.encode(request)) != QueueOfferResult.enqueued()) {
            p.fail("too many requests to " + guest.name());
            return this;
        }
        pending.put(id, p);
        timers.startSingleTimer(id, new RequestTimedOut(id), settings.requestTimeout());
        return this;
    }

    private Behavior<Command> onConnected(Connected m) {
        connectedAttempt = m.attempt();
        connectedDomain = m.domain();
        connects++;
        state = LinkState.CONNECTED;
        report(m.connection().xenStorePath());
        return this;
    }

    private Behavior<Command> onDisconnected(Disconnected m) {
        failPending(m.attempt(), "connection to " + guest.name() + " lost");
        if (m.attempt() == connectedAttempt) {
            state = LinkState.RECONNECTING;
            report(m.cause() == null ? "the channel closed" : reason(m.cause()));
        }
        return this;
    }

    private Behavior<Command> onAnswer(FromAgent m) throws Exception {
        JsonNode line = AgentProtocol.decode(m.line());
        long id = line.path("id").asLong(-1);
        PendingRequest p = pending.get(id);
        if (p == null || p.attempt != m.attempt()) {
            return this; // late: it timed out, or its connection was given up
        }
        boolean complete;
        if (line.has("error")) {
            p.fail(guest.name() + ": " + line.get("error").asText());
            complete = true;
        } else {
            complete = p.answer(line);
        }
        if (complete) {
            pending.remove(id);
            timers.cancel(id);
        }
        return this;
    }

    private void failPending(long attempt, String reason) {
        for (Iterator<PendingRequest> it = pending.values().iterator(); it.hasNext(); ) {
            PendingRequest p = it.next();
            if (p.attempt <= attempt) {
                p.fail(reason);
                it.remove();
            }
        }
    }

    private Behavior<Command> stop(String reason) {
        stream.shutdown();
        failPending(Long.MAX_VALUE, reason);
        return this;
    }

    private void report(String detail) {
        manager.tell(new GuestInfo(guest.name(), Optional.ofNullable(connectedDomain), state, connects, detail));
    }

    private static String reason(Throwable t) {
        Throwable c = t;
        while (c.getCause() != null && (c.getMessage() == null || c instanceof CompletionException)) {
            c = c.getCause();
        }
        return c.getMessage() == null ? c.getClass().getSimpleName() : c.getMessage();
    }
}
