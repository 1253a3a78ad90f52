package io.vchan.samples.cli;

import com.typesafe.config.ConfigFactory;
import io.vchan.connector.DomainId;
import io.vchan.connector.Vchan;
import io.vchan.samples.vmm.GuestAddress;
import io.vchan.samples.vmm.GuestInfo;
import io.vchan.samples.vmm.GuestStatus;
import io.vchan.samples.vmm.LinkSettings;
import io.vchan.samples.vmm.LinkState;
import io.vchan.samples.vmm.Manager;
import io.vchan.samples.vmm.Pong;
import io.vchan.samples.vmm.RunResult;
import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.function.Predicate;
import java.util.stream.IntStream;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Props;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.pattern.StatusReply;

/**
 * The VM-manager walkthrough, in the manager's process (dom0): guests start,
 * get pinged, run a command and report status; then one guest is killed and
 * restarted while the others keep answering.
 */
final class VmManagerWalkthrough {

    private static final Duration ASK = Duration.ofSeconds(30);
    private static final Duration WAIT = Duration.ofSeconds(60);
    private static final List<String> COMMAND = List.of("sh", "-c", "echo hello from dom$XENSIM_DOMID; uname -s");

    private final Path host;
    private final int guests;
    private final PrintStream out;
    private final List<DomainId> domains;
    private ActorSystem<Void> system;
    private ActorRef<Manager.Command> manager;

    VmManagerWalkthrough(Path host, int guests, PrintStream out) {
        this.host = host;
        this.guests = guests;
        this.out = out;
        this.domains = IntStream.rangeClosed(1, guests).mapToObj(DomainId::of).toList();
    }

    int run() throws Exception {
        system = CliSystem.create("vchan-vm-manager", ConfigFactory.parseString("vchan.platform = xensim"));
        try (GuestProcesses agents = new GuestProcesses(host)) {
            out.println("xensim host " + host + ": manager in dom0 (this process), guest agents in dom1..dom"
                    + guests + ", port vmm");
            manager = system.systemActorOf(Manager.forDomains(domains, LinkSettings.defaults(Vchan.get(system)
                    .settings())), "vm-manager", Props.empty());
            long start = System.nanoTime();
            for (DomainId d : domains) {
                agents.start(d.value());
            }
            awaitGuests("all guests to connect", all -> all.stream().allMatch(g -> g.state() == LinkState.CONNECTED));
            out.printf("%d guests connected in %d ms%n%n", guests, millisSince(start));
            pingAll();
            out.println("\nrun " + COMMAND + " in each guest:");
            for (DomainId d : domains) {
                RunResult r = ask(reply -> new Manager.Run(name(d), COMMAND, reply));
                out.printf("  dom%-3d exit %d: %s%n", d.value(), r.exitCode(), String.join(" | ", r.output()));
            }
            out.println();
            statusTable();

            DomainId victim = domains.get(domains.size() > 1 ? 1 : 0);
            out.printf("%nSIGKILL the agent of dom%d (pid %d)%n", victim.value(), agents.kill(victim.value()));
            long killed = System.nanoTime();
            GuestInfo lost = awaitGuest(victim, g -> g.state() != LinkState.CONNECTED);
            out.printf("  manager saw it in %d ms: dom%d %s (%s)%n", millisSince(killed), victim.value(), lost.state(),
                    lost.detail());
            pingAll();

            out.printf("%nrestart the agent of dom%d (pid %d)%n", victim.value(), agents.start(victim.value()));
            GuestInfo back = awaitGuest(victim, g -> g.state() == LinkState.CONNECTED && g.connects() >= 2);
            out.printf("  dom%d connected again %d ms after the kill (connects: %d)%n", victim.value(),
                    millisSince(killed), back.connects());
            pingAll();
            out.println();
            statusTable();
            out.printf("%ndone: dom%d reconnected; the other guests answered while it was away%n", victim.value());
            return ExitCodes.OK;
        } finally {
            system.terminate();
            system.getWhenTerminated().toCompletableFuture().get(30, TimeUnit.SECONDS);
        }
    }

    private void pingAll() throws Exception {
        StringBuilder line = new StringBuilder("  ping");
        for (DomainId d : domains) {
            line.append(String.format("   dom%d: %s", d.value(), attempt(reply -> new Manager.Ping(name(d), reply),
                    (Pong p) -> String.format("pong %.2f ms", p.roundTrip().toNanos() / 1e6))));
        }
        out.println(line);
    }

    private void statusTable() throws Exception {
        out.printf("  %-6s %-12s %-8s %-8s %-9s %s%n", "GUEST", "LINK", "CONNECTS", "PID", "UPTIME", "HOSTNAME");
        for (GuestInfo g : guests()) {
            String row;
            try {
                GuestStatus s = ask(reply -> new Manager.Status(g.guest(), reply));
                row = String.format("%-8d %-9s %s", s.pid(), String.format("%.1f s", s.uptimeMs() / 1000.0),
                        s.hostname());
            } catch (ExecutionException e) {
                row = "-        -         -";
            }
            out.printf("  %-6s %-12s %-8d %s%n", g.guest(), g.state(), g.connects(), row);
        }
    }

    /** The answer as text, or why there is none. */
    private <T> String attempt(Function<ActorRef<StatusReply<T>>, Manager.Command> request,
            Function<T, String> describe) throws InterruptedException {
        try {
            return describe.apply(ask(request));
        } catch (ExecutionException e) {
            return "failed: " + e.getCause().getMessage();
        }
    }

    private <T> T ask(Function<ActorRef<StatusReply<T>>, Manager.Command> request)
            throws ExecutionException, InterruptedException {
        return AskPattern.<Manager.Command, T>askWithStatus(manager, request::apply, ASK, system.scheduler())
                .toCompletableFuture().get();
    }

    private List<GuestInfo> guests() throws Exception {
        return AskPattern.<Manager.Command, List<GuestInfo>>ask(manager, Manager.Guests::new, ASK,
                system.scheduler()).toCompletableFuture().get();
    }

    private GuestInfo awaitGuest(DomainId guest, Predicate<GuestInfo> condition) throws Exception {
        return awaitGuests("dom" + guest.value(), all -> all.stream()
                .anyMatch(g -> g.guest().equals(name(guest)) && condition.test(g)))
                .stream().filter(g -> g.guest().equals(name(guest))).findFirst().orElseThrow();
    }

    /** What the manager calls the guest at fixed domain {@code d}. */
    private static String name(DomainId d) {
        return GuestAddress.domain(d).name();
    }

    /** Asks the manager until its guests satisfy {@code condition}: the links change state on their own. */
    private List<GuestInfo> awaitGuests(String what, Predicate<List<GuestInfo>> condition) throws Exception {
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (true) {
            List<GuestInfo> all = guests();
            if (condition.test(all)) {
                return all;
            }
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("timed out waiting for " + what + ": " + all);
            }
            Thread.sleep(20); // polling a condition with a deadline
        }
    }

    private static long millisSince(long nanos) {
        return (System.nanoTime() - nanos) / 1_000_000;
    }
}
