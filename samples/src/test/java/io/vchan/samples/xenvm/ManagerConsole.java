package io.vchan.samples.xenvm;

import io.vchan.connector.Vchan;
import io.vchan.samples.cli.CliSystem;
import io.vchan.samples.vmm.GuestAddress;
import io.vchan.samples.vmm.GuestInfo;
import io.vchan.samples.vmm.GuestStatus;
import io.vchan.samples.vmm.LinkSettings;
import io.vchan.samples.vmm.LinkState;
import io.vchan.samples.vmm.Manager;
import io.vchan.samples.vmm.Pong;
import io.vchan.samples.vmm.RunResult;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.function.Function;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Props;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.pattern.StatusReply;
import org.slf4j.LoggerFactory;

/**
 * The VM-manager sample's {@link Manager} in dom0 of a real Xen machine,
 * driven line by line by a scenario script (not a test itself):
 * {@code connected G [CONNECTS]}, {@code ping G}, {@code run G CMD...}, {@code status G},
 * {@code quit}; one answer line each. Arguments: the guests' names, as {@code xl}
 * knows them: the manager finds their domains in XenStore.
 */
public final class ManagerConsole {

    private static final Duration ASK = Duration.ofSeconds(60);
    private static final long CONNECT_MILLIS = 360_000;

    private ManagerConsole() {
    }

    public static void main(String[] args) throws Exception {
        LoggerFactory.getILoggerFactory(); // before other threads log: no replay warning on stderr
        List<GuestAddress> guests = Arrays.stream(args).map(GuestAddress::named).toList();
        ActorSystem<Void> system = CliSystem.create("vm-manager");
        try {
            ActorRef<Manager.Command> manager = system.systemActorOf(
                    Manager.create(guests, LinkSettings.defaults(Vchan.get(system).settings())), "vm-manager",
                    Props.empty());
            BufferedReader in = new BufferedReader(new InputStreamReader(System.in));
            for (String line; (line = in.readLine()) != null && !line.startsWith("quit"); ) {
                String[] w = line.trim().split(" ");
                String d = w[1];
                long start = System.nanoTime();
                String answer = switch (w[0]) {
                    case "connected" -> awaitConnected(system, manager, d, w.length > 2 ? Integer.parseInt(w[2]) : 1);
                    case "ping" -> attempt(system, manager, reply -> new Manager.Ping(d, reply),
                            (Pong p) -> "pong from dom" + p.guest().value());
                    case "run" -> attempt(system, manager,
                            reply -> new Manager.Run(d, List.of(w).subList(2, w.length), reply),
                            (RunResult r) -> "exit " + r.exitCode() + ": " + String.join(" | ", r.output()));
                    case "status" -> attempt(system, manager, reply -> new Manager.Status(d, reply),
                            (GuestStatus s) -> "pid " + s.pid() + " domain " + s.guest().value());
                    default -> "unknown command";
                };
                System.out.printf("%s %s: %s (%d ms)%n", w[0], d, answer,
                        (System.nanoTime() - start) / 1_000_000);
            }
        } finally {
            system.terminate();
            system.getWhenTerminated().toCompletableFuture().get();
        }
    }

    private static String awaitConnected(ActorSystem<Void> system, ActorRef<Manager.Command> manager, String d,
            int connects) throws Exception {
        long deadline = System.currentTimeMillis() + CONNECT_MILLIS;
        while (System.currentTimeMillis() < deadline) {
            // the manager answers at once; its links change state on their own, so ask again shortly
            List<GuestInfo> all = AskPattern.<Manager.Command, List<GuestInfo>>ask(manager, Manager.Guests::new,
                    ASK, system.scheduler()).toCompletableFuture().get();
            for (GuestInfo g : all) {
                if (g.guest().equals(d) && g.state() == LinkState.CONNECTED && g.connects() >= connects) {
                    return "connected, connects " + g.connects() + ", dom" + g.domain().orElseThrow().value();
                }
            }
            Thread.sleep(100);
        }
        return "not connected";
    }

    private static <T> String attempt(ActorSystem<Void> system, ActorRef<Manager.Command> manager,
            Function<ActorRef<StatusReply<T>>, Manager.Command> request, Function<T, String> describe)
            throws InterruptedException {
        try {
            return describe.apply(AskPattern.<Manager.Command, T>askWithStatus(manager, request::apply, ASK,
                    system.scheduler()).toCompletableFuture().get());
        } catch (ExecutionException e) {
            return "failed: " + e.getCause().getMessage();
        }
    }
}
