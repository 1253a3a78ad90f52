package io.vchan.samples.vmm;

import io.vchan.bridge.xen.DomainId;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.function.Predicate;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.pattern.StatusReply;

/** A test's view of a {@link Manager}: its asks as plain calls, and waiting for a guest's link. */
public final class ManagerClient {

    private static final Duration ASK = Duration.ofSeconds(10);
    private static final Duration WAIT = Duration.ofSeconds(60);

    private final ActorRef<Manager.Command> manager;
    private final ActorSystem<?> system;

    public ManagerClient(ActorRef<Manager.Command> manager, ActorSystem<?> system) {
        this.manager = manager;
        this.system = system;
    }

    public Pong ping(int guest) throws Exception {
        return ask(reply -> new Manager.Ping(DomainId.of(guest), reply));
    }

    public RunResult run(int guest, String... cmd) throws Exception {
        return ask(reply -> new Manager.Run(DomainId.of(guest), List.of(cmd), reply));
    }

    public GuestStatus status(int guest) throws Exception {
        return ask(reply -> new Manager.Status(DomainId.of(guest), reply));
    }

    /** The reason {@code request} fails; an AssertionError if it succeeds. */
    public static String failureOf(Callable<?> request) throws Exception {
        Object answer;
        try {
            answer = request.call();
        } catch (StatusReply.ErrorMessage e) {
            return e.getMessage();
        }
        throw new AssertionError("expected a failure, got " + answer);
    }

    public List<GuestInfo> guests() throws Exception {
        return AskPattern.<Manager.Command, List<GuestInfo>>ask(manager, Manager.Guests::new, ASK,
                system.scheduler()).toCompletableFuture().get(ASK.toMillis(), TimeUnit.MILLISECONDS);
    }

    public GuestInfo guest(int guest) throws Exception {
        return guests().stream().filter(g -> g.guest().value() == guest).findFirst().orElseThrow();
    }

    /** Waits until {@code guest}'s link satisfies {@code condition}: links change state on their own. */
    public GuestInfo awaitGuest(int guest, String what, Predicate<GuestInfo> condition) throws Exception {
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (true) {
            GuestInfo info = guest(guest);
            if (condition.test(info)) {
                return info;
            }
            if (System.nanoTime() > deadline) {
                throw new AssertionError("dom" + guest + " not " + what + " within " + WAIT + ": " + info);
            }
            Thread.sleep(20); // polling a condition with a deadline
        }
    }

    public GuestInfo awaitConnected(int guest, int connects) throws Exception {
        return awaitGuest(guest, "connected " + connects + " times",
                g -> g.state() == LinkState.CONNECTED && g.connects() >= connects);
    }

    private <T> T ask(Function<ActorRef<StatusReply<T>>, Manager.Command> request) throws Exception {
        try {
            return AskPattern.<Manager.Command, T>askWithStatus(manager, request::apply, ASK, system.scheduler())
                    .toCompletableFuture().get(ASK.toMillis(), TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof StatusReply.ErrorMessage m) {
                throw m;
            }
            throw e;
        }
    }
}
