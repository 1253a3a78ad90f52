package io.vchan.samples.vmm;

import io.vchan.connector.DomainId;
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

    public Pong ping(String guest) throws Exception {
        return ask(reply -> new Manager.Ping(guest, reply));
    }

    public RunResult run(String guest, String... cmd) throws Exception {
        return ask(reply -> new Manager.Run(guest, List.of(cmd), reply));
    }

    public GuestStatus status(String guest) throws Exception {
        return ask(reply -> new Manager.Status(guest, reply));
    }

    /** The guest at fixed domain {@code domain} ({@link Manager#forDomains}). */
    public Pong ping(int domain) throws Exception {
        return ping(name(domain));
    }

    public RunResult run(int domain, String... cmd) throws Exception {
        return run(name(domain), cmd);
    }

    public GuestStatus status(int domain) throws Exception {
        return status(name(domain));
    }

    public static String name(int domain) {
        return GuestAddress.domain(DomainId.of(domain)).name();
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

    public GuestInfo guest(String guest) throws Exception {
        return guests().stream().filter(g -> g.guest().equals(guest)).findFirst().orElseThrow();
    }

    public GuestInfo guest(int domain) throws Exception {
        return guest(name(domain));
    }

    public GuestInfo awaitGuest(int domain, String what, Predicate<GuestInfo> condition) throws Exception {
        return awaitGuest(name(domain), what, condition);
    }

    public GuestInfo awaitConnected(int domain, int connects) throws Exception {
        return awaitConnected(name(domain), connects);
    }

    /** Waits until {@code guest}'s link satisfies {@code condition}: links change state on their own. */
    public GuestInfo awaitGuest(String guest, String what, Predicate<GuestInfo> condition) throws Exception {
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (true) {
            GuestInfo info = guest(guest);
            if (condition.test(info)) {
                return info;
            }
            if (System.nanoTime() > deadline) {
                throw new AssertionError(guest + " not " + what + " within " + WAIT + ": " + info);
            }
            Thread.sleep(20); // polling a condition with a deadline
        }
    }

    public GuestInfo awaitConnected(String guest, int connects) throws Exception {
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
