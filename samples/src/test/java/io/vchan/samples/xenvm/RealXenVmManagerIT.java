package io.vchan.samples.xenvm;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The VM-manager sample across real domains: the manager in dom0, a
 * {@code vchan guest-agent} JVM in each of two guests.
 */
class RealXenVmManagerIT extends RealXenSuite {

    @Test
    void managerInDom0ServesTwoGuestAgentsThroughAgentRestartAndGuestDestroy() throws Exception {
        String agent = "while :; do $GUEST_JVM -jar /opt/vchan.jar guest-agent --manager-domain 0 --port vmm;"
                + " echo agent-restarted; done";
        String out = scenario("VM manager in dom0, guest agents in two guests", Duration.ofMinutes(8), """
                a=$(guest_start vm-a java 512 '%1$s') || exit 1
                b=$(guest_start vm-b java 512 '%1$s') || exit 1
                echo "domains $a $b"
                coproc MGR { jvm -cp %2$s:%3$s io.vchan.samples.xenvm.ManagerConsole $a $b 2>/var/tmp/mgr.err; }
                say() {
                    echo "$*" >&"${MGR[1]}"
                    local answer
                    read -r -t 300 answer <&"${MGR[0]}" || { echo "mgr: no answer to $*"; cat /var/tmp/mgr.err; exit 1; }
                    echo "mgr: $answer"
                }
                say connected $a; say connected $b
                say ping $a; say ping $b
                say run $a uname -s; say run $b uname -s
                say status $a; say status $b
                # the agent of a dies (its own child kills it); the guest starts a new one
                say run $a killall -9 java
                say connected $a 2
                say ping $a
                # guest b is destroyed: a keeps answering, b fails
                xl destroy vm-b
                say ping $a; say ping $b; say ping $a
                echo quit >&"${MGR[1]}"
                wait
                guest_destroy vm-a
                """.formatted(agent, System.getProperty("vchan.jar"), codeSource()));
        String[] d = RealXenSuite.line(out, "domains").split(" ");
        String a = d[0];
        String b = d[1];
        for (String g : d) {
            assertMatches(out, "mgr: connected " + g + ": connected, connects 1 .*");
            assertMatches(out, "mgr: ping " + g + ": pong .*");
            assertMatches(out, "mgr: run " + g + ": exit 0: Linux .*");
            assertMatches(out, "mgr: status " + g + ": pid \\d+ domain " + g + " .*");
        }
        assertMatches(out, "mgr: connected " + a + ": connected, connects 2 .*");
        assertMatches(out, "mgr: ping " + b + ": failed: .*");
        long pongsOfA = out.lines().filter(l -> l.startsWith("mgr: ping " + a + ": pong")).count();
        assertTrue(pongsOfA == 4, "dom" + a + " must answer every ping (4), answered " + pongsOfA + "\n" + out);
    }

    private static void assertMatches(String out, String regex) {
        Pattern p = Pattern.compile(regex);
        assertTrue(out.lines().anyMatch(l -> p.matcher(l).matches()), "no line matching " + regex + " in\n" + out);
    }

    private static String codeSource() throws Exception {
        return Path.of(ManagerConsole.class.getProtectionDomain().getCodeSource().getLocation().toURI()).toString();
    }
}
