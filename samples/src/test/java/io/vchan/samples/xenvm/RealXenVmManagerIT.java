package io.vchan.samples.xenvm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The VM-manager sample across real domains: the manager in dom0, a
 * {@code vchan guest-agent} JVM in each of two guests, known to the manager by
 * the names {@code xl} gave them.
 */
class RealXenVmManagerIT extends RealXenSuite {

    @Test
    void managerInDom0ServesGuestAgentsByNameThroughGuestDestroyANewGuestOfTheSameNameAndAnAgentRestart()
            throws Exception {
        String agent = "while :; do $GUEST_JVM -jar /opt/vchan.jar guest-agent --manager-domain 0 --port vmm;"
                + " echo agent-restarted; done";
        String out = scenario("VM manager in dom0, guest agents in guests, one replaced", Duration.ofMinutes(12), """
                a=$(guest_start vm-a java 512 '%1$s') || exit 1
                b=$(guest_start vm-b java 512 '%1$s') || exit 1
                echo "domains $a $b"
                coproc MGR { jvm -cp %2$s:%3$s io.vchan.samples.xenvm.ManagerConsole vm-a vm-b 2>/var/tmp/mgr.err; }
                say() {
                    echo "$*" >&"${MGR[1]}"
                    local answer
                    read -r -t 400 answer <&"${MGR[0]}" || { echo "mgr: no answer to $*"; cat /var/tmp/mgr.err; exit 1; }
                    echo "mgr: $answer"
                }
                say connected vm-a; say connected vm-b
                say ping vm-a; say ping vm-b
                say run vm-a uname -s; say run vm-b uname -s
                say status vm-a; say status vm-b
                # vm-b is destroyed: vm-a keeps answering, vm-b fails
                xl destroy vm-b
                say ping vm-a; say ping vm-b; say ping vm-a
                # a new guest of the same name, in a new domain: the manager finds it there. Meanwhile
                # the agent of vm-a dies (its own child kills it) and the guest starts a new one: the
                # two agents' JVMs start at once, each in its own guest.
                b2=$(guest_start vm-b java 512 '%1$s') || exit 1
                echo "new domain $b2"
                say run vm-a killall -9 java
                say connected vm-a 2
                say connected vm-b 2
                say ping vm-b; say ping vm-a
                echo quit >&"${MGR[1]}"
                wait
                guest_destroy vm-a
                guest_destroy vm-b
                """.formatted(agent, System.getProperty("vchan.jar"), codeSource(ManagerConsole.class)));
        String[] d = RealXenSuite.line(out, "domains").split(" ");
        String a = d[0];
        String b = d[1];
        String b2 = RealXenSuite.line(out, "new domain");
        assertMatches(out, "mgr: connected vm-a: connected, connects 1, dom" + a + " .*");
        assertMatches(out, "mgr: connected vm-b: connected, connects 1, dom" + b + " .*");
        for (String g : new String[] {"vm-a", "vm-b"}) {
            assertMatches(out, "mgr: run " + g + ": exit 0: Linux .*");
        }
        assertMatches(out, "mgr: status vm-a: pid \\d+ domain " + a + " .*");
        assertMatches(out, "mgr: status vm-b: pid \\d+ domain " + b + " .*");
        assertMatches(out, "mgr: connected vm-a: connected, connects 2, dom" + a + " .*");
        assertMatches(out, "mgr: ping vm-b: failed: .*");
        assertTrue(!b2.equals(b), "the new vm-b must be a new domain, not dom" + b + "\n" + out);
        assertMatches(out, "mgr: connected vm-b: connected, connects 2, dom" + b2 + " .*");
        long pongsOfA = out.lines().filter(l -> l.startsWith("mgr: ping vm-a: pong from dom" + a + " ")).count();
        assertTrue(pongsOfA == 4, "vm-a must answer every ping (4), answered " + pongsOfA + "\n" + out);
        assertEquals(1, out.lines().filter(l -> l.startsWith("mgr: ping vm-b: pong from dom" + b + " ")).count(), out);
        assertEquals(1, out.lines().filter(l -> l.startsWith("mgr: ping vm-b: pong from dom" + b2 + " ")).count(), out);
    }

    private static void assertMatches(String out, String regex) {
        Pattern p = Pattern.compile(regex);
        assertTrue(out.lines().anyMatch(l -> p.matcher(l).matches()), "no line matching " + regex + " in\n" + out);
    }
}
